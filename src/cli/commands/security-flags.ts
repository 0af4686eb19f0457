/**
 * `--cap-add`, `--cap-drop` and `--security-opt` of run/create, turned into HostConfig fields as the
 * docker CLI does: capability names normalised (upper case, CAP_ prefix, ALL wins, an added capability
 * is not also dropped), a seccomp profile file sent as its compacted JSON, `systempaths=unconfined` as
 * empty MaskedPaths and ReadonlyPaths.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../base/errors.js';
import { collect } from './flags.js';

export interface SecurityFlags {
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
}

export function addSecurityFlags(cmd: Command): Command {
  return cmd
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, [])
    .option('--security-opt <list>', 'Security Options', collect, []);
}

function normalizeCaps(caps: string[]): string[] {
  const out = new Set<string>();
  for (const raw of caps) {
    const c = raw.trim().toUpperCase();
    out.add(c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`);
  }
  const sorted = [...out].sort();
  return sorted.includes('ALL') ? ['ALL'] : sorted;
}

/** The HostConfig fields these flags set (none when they were not given). */
export function securityFields(flags: SecurityFlags): Record<string, unknown> {
  const capAdd = normalizeCaps(flags.capAdd);
  const capDrop = normalizeCaps(flags.capDrop).filter((c) => !capAdd.includes(c));
  const out: Record<string, unknown> = {};
  if (capAdd.length) out.CapAdd = capAdd;
  if (capDrop.length) out.CapDrop = capDrop;
  const opts: string[] = [];
  for (const opt of flags.securityOpt) {
    if (opt === 'systempaths=unconfined') {
      out.MaskedPaths = [];
      out.ReadonlyPaths = [];
      continue;
    }
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const value = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || value === '') && key !== 'no-new-privileges') throw new CliError(`Invalid --security-opt: ${JSON.stringify(opt)}`, 125);
    opts.push(key === 'seccomp' && value !== 'builtin' && value !== 'unconfined' ? `seccomp=${readProfile(value)}` : opt);
  }
  if (opts.length) out.SecurityOpt = opts;
  return out;
}

/** A seccomp profile file, compacted, as the docker CLI sends it. */
function readProfile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`opening seccomp profile (${path}) failed: open ${path}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`, 125);
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (err) {
    throw new CliError(`compacting json for seccomp profile (${path}) failed: ${(err as Error).message}`, 125);
  }
}
