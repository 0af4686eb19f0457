/**
 * The evaluator of the template engine: runs a parsed tree against data, with variables in nested
 * scopes, Go's error texts ("template: :1:2: executing ...") and missingkey=error for maps.
 */
import { TemplateError } from './lexer.js';
import type { Func } from './functions.js';
import type { Node, Operand, Pipeline, Command } from './parser.js';
import { isMap, printNull, printValue, truth, type Value } from './values.js';

function lastFieldName(pipe: Pipeline): string | undefined {
  const cmd = pipe.cmds[pipe.cmds.length - 1];
  const op = cmd?.args.length === 1 ? cmd.args[0] : undefined;
  return op?.type === 'field' ? op.names[op.names.length - 1] : undefined;
}

export interface Scope {
  vars: Map<string, Value>[];
}

export class Evaluator {
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
