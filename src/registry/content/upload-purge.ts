// Abandoned uploads: an upload's last sign of life is its start (`startedat`, written by the registry's
// clock) or its last bytes (`data`'s modification time, the storage's clock). Those idle for longer than
// a maximum age are deleted. Garbage collection (gc-mark.ts) and the background purge of
// `storage.maintenance.uploadpurging` (upload-purging.ts) both go through here.
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { PathNotFoundError } from '../base/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import { layout } from './layout.js';

export interface PurgeOptions {
  /** Uploads idle for this long or longer are deleted. */
  maxAgeMs: number;
  /** Only report what would be deleted. */
  dryRun: boolean;
  /** The storage's clock (modification times are the storage's); Date.now when not given. */
  storageNow?: () => number;
  /** One line per upload purged (or that would be). */
  log(line: string): void;
}

export interface PurgeResult {
  /** The ids of the uploads deleted (or that would be, with dryRun). */
  purged: string[];
  /** How long each upload of the repository has been idle, purged or not. */
  idleMs: number[];
}

/** Purges the uploads of repository `name` idle for at least `maxAgeMs`; a missing _uploads is none. */
export async function purgeIdleUploads(driver: StorageDriver, name: string, options: PurgeOptions): Promise<PurgeResult> {
  const warnings: WarningSink = { warn: options.log };
  const storageNow = options.storageNow ?? Date.now;
  const result: PurgeResult = { purged: [], idleMs: [] };
  const dirs = (await orMissing(driver.list(layout.uploadsDir(name)))) ?? [];
  for (const dir of dirs) {
    const id = dir.slice(dir.lastIndexOf('/') + 1);
    let idle = Infinity;
    const started = await orMissing(driver.getContent(layout.uploadStartedAt(name, id), 1024));
    if (started && Number.isFinite(Date.parse(started.toString()))) idle = Date.now() - Date.parse(started.toString());
    const data = await orMissing(driver.stat(layout.uploadData(name, id)));
    if (data) idle = Math.min(idle, storageNow() - data.modTime.getTime());
    if (!started && !data) {
      // An upload being started: its `startedat` is still a temp file beside it (filesystem). The
      // directory's own time says how long it has been so (S3 has no directories: their time is 0).
      const made = await orMissing(driver.stat(dir));
      if (!made) continue; // gone meanwhile
      idle = storageNow() - made.modTime.getTime();
    }
    idle = Math.max(0, idle);
    result.idleMs.push(idle);
    if (idle < options.maxAgeMs) continue;
    options.log(`${name}: upload ${id} is abandoned${options.dryRun ? ' (would delete)' : ', deleting'}`);
    result.purged.push(id);
    if (!options.dryRun) await bestEffort(warnings, `${name}: deleting upload ${id}`, driver.delete(dir));
  }
  if (!options.dryRun) await driver.removeEmptyDirs?.(layout.uploadsDir(name), layout.repositoriesRoot);
  return result;
}

/** The value, or undefined when the path does not exist (an upload without a date or without bytes yet). */
async function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined;
    throw err;
  }
}
