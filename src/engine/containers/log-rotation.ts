// Log rotation (`--log-opt max-size=10m --log-opt max-file=3`, Docker's json-file and local options).
//
// conmon enforces the size itself (`--log-size-max`): before a record would take the file past it,
// conmon closes the file, creates `<log>.tmp` and renames it over `<log>`, so no file grows past
// max-size whatever berthd does, even while berthd is down. conmon keeps no older file: the replaced
// one is unlinked. To keep max-file - 1 older files, berthd holds a second name for the current file
// (`<log>.held`, a hard link); when the watch below sees that `<log>` names another file, the held
// one (complete: conmon closed it before the rename) becomes `<log>.1`, the older ones move up, the
// oldest beyond max-file goes, and the new current file is held. Readers (runtime/log-files.ts) read
// `<log>.N` ... `<log>.1`, `<log>` as one log. If conmon replaced the file twice between two looks
// (a few ms while the log grows), the middle file is lost, as it is while berthd is down: the disk
// stays bounded either way.
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { SystemError, errorMessage, orIfMissing } from '../../lib/errors.js';
import type { LogConfig } from './log-drivers.js';

export interface RotationPolicy {
  /** Bytes per file (conmon's --log-size-max). */
  maxSize: number;
  /** Files kept, the current one included. */
  maxFile: number;
}

/** go-units' FromHumanSize (what dockerd parses max-size with): decimal units, k = 1000. */
export function parseHumanSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) return undefined;
  const unit = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  const value = Number(m[1]);
  return Number.isFinite(value) ? Math.floor(value * unit) : undefined;
}

const loggingError = (message: string) => new SystemError(`failed to initialize logging driver: ${message}`);

function atoi(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

/** Go's strconv.ParseBool. */
function parseBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

/**
 * The rotation a container's log options ask for, checked as dockerd checks them when it starts
 * the container (its messages, a 500 "failed to initialize logging driver: ..."); undefined when
 * the log is not rotated. json-file rotates only with max-size (max-file defaults to 1: the file is
 * started again); local defaults to 20 MB and 5 files.
 */
export function rotationPolicy(config: LogConfig): RotationPolicy | undefined {
  const o = config.Config ?? {};
  try {
    if (config.Type === 'local') return localPolicy(o);
    if (config.Type !== 'json-file' && config.Type !== 'k8s-file') return undefined;
    let maxSize = -1;
    if (o['max-size'] !== undefined) {
      const size = parseHumanSize(o['max-size']);
      if (size === undefined) throw new Error(`invalid size: '${o['max-size']}'`);
      if (size <= 0) throw new Error('max-size must be a positive number');
      maxSize = size;
    }
    let maxFile = 1;
    if (o['max-file'] !== undefined) {
      maxFile = atoi(o['max-file']);
      if (maxFile < 1) throw new Error('max-file cannot be less than 1');
    }
    if (o.compress !== undefined && parseBool(o.compress) && (maxFile === 1 || maxSize === -1)) {
      throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
    return maxSize > 0 ? { maxSize, maxFile } : undefined;
  } catch (err) {
    throw loggingError(errorMessage(err));
  }
}

function localPolicy(o: Record<string, string>): RotationPolicy {
  let maxSize = 20 * 1024 * 1024;
  let maxFile = 5;
  if (o['max-size'] !== undefined) {
    const size = parseHumanSize(o['max-size']);
    if (size === undefined) throw new Error(`invalid value for max-size: ${o['max-size']}: invalid size: '${o['max-size']}'`);
    maxSize = size;
  }
  if (o['max-file'] !== undefined) {
    try { maxFile = atoi(o['max-file']); } catch (err) { throw new Error(`invalid value for max-file: ${o['max-file']}: ${errorMessage(err)}`); }
  }
  let compress = true;
  if (o.compress !== undefined) {
    try { compress = parseBool(o.compress); } catch (err) { throw new Error(`error reading compress log option: ${errorMessage(err)}`); }
  }
  if (maxSize < 0) throw new Error('max size should be a positive number');
  if (maxFile < 0) throw new Error('max file count cannot be less than 0');
  if (compress && maxFile <= 1) throw new Error('compression cannot be enabled when max file count is 1');
  // 0 means unlimited for the local driver.
  return { maxSize: maxSize || Number.MAX_SAFE_INTEGER, maxFile: maxFile || 1 };
}

const held = (logPath: string) => `${logPath}.held`;

/** Moves the rotated files up by one (dropping the oldest beyond maxFile) and makes `from` the `.1`. */
async function shiftInto(logPath: string, maxFile: number, from: string): Promise<void> {
  await orIfMissing(unlink(`${logPath}.${maxFile - 1}`), undefined);
  for (let k = maxFile - 2; k >= 1; k--) await orIfMissing(rename(`${logPath}.${k}`, `${logPath}.${k + 1}`), undefined);
  await orIfMissing(rename(from, `${logPath}.1`), undefined);
}

/**
 * Before conmon starts for a run: conmon counts the file's size from 0 whatever the file holds, so
 * a log that already has lines is rotated first (with max-file 1 it is kept and may grow to its
 * size plus max-size once). The current file is created and held.
 */
export async function prepareRotatedLog(logPath: string, policy: RotationPolicy): Promise<void> {
  if (policy.maxFile <= 1) return;
  await orIfMissing(unlink(held(logPath)), undefined);
  const size = (await orIfMissing(stat(logPath), undefined))?.size ?? 0;
  if (size > 0) await shiftInto(logPath, policy.maxFile, logPath);
  await (await open(logPath, 'a', 0o600)).close();
  await link(logPath, held(logPath));
}

/**
 * One look at a running container's log: when conmon has replaced the current file, the held one
 * is rotated and the new one held. Returns the current file's size (for how soon to look again).
 */
export async function rotateIfReplaced(logPath: string, maxFile: number): Promise<number | undefined> {
  const [current, kept] = await Promise.all([orIfMissing(stat(logPath), undefined), orIfMissing(stat(held(logPath)), undefined)]);
  if (!current) return undefined;
  if (kept?.ino === current.ino) return current.size;
  if (kept) await shiftInto(logPath, maxFile, held(logPath));
  await link(logPath, held(logPath)).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
    // Replaced again meanwhile by a link of another look: take the newest.
    await unlink(held(logPath));
    await link(logPath, held(logPath));
  });
  return current.size;
}
