/**
 * A small evaluator for the Go text/template subset people type in `--format`: fields and chains
 * (`{{.State.Status}}`), methods with arguments (`{{.Label "k"}}`), pipelines, variables, `if`/`else`,
 * `range`, `with`, and docker's functions plus Go's builtins (see functions.ts). Missing map keys are
 * errors, as docker runs templates with missingkey=error.
 */
import { Evaluator } from './evaluate.js';
import { FUNCS, type Func } from './functions.js';
import { TemplateError, split } from './lexer.js';
import { Parser, type Node } from './parser.js';
import type { Value } from './values.js';

export { TemplateError } from './lexer.js';
export { HEADER_FUNCS, type Func } from './functions.js';
export { printValue, truth, type JsonMarshaler } from './values.js';

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

export function parseTemplate(src: string): Template {
  try {
    return new Template(src);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`template: :1: ${err.message}`);
    throw err;
  }
}
