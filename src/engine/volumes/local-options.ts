import { InvalidArgumentError } from '../../lib/errors.js';

/**
 * The options of the local driver: with `type` and `device` (and mount data in `o`), the volume is a
 * filesystem mounted on its _data directory while containers use it (`-o type=tmpfs -o device=tmpfs`,
 * an NFS export, a block device). Without options it is a plain directory.
 */
export interface LocalMountOptions {
  type: string;
  device: string;
  o?: string;
}

const KNOWN = new Set(['type', 'device', 'o', 'size']);

/** Validates driver options as Docker's local driver does; returns the mount to make, if any. */
export function parseLocalOptions(name: string, options: Record<string, string> | null | undefined): LocalMountOptions | undefined {
  if (!options || Object.keys(options).length === 0) return undefined;
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidArgumentError(`create ${name}: invalid option: ${JSON.stringify(key)}`);
  }
  if (options.size !== undefined) throw new InvalidArgumentError(`create ${name}: quota size requested but no quota support`);
  const { type, device, o } = options;
  if (!type && !device && !o) return undefined;
  if (!type) throw new InvalidArgumentError(`create ${name}: missing required option: "type"`);
  if (!device) throw new InvalidArgumentError(`create ${name}: missing required option: "device"`);
  // The options go to mount(8) as arguments: a leading dash would be read as a flag.
  for (const [key, value] of [['type', type], ['device', device], ['o', o ?? '']]) {
    if (value.startsWith('-')) throw new InvalidArgumentError(`create ${name}: invalid option ${key}: ${JSON.stringify(value)}`);
  }
  return { type, device, ...(o ? { o } : {}) };
}
