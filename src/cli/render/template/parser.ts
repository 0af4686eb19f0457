/**
 * The parser of the template engine: actions into a tree of text, pipelines and the control
 * structures (if/else if/else, range/else, with/else); define, template and block are refused.
 */
import { TemplateError, type Item, type Tok } from './lexer.js';
import type { Value } from './values.js';

export type Operand =
  | { type: 'dot' }
  | { type: 'field'; base: Operand | null; names: string[]; pos: number }
  | { type: 'var'; name: string }
  | { type: 'literal'; value: Value }
  | { type: 'ident'; name: string }
  | { type: 'sub'; pipe: Pipeline };
export interface Command {
  args: Operand[];
}
export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}
export type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipe: Pipeline }
  | { type: 'if' | 'with'; pipe: Pipeline; list: Node[]; elseList: Node[] }
  | { type: 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] };


export class Parser {
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
