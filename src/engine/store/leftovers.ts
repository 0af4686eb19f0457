// What work cut short by a crash (kill -9, power loss) leaves on disk, and its removal at daemon start.
// Every store makes its results visible by one atomic step (a rename, or a record written with
// writeFileAtomic) after writing under a temp name; what a crash leaves is therefore never a result,
// only a temp name or an orphan, and each store's `open` sweeps those through here, so the log says
// what was removed and why.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { WarningSink } from '../../lib/best-effort.js';
import { orIfMissing } from '../../lib/errors.js';

/** Removes one leftover (a file or a whole tree) and tells `log` what it was. */
export async function removeLeftover(log: WarningSink, path: string, what: string): Promise<void> {
  log.warn(`removing ${path}: ${what}`);
  await rm(path, { recursive: true, force: true });
}

/**
 * Removes every entry of `dir` that `isLeftover` picks, telling `log` about each (`what` says what such
 * an entry is). A missing `dir` has none. Returns the names removed.
 */
export async function sweepLeftovers(
  log: WarningSink, dir: string, isLeftover: (name: string) => boolean, what: string,
): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await orIfMissing(readdir(dir), [])) {
    if (!isLeftover(name)) continue;
    await removeLeftover(log, join(dir, name), what);
    removed.push(name);
  }
  return removed;
}
