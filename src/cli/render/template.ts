/**
 * A small evaluator for the Go text/template subset people type in `--format`: fields and chains
 * (`{{.State.Status}}`), methods with arguments (`{{.Label "k"}}`), pipelines, variables, `if`/`else`,
 * `range`, `with`, and docker's functions (json, join, split, lower, upper, title, pad, truncate,
 * println) plus Go's builtins (index, len, eq, ne, lt, le, gt, ge, and, or, not, print, printf, slice).
 * Missing map keys are errors, as docker runs templates with missingkey=error.
 */
import { formatFloatV } from './units.js';

export class TemplateError extends Error {}

/** Values that render themselves for `{{json .}}` (docker's formatter contexts). */
export interface JsonMarshaler {
  toGoJSON(): unknown;
}

type Value = unknown;

// ---------- lexing ----------

type TokKind = 'field' | 'var' | 'ident' | 'string' | 'number' | 'bool' | 'nil' | 'pipe' | 'lparen' | 'rparen' |
  'declare' | 'assign' | 'comma' | 'dot';
interface Tok {
  kind: TokKind;
  value: string;
  pos: number;
  end: number;
}

function lexAction(src: string, start: number, end: number): Tok[] {
  const toks: Tok[] = [];
  let i = start;
  const isIdent = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
  while (i < end) {
    const last = toks[toks.length - 1];
    if (last && last.end < 0) last.end = i;
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const pos = i;
    if (c === '|') { toks.push({ end: -1, kind: 'pipe', value: c, pos }); i++; continue; }
    if (c === '(') { toks.push({ end: -1, kind: 'lparen', value: c, pos }); i++; continue; }
    if (c === ')') { toks.push({ end: -1, kind: 'rparen', value: c, pos }); i++; continue; }
    if (c === ',') { toks.push({ end: -1, kind: 'comma', value: c, pos }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { toks.push({ end: -1, kind: 'declare', value: ':=', pos }); i += 2; continue; }
    if (c === '=') { toks.push({ end: -1, kind: 'assign', value: '=', pos }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < end && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= end) throw new TemplateError(`unterminated quoted string`);
      toks.push({ end: -1, kind: 'string', value: JSON.parse(src.slice(i, j + 1).replace(/\\'/g, "'")) as string, pos });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0 || j >= end) throw new TemplateError('unterminated raw quoted string');
      toks.push({ end: -1, kind: 'string', value: src.slice(i + 1, j), pos });
      i = j + 1;
      continue;
    }
    if (c === '.' || c === '$') {
      let j = i + 1;
      while (isIdent(src[j])) j++;
      const word = src.slice(i, j);
      if (c === '.') toks.push(word === '.' ? { end: -1, kind: 'dot', value: '.', pos } : { end: -1, kind: 'field', value: word.slice(1), pos });
      else toks.push({ end: -1, kind: 'var', value: word, pos });
      i = j;
      continue;
    }
    if (/[0-9-+]/.test(c)) {
      let j = i + 1;
      while (j < end && /[0-9a-fA-FxX._]/.test(src[j]!)) j++;
      toks.push({ end: -1, kind: 'number', value: src.slice(i, j), pos });
      i = j;
      continue;
    }
    if (isIdent(c)) {
      let j = i;
      while (isIdent(src[j])) j++;
      const word = src.slice(i, j);
      if (word === 'true' || word === 'false') toks.push({ end: -1, kind: 'bool', value: word, pos });
      else if (word === 'nil') toks.push({ end: -1, kind: 'nil', value: word, pos });
      else toks.push({ end: -1, kind: 'ident', value: word, pos });
      i = j;
      continue;
    }
    throw new TemplateError(`unexpected "${c}" in command`);
  }
  const last = toks[toks.length - 1];
  if (last && last.end < 0) last.end = i;
  return toks;
}

// ---------- parsing ----------

type Operand =
  | { type: 'dot' }
  | { type: 'field'; base: Operand | null; names: string[]; pos: number }
  | { type: 'var'; name: string }
  | { type: 'literal'; value: Value }
  | { type: 'ident'; name: string }
  | { type: 'sub'; pipe: Pipeline };
interface Command {
  args: Operand[];
}
interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}
type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipe: Pipeline }
  | { type: 'if' | 'with'; pipe: Pipeline; list: Node[]; elseList: Node[] }
  | { type: 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] };

interface Action {
  toks: Tok[];
  pos: number;
}
type Item = { kind: 'text'; text: string } | { kind: 'action'; action: Action };

function split(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) items.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) items.push({ kind: 'text', text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let end = close;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimNext = true;
    }
    const inner = src.slice(start, end).trim();
    if (!(inner.startsWith('/*') && inner.endsWith('*/'))) {
      items.push({ kind: 'action', action: { toks: lexAction(src, start, end), pos: start } });
    }
    i = close + 2;
  }
  return items;
}

class Parser {
  private idx = 0;
  constructor(private readonly items: Item[]) {}

  parse(): Node[] {
    const [list, stop] = this.list();
    if (stop) throw new TemplateError(`unexpected {{${stop}}}`);
    return list;
  }

  /** Parses nodes until end of input or an {{end}}/{{else}}; returns the keyword that stopped it. */
  private list(): [Node[], string | null, Tok[]] {
    const nodes: Node[] = [];
    while (this.idx < this.items.length) {
      const item = this.items[this.idx++]!;
      if (item.kind === 'text') {
        nodes.push({ type: 'text', text: item.text });
        continue;
      }
      const toks = item.action.toks;
      const first = toks[0];
      if (!first) throw new TemplateError('missing value for command');
      if (first.kind === 'ident' && (first.value === 'end' || first.value === 'else')) {
        return [nodes, first.value, toks.slice(1)];
      }
      if (first.kind === 'ident' && (first.value === 'if' || first.value === 'range' || first.value === 'with')) {
        nodes.push(this.control(first.value, toks.slice(1)));
        continue;
      }
      if (first.kind === 'ident' && (first.value === 'define' || first.value === 'template' || first.value === 'block')) {
        throw new TemplateError(`{{${first.value}}} is not supported`);
      }
      nodes.push({ type: 'action', pipe: parsePipeline(toks) });
    }
    return [nodes, null, []];
  }

  private control(kind: 'if' | 'range' | 'with', toks: Tok[]): Node {
    const pipe = parsePipeline(toks);
    const [list, stop, rest] = this.list();
    let elseList: Node[] = [];
    if (stop === 'else') {
      if (rest.length > 0 && rest[0]!.kind === 'ident' && (rest[0]!.value === 'if' || rest[0]!.value === 'with')) {
        // {{else if x}} ... {{end}}: a nested control sharing the outer {{end}}
        elseList = [this.control(rest[0]!.value as 'if' | 'with', rest.slice(1))];
        return { type: kind, pipe, list, elseList };
      }
      const [l2, stop2] = this.list();
      if (stop2 !== 'end') throw new TemplateError(`expected {{end}}`);
      elseList = l2;
    } else if (stop !== 'end') {
      throw new TemplateError(`unexpected EOF`);
    }
    return { type: kind, pipe, list, elseList };
  }
}

function parsePipeline(toks: Tok[]): Pipeline {
  let i = 0;
  const decl: string[] = [];
  let assign = false;
  // $x := ..., $i, $e := ...
  const declEnd = toks.findIndex((t) => t.kind === 'declare' || t.kind === 'assign');
  if (declEnd > 0 && toks.slice(0, declEnd).every((t) => t.kind === 'var' || t.kind === 'comma')) {
    for (const t of toks.slice(0, declEnd)) if (t.kind === 'var') decl.push(t.value);
    assign = toks[declEnd]!.kind === 'assign';
    i = declEnd + 1;
  }
  const cmds: Command[] = [];
  let args: Operand[] = [];
  const end = toks.length;
  while (i < end) {
    const t = toks[i]!;
    if (t.kind === 'pipe') {
      if (args.length === 0) throw new TemplateError('missing command');
      cmds.push({ args });
      args = [];
      i++;
      continue;
    }
    const [op, next] = parseOperand(toks, i);
    args.push(op);
    i = next;
  }
  if (args.length === 0) throw new TemplateError('missing value for command');
  cmds.push({ args });
  return { decl, assign, cmds };
}

function parseOperand(toks: Tok[], i: number): [Operand, number] {
  const t = toks[i]!;
  let op: Operand;
  let next = i + 1;
  switch (t.kind) {
    case 'dot': op = { type: 'dot' }; break;
    case 'field': op = { type: 'field', base: null, names: [t.value], pos: t.pos }; break;
    case 'var': op = { type: 'var', name: t.value }; break;
    case 'string': op = { type: 'literal', value: t.value }; break;
    case 'bool': op = { type: 'literal', value: t.value === 'true' }; break;
    case 'nil': op = { type: 'literal', value: null }; break;
    case 'number': {
      const n = Number(t.value.replace(/_/g, ''));
      if (Number.isNaN(n)) throw new TemplateError(`bad number syntax: "${t.value}"`);
      op = { type: 'literal', value: n };
      break;
    }
    case 'ident': op = { type: 'ident', name: t.value }; break;
    case 'lparen': {
      let depth = 1;
      let j = i + 1;
      for (; j < toks.length && depth > 0; j++) {
        if (toks[j]!.kind === 'lparen') depth++;
        if (toks[j]!.kind === 'rparen') depth--;
      }
      if (depth !== 0) throw new TemplateError('unclosed left paren');
      op = { type: 'sub', pipe: parsePipeline(toks.slice(i + 1, j - 1)) };
      next = j;
      break;
    }
    default: throw new TemplateError(`unexpected "${t.value}" in operand`);
  }
  // chained fields: .A.B, $x.A, (pipe).A
  const chainable = t.kind === 'field' || t.kind === 'var' || t.kind === 'lparen';
  while (chainable && next < toks.length && toks[next]!.kind === 'field' && toks[next]!.pos === toks[next - 1]!.end) {
    const f = toks[next]!;
    if (op.type === 'field') {
      op.names.push(f.value);
      if (op.names.length === 2) op.pos = f.pos;
    } else {
      op = { type: 'field', base: op, names: [f.value], pos: f.pos };
    }
    next++;
  }
  return [op, next];
}

// ---------- evaluation ----------

function isMap(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

export function truth(v: Value): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v) && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return true;
}

/** Go's `%v` of a decoded JSON value. */
export function printValue(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloatV(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (isMap(v)) {
    if (typeof (v as { toString?: unknown }).toString === 'function' && Object.getPrototypeOf(v) !== Object.prototype) {
      return String(v);
    }
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${printValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

/**
 * docker formats inspect output from typed structs, where a JSON null is an empty slice or map (or a
 * nil pointer): print it as Go would print that zero value.
 */
const MAP_FIELDS = new Set(['Labels', 'Volumes', 'ExposedPorts', 'PortBindings', 'Ports', 'Networks', 'Options',
  'DriverOpts', 'Config', 'Sysctls', 'StorageOpt', 'Tmpfs', 'Annotations', 'Data']);
const POINTER_FIELDS = new Set(['Health', 'IPAMConfig', 'RootFS', 'GraphDriver', 'Metadata', 'Descriptor']);

function printNull(field: string | undefined): string {
  if (field && MAP_FIELDS.has(field)) return 'map[]';
  if (field && POINTER_FIELDS.has(field)) return '<nil>';
  return field ? '[]' : '<nil>';
}

function lastFieldName(pipe: Pipeline): string | undefined {
  const cmd = pipe.cmds[pipe.cmds.length - 1];
  const op = cmd?.args.length === 1 ? cmd.args[0] : undefined;
  return op?.type === 'field' ? op.names[op.names.length - 1] : undefined;
}

/** Go's json.Marshal with sorted map keys and HTML escaping (used for formatter contexts). */
function goMarshal(v: Value): string {
  const escape = (s: string): string => s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const walk = (x: Value): string => {
    if (x === null || x === undefined) return 'null';
    if (Array.isArray(x)) return `[${x.map(walk).join(',')}]`;
    if (isMap(x)) return `{${Object.keys(x).sort().map((k) => `${escape(JSON.stringify(k))}:${walk(x[k])}`).join(',')}}`;
    return escape(JSON.stringify(x));
  };
  return walk(v);
}

function jsonFunc(v: Value): string {
  if (isMap(v) && typeof (v as unknown as JsonMarshaler).toGoJSON === 'function') {
    return goMarshal((v as unknown as JsonMarshaler).toGoJSON());
  }
  return JSON.stringify(v === undefined ? null : v) ?? 'null';
}

function goSprintf(format: string, args: Value[]): string {
  let ai = 0;
  return format.replace(/%([-+ #0]*)(\d+)?(?:\.(\d+))?([vsdqfgtx%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    let s: string;
    switch (verb) {
      case 'q': s = JSON.stringify(typeof a === 'string' ? a : printValue(a)); break;
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${printValue(a)})`; break;
      case 'f': s = typeof a === 'number' ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${printValue(a)})`; break;
      case 'x': s = typeof a === 'number' ? a.toString(16) : Buffer.from(printValue(a)).toString('hex'); break;
      default: s = printValue(a);
    }
    if (prec && verb === 's') s = [...s].slice(0, Number(prec)).join('');
    const w = width ? Number(width) : 0;
    if (w > [...s].length) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') ? '0' : ' ');
    return s;
  });
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

function lengthOf(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new TemplateError(`len of type ${typeof v}`);
}

type Func = (...args: Value[]) => Value;

const FUNCS: Record<string, Func> = {
  json: (v) => jsonFunc(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(printValue).join(String(sep ?? '')) : printValue(list)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => printValue(s).toLowerCase(),
  upper: (s) => printValue(s).toUpperCase(),
  title: (s) => printValue(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()),
  pad: (s, before, after) => ' '.repeat(Number(before)) + printValue(s) + ' '.repeat(Number(after)),
  truncate: (s, n) => [...printValue(s)].slice(0, Number(n)).join(''),
  println: (...a) => a.map(printValue).join(' ') + '\n',
  print: (...a) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + printValue(x)).join(''),
  printf: (f, ...a) => goSprintf(String(f), a),
  len: (v) => lengthOf(v),
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur) || typeof cur === 'string') {
        const i = Number(k);
        if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw new TemplateError(`error calling index: index out of range: ${printValue(k)}`);
        cur = Array.isArray(cur) ? cur[i] : cur.charCodeAt(i);
      } else if (isMap(cur)) {
        // a missing key gives the element's zero value; docker's label maps are map[string]string
        cur = Object.prototype.hasOwnProperty.call(cur, String(k)) ? cur[String(k)] : '';
      } else if (cur === null || cur === undefined) {
        cur = '';
      } else {
        throw new TemplateError(`error calling index: can't index item of type ${typeof cur}`);
      }
    }
    return cur;
  },
  slice: (v, ...idx) => {
    const [a, b] = idx.map(Number);
    if (typeof v === 'string' || Array.isArray(v)) return v.slice(a ?? 0, b);
    throw new TemplateError(`can't slice item of type ${typeof v}`);
  },
  eq: (a, ...rest) => rest.some((b) => a === b || (a == null && b == null)),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  not: (a) => !truth(a),
  and: (...a) => a.find((x) => !truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truth(x)) ?? a[a.length - 1],
  html: (s) => printValue(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
  urlquery: (...a) => encodeURIComponent(a.map(printValue).join('')),
};

interface Scope {
  vars: Map<string, Value>[];
}

class Evaluator {
  out = '';
  constructor(private readonly src: string, private readonly funcs: Record<string, Func>) {}

  private lookupVar(scope: Scope, name: string): Value {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      if (scope.vars[i]!.has(name)) return scope.vars[i]!.get(name);
    }
    throw new TemplateError(`undefined variable: ${name}`);
  }

  private location(pos: number): string {
    const before = this.src.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - (before.lastIndexOf('\n') + 1);
    return `template: :${line}:${col}`;
  }

  private field(receiver: Value, name: string, args: Value[], op: Extract<Operand, { type: 'field' }>): Value {
    const where = `${this.location(op.pos)}: executing "" at <.${op.names.join('.')}>`;
    if (receiver === null || receiver === undefined) {
      throw new TemplateError(`${where}: nil pointer evaluating interface {}.${name}`);
    }
    if (isMap(receiver)) {
      const member = (receiver as Record<string, unknown>)[name];
      if (typeof member === 'function') return (member as Func).apply(receiver, args);
      if (args.length > 0) throw new TemplateError(`${where}: ${name} has arguments but cannot be invoked as function`);
      if (!Object.prototype.hasOwnProperty.call(receiver, name)) {
        if (Object.getPrototypeOf(receiver) !== Object.prototype) {
          throw new TemplateError(`${where}: can't evaluate field ${name} in type ${receiver.constructor.name}`);
        }
        throw new TemplateError(`${where}: map has no entry for key "${name}"`);
      }
      return member;
    }
    throw new TemplateError(`${where}: can't evaluate field ${name} in type ${Array.isArray(receiver) ? '[]interface {}' : typeof receiver}`);
  }

  private operand(op: Operand, dot: Value, scope: Scope, args: Value[] = [], final?: { v: Value }): Value {
    switch (op.type) {
      case 'dot': return dot;
      case 'var': return this.lookupVar(scope, op.name);
      case 'literal': return op.value;
      case 'sub': return this.pipeline(op.pipe, dot, scope);
      case 'ident': {
        const fn = this.funcs[op.name];
        if (!fn) throw new TemplateError(`function "${op.name}" not defined`);
        return fn(...args, ...(final ? [final.v] : []));
      }
      case 'field': {
        let cur = op.base ? this.operand(op.base, dot, scope) : dot;
        op.names.forEach((name, i) => {
          const last = i === op.names.length - 1;
          cur = this.field(cur, name, last ? [...args, ...(final ? [final.v] : [])] : [], op);
        });
        return cur;
      }
    }
  }

  private command(cmd: Command, dot: Value, scope: Scope, final?: { v: Value }): Value {
    const [head, ...rest] = cmd.args;
    if (!head) throw new TemplateError('empty command');
    if (head.type === 'ident' || (head.type === 'field' && rest.length + (final ? 1 : 0) > 0)) {
      const args = rest.map((a) => this.operand(a, dot, scope));
      return this.operand(head, dot, scope, args, final);
    }
    if (rest.length > 0 || final) throw new TemplateError(`can't give argument to non-function`);
    return this.operand(head, dot, scope);
  }

  private pipeline(pipe: Pipeline, dot: Value, scope: Scope): Value {
    let result: { v: Value } | undefined;
    for (const cmd of pipe.cmds) result = { v: this.command(cmd, dot, scope, result) };
    const v = result!.v;
    if (pipe.decl.length === 1) {
      const name = pipe.decl[0]!;
      if (pipe.assign) {
        const frame = [...scope.vars].reverse().find((f) => f.has(name));
        if (!frame) throw new TemplateError(`undefined variable: ${name}`);
        frame.set(name, v);
      } else {
        scope.vars[scope.vars.length - 1]!.set(name, v);
      }
    }
    return v;
  }

  run(nodes: Node[], dot: Value, scope: Scope): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text': this.out += node.text; break;
        case 'action': {
          const v = this.pipeline(node.pipe, dot, scope);
          if (node.pipe.decl.length === 0) this.out += v === null ? printNull(lastFieldName(node.pipe)) : printValue(v);
          break;
        }
        case 'if':
        case 'with': {
          scope.vars.push(new Map());
          const v = this.pipeline(node.pipe, dot, scope);
          if (truth(v)) this.run(node.list, node.type === 'with' ? v : dot, scope);
          else this.run(node.elseList, dot, scope);
          scope.vars.pop();
          break;
        }
        case 'range': {
          scope.vars.push(new Map());
          const decl = node.pipe.decl;
          const v = this.pipeline({ ...node.pipe, decl: [] }, dot, scope);
          const entries: [Value, Value][] = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : isMap(v) ? Object.keys(v).sort().map((k) => [k, v[k]])
            : typeof v === 'number' ? Array.from({ length: v }, (_x, i) => [i, i])
            : v === null || v === undefined ? []
            : (() => { throw new TemplateError(`range can't iterate over ${printValue(v)}`); })();
          if (entries.length === 0) this.run(node.elseList, dot, scope);
          for (const [k, x] of entries) {
            const frame = new Map<string, Value>();
            if (decl.length === 1) frame.set(decl[0]!, x);
            if (decl.length === 2) { frame.set(decl[0]!, k); frame.set(decl[1]!, x); }
            scope.vars.push(frame);
            this.run(node.list, x, scope);
            scope.vars.pop();
          }
          scope.vars.pop();
          break;
        }
      }
    }
  }
}

export class Template {
  private readonly nodes: Node[];
  constructor(private readonly src: string, private readonly funcs: Record<string, Func> = FUNCS) {
    this.nodes = new Parser(split(src)).parse();
  }

  execute(data: Value): string {
    const ev = new Evaluator(this.src, this.funcs);
    ev.run(this.nodes, data, { vars: [new Map([['$', data]])] });
    return ev.out;
  }

  /** The same template with other functions (docker renders table headers with neutral ones). */
  withFuncs(extra: Record<string, Func>): Template {
    return new Template(this.src, { ...this.funcs, ...extra });
  }
}

/** Functions for rendering a table header: they pass the header text through unchanged. */
export const HEADER_FUNCS: Record<string, Func> = {
  json: (v) => printValue(v),
  join: (v) => printValue(v),
  split: (v) => printValue(v),
  lower: (v) => printValue(v),
  upper: (v) => printValue(v),
  title: (v) => printValue(v),
  truncate: (v) => printValue(v),
  pad: (v) => printValue(v),
};

export function parseTemplate(src: string): Template {
  try {
    return new Template(src);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`template: :1: ${err.message}`);
    throw err;
  }
}
