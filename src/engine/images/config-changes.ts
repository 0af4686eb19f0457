// Dockerfile instructions applied to an image config without a build: `docker import -c` and
// `docker commit -c`. Only the instructions that change metadata are allowed, with Docker's messages.
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../lib/errors.js';
import { parseGoDuration } from '../../lib/go-duration.js';
import type { HealthConfig, ImageRuntimeConfig } from './image-config.js';

const ALLOWED = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/**
 * Applies `changes` (one instruction each, e.g. `CMD ["sh"]`, `ENV A=b`, `EXPOSE 80`) to a copy of
 * `base`. Throws InvalidArgumentError for anything Docker refuses, before any work is done. `vars`
 * (`KEY=value`, a build's ARGs) are expanded too, the config's Env winning over them.
 */
export function applyChanges(base: ImageRuntimeConfig, changes: string[], vars: string[] = []): ImageRuntimeConfig {
  const config: ImageRuntimeConfig = structuredClone(base);
  const lines = changes.flatMap((c) => c.split('\n')).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const parsed = lines.map((line) => {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    return { instruction: m[1].toLowerCase(), rest: m[2].trim() };
  });
  for (const { instruction } of parsed) {
    if (!ALLOWED.has(instruction)) throw new InvalidArgumentError(`${instruction} is not a valid change command`);
  }
  let cmdSet = false;
  for (const { instruction, rest } of parsed) {
    const name = instruction.toUpperCase();
    const env = [...vars, ...(config.Env ?? [])];
    switch (instruction) {
      case 'cmd':
        config.Cmd = commandLine(rest);
        cmdSet = true;
        break;
      case 'entrypoint':
        config.Entrypoint = commandLine(rest);
        if (!cmdSet) config.Cmd = null;
        break;
      case 'env':
        for (const [key, value] of nameValues(name, rest, env)) config.Env = setEnv(config.Env ?? [], key, value);
        break;
      case 'label':
        config.Labels ??= {};
        for (const [key, value] of nameValues(name, rest, env)) config.Labels[key] = value;
        break;
      case 'expose': {
        const ports = splitWords(rest).map((w) => processWord(w, env));
        if (ports.length === 0) throw new InvalidArgumentError('EXPOSE requires at least one argument');
        config.ExposedPorts ??= {};
        for (const spec of ports) for (const port of parsePortSpec(spec)) config.ExposedPorts[port] = {};
        break;
      }
      case 'user':
        config.User = processWord(single(name, rest), env);
        break;
      case 'workdir': {
        const dir = processWord(single(name, rest), env);
        config.WorkingDir = posix.isAbsolute(dir) ? posix.normalize(dir) : posix.join(config.WorkingDir || '/', dir);
        break;
      }
      case 'volume': {
        const list = jsonArray(rest) ?? splitWords(rest).map((w) => processWord(w, env));
        if (list.length === 0) throw new InvalidArgumentError('VOLUME requires at least one argument');
        config.Volumes ??= {};
        for (const v of list) {
          if (v.trim() === '') throw new InvalidArgumentError('VOLUME specified can not be an empty string');
          config.Volumes[v] = {};
        }
        break;
      }
      case 'stopsignal': {
        const signal = processWord(single(name, rest), env);
        if (!isSignal(signal)) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
        config.StopSignal = signal;
        break;
      }
      case 'onbuild': {
        const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
        if (!m) throw new InvalidArgumentError('ONBUILD requires at least one argument');
        const trigger = m[1].toUpperCase();
        if (trigger === 'ONBUILD') throw new InvalidArgumentError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (trigger === 'FROM' || trigger === 'MAINTAINER') throw new InvalidArgumentError(`${trigger} isn't allowed as an ONBUILD trigger`);
        config.OnBuild = [...(config.OnBuild ?? []), `${trigger} ${m[2]}`.trim()];
        break;
      }
      case 'healthcheck':
        config.Healthcheck = healthcheck(rest);
        break;
    }
  }
  return config;
}

/** Exec form (a JSON array of strings) or shell form (`/bin/sh -c <rest>`). */
function commandLine(rest: string): string[] {
  const exec = jsonArray(rest);
  if (exec) return exec;
  return rest === '' ? ['/bin/sh', '-c'] : ['/bin/sh', '-c', rest];
}

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // not JSON: the shell form
  }
  return undefined;
}

function single(name: string, rest: string): string {
  if (rest === '') throw new InvalidArgumentError(`${name} requires exactly one argument`);
  if (name !== 'WORKDIR' && name !== 'USER' && splitWords(rest).length !== 1) throw new InvalidArgumentError(`${name} requires exactly one argument`);
  return rest;
}

function setEnv(env: string[], key: string, value: string): string[] {
  return [...env.filter((e) => e.split('=')[0] !== key), `${key}=${value}`];
}

/** `k=v k2="v 2"` or the legacy `k some value` form of ENV and LABEL. */
function nameValues(name: string, rest: string, env: string[]): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw new InvalidArgumentError(`${name} requires at least one argument`);
  if (!words[0].includes('=')) {
    if (words.length === 1) throw new InvalidArgumentError(`${name} must have two arguments`);
    const key = words[0];
    const value = rest.slice(rest.indexOf(key) + key.length).trim();
    return [[key, processWord(value, env)]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    return [processWord(word.slice(0, eq), env), processWord(word.slice(eq + 1), env)];
  });
}

/** Splits on whitespace outside quotes; quotes and escapes stay in the words for processWord. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      word += ch;
      if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else if (ch === quote) quote = '';
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += ch;
    if (ch === '\\' && i + 1 < text.length) word += text[++i];
    else if (ch === '"' || ch === "'") quote = ch;
  }
  if (inWord) words.push(word);
  return words;
}

/** Removes quotes and escapes and expands $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt} from `env`. */
export function processWord(word: string, env: string[]): string {
  const lookup = (key: string): string | undefined => {
    for (let i = env.length - 1; i >= 0; i--) if (env[i].startsWith(key + '=')) return env[i].slice(key.length + 1);
    return undefined;
  };
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const ch = word[i];
    if (quote === "'") {
      if (ch === "'") quote = '';
      else out += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < word.length) {
      const next = word[i + 1];
      if (quote === '"' && !['"', '\\', '$'].includes(next)) out += ch;
      else i++;
      out += next;
      continue;
    }
    if (ch === '"') {
      quote = quote ? '' : '"';
      continue;
    }
    if (ch === "'" && !quote) {
      quote = "'";
      continue;
    }
    if (ch === '$') {
      const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}/.exec(word.slice(i));
      const plain = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(word.slice(i));
      if (braced) {
        const value = lookup(braced[1]);
        if (braced[2] === '-') out += value ? value : braced[3];
        else if (braced[2] === '+') out += value ? braced[3] : '';
        else out += value ?? '';
        i += braced[0].length - 1;
        continue;
      }
      if (plain) {
        out += lookup(plain[1]) ?? '';
        i += plain[0].length - 1;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** `80`, `80/udp`, `8000-8002/tcp` into Docker's `port/proto` keys. */
export function parsePortSpec(spec: string): string[] {
  const [range, proto = 'tcp', extra] = spec.split('/');
  if (extra !== undefined || !['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new InvalidArgumentError(`invalid proto: ${proto}`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m) throw new InvalidArgumentError(`Invalid containerPort: ${range}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535) throw new InvalidArgumentError(`Invalid containerPort: ${range}`);
  if (end < start) throw new InvalidArgumentError(`invalid range specified for container port: ${range}`);
  const ports: string[] = [];
  for (let p = start; p <= end; p++) ports.push(`${p}/${proto.toLowerCase()}`);
  return ports;
}

const SIGNALS = new Set(['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE',
  'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1',
  'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ']);

export function isSignal(text: string): boolean {
  if (/^\d+$/.test(text)) return Number(text) > 0 && Number(text) <= 64;
  const name = text.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(name) || /^RTM(IN|AX)([+-]\d+)?$/.test(name);
}

function healthcheck(rest: string): HealthConfig {
  const words = splitWords(rest);
  const health: HealthConfig = {};
  const durations: Record<string, keyof HealthConfig> = {
    interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval',
  };
  let i = 0;
  for (; i < words.length && words[i].startsWith('--'); i++) {
    const [flag, value = ''] = words[i].slice(2).split(/=(.*)/s);
    if (flag === 'retries') {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`Invalid value for retries: ${value}`);
      health.Retries = Number(value);
    } else if (durations[flag]) {
      (health as Record<string, number>)[durations[flag]] = parseDuration(flag, value);
    } else {
      throw new InvalidArgumentError(`Unknown flag: ${flag}`);
    }
  }
  const kind = (words[i] ?? '').toUpperCase();
  const after = rest.slice(rest.indexOf(words[i] ?? '') + (words[i] ?? '').length).trim();
  if (kind === 'NONE') {
    if (i !== 0 || after !== '') throw new InvalidArgumentError('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (kind !== 'CMD') throw new InvalidArgumentError(`Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
  const exec = jsonArray(after);
  if (exec) health.Test = ['CMD', ...exec];
  else if (after) health.Test = ['CMD-SHELL', after];
  else throw new InvalidArgumentError('Missing command after HEALTHCHECK CMD');
  return health;
}

/**
 * A HEALTHCHECK duration flag (`--interval=30s`) in nanoseconds, as the builder's parseOptInterval:
 * Go's syntax; 0 means the default; anything else under 1ms is refused.
 */
export function parseDuration(flag: string, text: string): number {
  let ns: number;
  try {
    ns = text === '' ? 0 : parseGoDuration(text);
  } catch {
    throw new InvalidArgumentError(`time: invalid duration "${text}" for --${flag}`);
  }
  if (ns !== 0 && ns < 1e6) throw new InvalidArgumentError(`Interval "${flag}" cannot be less than 1ms`);
  return ns;
}
