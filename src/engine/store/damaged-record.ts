// What every store does with a record file it cannot use: report it with its path and move it aside,
// in its own directory, as `<file>.damaged-<UTC time>`. The daemon then starts without it, the other
// records load, a person can look at (or restore) the file, and the next start does not report it again.
import { readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDir } from '../../lib/atomic-file.js';
import { errorMessage } from '../../lib/errors.js';
import { DamagedRecordError, NewerRecordError, type StoreLog } from './record-file.js';

const MARK = '.damaged-';

/** `container.json.damaged-20240101T120000Z`: the name a damaged `file` is moved to. */
export function setAsideName(file: string, at: Date = new Date()): string {
  return `${file}${MARK}${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/** True for a name `setAsideName` made of `file` (of any file when `file` is absent). */
export function isSetAsideName(name: string, file?: string): boolean {
  const at = name.lastIndexOf(MARK);
  return at > 0 && (file === undefined || name.slice(0, at) === file);
}

/** True when `dir` holds a set-aside copy of `file` (a record moved aside at an earlier start). */
export async function hasSetAside(dir: string, file: string): Promise<boolean> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.some((n) => isSetAsideName(n, file));
}

/**
 * Reports the damaged record `err` names (at error level, with why) and moves it aside durably.
 * Resolves with the new path, or undefined when it stays in place (also reported, and again at the
 * next start): a record of a newer berthd (NewerRecordError), or a rename that failed.
 */
export async function setAsideDamaged(err: DamagedRecordError, log: StoreLog): Promise<string | undefined> {
  if (err instanceof NewerRecordError) {
    log.error(`${err.message}; leaving it out and in place`);
    return undefined;
  }
  const target = join(dirname(err.path), setAsideName(basename(err.path)));
  try {
    await rename(err.path, target);
    await syncDir(dirname(err.path));
  } catch (renameErr) {
    log.error(`${err.message}; leaving it out (it could not be moved aside: ${errorMessage(renameErr)})`);
    return undefined;
  }
  log.error(`${err.message}; leaving it out, moved aside to ${target}`);
  return target;
}
