// The Dockerfile syntax (moby/buildkit's frontend/dockerfile/parser and instructions packages, for what
// the classic builder understands): parser directives, comments, line continuations with the escape
// character, one instruction per logical line, `--flag=value` words, and the JSON (exec) form. Each
// instruction's arguments are checked here, so a bad Dockerfile is refused before anything is built,
// with Docker's wording: `dockerfile parse error on line 3: unknown instruction: FOO`.
import { InvalidArgumentError } from '../../lib/errors.js';
import { splitWords } from '../images/config-changes.js';

export interface Instruction {
  /** Lower case: `from`, `run`, `copy`... */
  keyword: string;
  /** Everything after the keyword and its flags, continuation lines joined, unexpanded. */
  args: string;
  /** `--name=value` words before the arguments (`--name` alone gives ''). */
  flags: Record<string, string>;
  /** The JSON array of the exec form, when the arguments are one. */
  json?: string[];
  /** The logical line as written (continuations joined): what `Step 1/5 : ...` shows. */
  original: string;
  /** 1-based line where the instruction starts (0 for steps the build adds, like `--label`). */
  line: number;
  /** A LABEL step made from `--label`: values taken as given, never expanded. */
  labels?: Record<string, string>;
}

export interface Stage {
  /** The image reference as written (`busybox`, `scratch`, `${BASE}`), unexpanded. */
  base: string;
  /** `AS name`, lower-cased as Docker does; '' when unnamed. */
  name: string;
  platform: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  escape: string;
  /** ARG instructions before the first FROM. */
  metaArgs: Instruction[];
  stages: Stage[];
}

const KEYWORDS = new Set(['add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label',
  'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir']);

/** Flags each instruction accepts (others are refused with `Unknown flag`); HEALTHCHECK's are its own. */
const FLAGS: Record<string, string[]> = {
  from: ['platform'], copy: ['from', 'chown', 'chmod'], add: ['chown', 'chmod'],
};

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export class DockerfileParseError extends InvalidArgumentError {
  constructor(readonly line: number, message: string) {
    super(`dockerfile parse error on line ${line}: ${message}`);
  }
}

/** Parses a Dockerfile; `name` is its path in the context, for the empty-file message. */
export function parseDockerfile(text: string, name = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  // Directives only count before anything else, each name once.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (seen.has(key)) throw new DockerfileParseError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileParseError(i + 1, `invalid escape token '${m[2]}' does not match \` or \\`);
      escape = m[2];
    }
  }
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const logical: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  for (; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && current)) continue;
    if (trimmed === '' && !current) continue;
    const piece = current ? raw : raw.replace(/^\s+/, '');
    const continues = continuation.test(piece);
    const text = continues ? piece.replace(continuation, '') : piece;
    if (current) current.text += text;
    else current = { text, line: i + 1 };
    if (!continues) {
      logical.push(current);
      current = undefined;
    }
  }
  if (current) logical.push(current);
  if (logical.length === 0) throw new InvalidArgumentError(`the Dockerfile (${name}) cannot be empty`);

  const result: Dockerfile = { escape, metaArgs: [], stages: [] };
  for (const { text, line } of logical) {
    const instruction = parseInstruction(text.trim(), line);
    if (instruction.keyword === 'from') {
      result.stages.push(parseFrom(instruction));
    } else if (result.stages.length === 0) {
      if (instruction.keyword !== 'arg') throw new InvalidArgumentError('no build stage in current context');
      result.metaArgs.push(instruction);
    } else {
      result.stages[result.stages.length - 1].instructions.push(instruction);
    }
  }
  return result;
}

/** Parses one logical line (also used for ONBUILD triggers). */
export function parseInstruction(text: string, line: number): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text)!;
  const keyword = m[1].toLowerCase();
  if (!KEYWORDS.has(keyword)) throw new DockerfileParseError(line, `unknown instruction: ${m[1].toUpperCase()}`);
  let rest = m[2];
  const flags: Record<string, string> = {};
  if (FLAGS[keyword]) {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      if (!FLAGS[keyword].includes(f[1])) throw new DockerfileParseError(line, `Unknown flag: ${f[1]}`);
      flags[f[1]] = f[2] ?? '';
      rest = rest.slice(f[0].length);
    }
  } else if (keyword === 'run') {
    const f = /^--(mount|network|security)\b/.exec(rest);
    if (f) throw new DockerfileParseError(line, `the --${f[1]} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
  }
  const args = rest.trim();
  const instruction: Instruction = { keyword, args, flags, original: text, line };
  const json = jsonArray(args);
  if (json) instruction.json = json;
  checkArguments(instruction);
  return instruction;
}

function parseFrom(instruction: Instruction): Stage {
  const words = splitWords(instruction.args);
  if (words.length !== 1 && !(words.length === 3 && words[1].toLowerCase() === 'as')) {
    throw new DockerfileParseError(instruction.line, 'FROM requires either one or three arguments');
  }
  const name = words.length === 3 ? words[2].toLowerCase() : '';
  if (name && !STAGE_NAME.test(name)) {
    throw new DockerfileParseError(instruction.line, `invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`);
  }
  return { base: words[0], name, platform: instruction.flags.platform ?? '', from: instruction, instructions: [] };
}

/** Docker's per-instruction argument counts, checked at parse time. */
function checkArguments(ins: Instruction): void {
  const name = ins.keyword.toUpperCase();
  const fail = (message: string): never => {
    throw new DockerfileParseError(ins.line, message);
  };
  const words = ins.json ?? splitWords(ins.args);
  switch (ins.keyword) {
    case 'env': case 'label': case 'arg': case 'expose': case 'volume': case 'onbuild': case 'shell': case 'run':
      if (ins.args === '' && ins.keyword !== 'run') fail(`${name} requires at least one argument`);
      if (ins.keyword === 'shell' && !ins.json) fail('SHELL requires the arguments to be in JSON form');
      if (ins.keyword === 'arg' && words.length !== 1) fail('ARG requires exactly one argument');
      break;
    case 'copy': case 'add':
      if (words.length < 2) {
        fail(words.length === 0 ? `${name} requires at least two arguments`
          : `${name} requires at least two arguments, but only one was provided. Destination could not be determined`);
      }
      break;
    case 'user': case 'workdir': case 'stopsignal': case 'maintainer':
      if (ins.args === '') fail(`${name} requires exactly one argument`);
      break;
    case 'healthcheck':
      if (ins.args === '') fail('HEALTHCHECK requires at least one argument');
      break;
  }
}

export function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // not JSON: the shell form
  }
  return undefined;
}
