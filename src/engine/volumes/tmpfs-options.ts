import { InvalidArgumentError } from '../../lib/errors.js';

/** Mount data for a `--mount type=tmpfs` (TmpfsOptions), in Docker's form: `ro,mode=1770,size=64m`. */
export function tmpfsData(opts: { SizeBytes?: number; Mode?: number; Options?: string[][] } | undefined, readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (opts?.Mode) {
    if (!Number.isInteger(opts.Mode) || opts.Mode < 0) throw new InvalidArgumentError(`invalid mount config for type "tmpfs": invalid mode: ${opts.Mode}`);
    out.push(`mode=${opts.Mode.toString(8)}`);
  }
  if (opts?.SizeBytes) {
    if (!Number.isInteger(opts.SizeBytes) || opts.SizeBytes < 0) throw new InvalidArgumentError(`invalid mount config for type "tmpfs": invalid size: ${opts.SizeBytes}`);
    out.push(`size=${humanSize(opts.SizeBytes)}`);
  }
  for (const option of opts?.Options ?? []) {
    if (!Array.isArray(option) || option.length < 1 || option.length > 2) throw new InvalidArgumentError('invalid mount config for type "tmpfs": invalid option array length');
    if (option[0] !== 'exec' && option[0] !== 'noexec') throw new InvalidArgumentError(`invalid mount config for type "tmpfs": invalid option: ${option[0]}`);
    out.push(option.join('='));
  }
  return out.join(',');
}

/**
 * The mount options runc gets for a tmpfs: Docker's defaults (noexec, nosuid, nodev, rprivate) with
 * the user's data merged over them, a later flag replacing its opposite and a later key=value its key.
 */
export function tmpfsMountOptions(data: string): string[] {
  const opposites: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro' };
  const merged: string[] = [];
  for (const option of ['noexec', 'nosuid', 'nodev', 'rprivate', ...data.split(',').filter(Boolean)]) {
    const key = option.split('=')[0];
    const clash = merged.findIndex((o) => o === opposites[option] || (option.includes('=') && o.split('=')[0] === key) || o === option);
    if (clash >= 0) merged.splice(clash, 1);
    merged.push(option);
  }
  return merged;
}

function humanSize(bytes: number): string {
  for (const [suffix, div] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
    if (bytes % div === 0) return `${bytes / div}${suffix}`;
  }
  return String(bytes);
}
