import { InvalidArgumentError } from '../../lib/errors.js';
import { parseDetachKeys } from '../../lib/detach-keys.js';

/** The body of POST /containers/{id}/exec (Docker's ExecConfig), checked and with defaults filled in. */
export interface ExecConfig {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  DetachKeys: string;
  Env: string[];
  WorkingDir: string;
  Cmd: string[];
  ConsoleSize?: { height: number; width: number };
}

const FIELDS: Record<string, 'string' | 'bool' | 'strings' | 'uints'> = {
  User: 'string', Privileged: 'bool', Tty: 'bool', AttachStdin: 'bool', AttachStdout: 'bool', AttachStderr: 'bool',
  Detach: 'bool', DetachKeys: 'string', Env: 'strings', WorkingDir: 'string', Cmd: 'strings', ConsoleSize: 'uints',
};
const GO_TYPE = { string: 'string', bool: 'bool', strings: '[]string', uints: '*[2]uint' };

/** Checks field types (Go's wording), the command and the detach keys, as dockerd does at create. */
export function parseExecConfig(body: unknown): ExecConfig {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(body)} into Go value of type container.ExecOptions`);
  }
  const raw = body as Record<string, unknown>;
  for (const [field, kind] of Object.entries(FIELDS)) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    const ok = kind === 'string' ? typeof v === 'string'
      : kind === 'bool' ? typeof v === 'boolean'
        : kind === 'strings' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
          : Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff);
    if (!ok) {
      throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(v)} into Go struct field ExecOptions.${field} of type ${GO_TYPE[kind]}`);
    }
  }
  const cmd = (raw.Cmd as string[] | null | undefined) ?? [];
  if (cmd.length === 0 || cmd[0] === '') throw new InvalidArgumentError('No exec command specified');
  const detachKeys = (raw.DetachKeys as string | undefined) ?? '';
  if (detachKeys) parseDetachKeys(detachKeys);
  const size = raw.ConsoleSize as [number, number] | null | undefined;
  return {
    User: (raw.User as string | undefined) ?? '',
    Privileged: raw.Privileged === true,
    Tty: raw.Tty === true,
    AttachStdin: raw.AttachStdin === true,
    AttachStdout: raw.AttachStdout === true,
    AttachStderr: raw.AttachStderr === true,
    DetachKeys: detachKeys,
    Env: (raw.Env as string[] | null | undefined) ?? [],
    WorkingDir: (raw.WorkingDir as string | undefined) ?? '',
    Cmd: cmd,
    ...(size && size[0]! > 0 && size[1]! > 0 ? { ConsoleSize: { height: size[0]!, width: size[1]! } } : {}),
  };
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}
