// Records of the tombstones a collection's batch has out, so that a run that stopped without removing
// them (the process killed mid-sweep, a second Ctrl-C, a crash) does not leave them in force for the
// rest of their lease. Until the lease ends, a tombstone makes a manifest push that references the
// object wait and then fail with MANIFEST_BLOB_UNKNOWN (content/tombstones.ts): a dead run would block
// such pushes for up to 11 minutes.
//
// Before a batch writes its tombstones it writes `_gc/runs/<tombstone name>` (JSON: the host and pid
// of its process, the tombstone paths); once the tombstones are removed, the record goes. A record is
// stale when its lease has ended, or when it names this host and a process that is gone (or this pid, written
// before this process started: a container's pid 1 after a restart). `clearStoppedRuns` removes a stale
// record's tombstones, then the record: the registry calls it as it starts, and every collection
// before its mark. A record of a live process on another host is left to its lease.
import { hostname } from 'node:os';
import { bestEffort, type WarningSink } from '../lib/best-effort.js';
import { isErrno } from '../lib/errors.js';
import { PathNotFoundError } from './base/errors.js';
import { layout } from './content/layout.js';
import { isLiveTombstone } from './content/tombstones.js';
import { deleteFiles, type StorageDriver } from './storage/driver.js';

const RUNS = `${layout.root}/_gc/runs`;

interface RunRecord {
  host: string;
  pid: number;
  /** When the record was written (epoch ms, this host's clock). */
  written: number;
  tombstones: string[];
}

/** Writes the record of a batch's tombstones (named `tombstone`) before they are written. */
export async function recordTombstones(driver: StorageDriver, tombstone: string, paths: string[]): Promise<void> {
  const record: RunRecord = { host: hostname(), pid: process.pid, written: Date.now(), tombstones: paths };
  await driver.putContent(`${RUNS}/${tombstone}`, Buffer.from(JSON.stringify(record)));
}

/** Removes the record once its tombstones are gone. */
export async function forgetTombstones(driver: StorageDriver, tombstone: string): Promise<void> {
  await deleteFiles(driver, [`${RUNS}/${tombstone}`]);
  await driver.removeEmptyDirs?.(RUNS, layout.root);
}

const STARTED = Date.now() - process.uptime() * 1000;

function processGone(pid: number, written: number): boolean {
  // Our own pid: a run of an earlier process that had it (a container's pid 1 after a restart).
  if (pid === process.pid) return !(written >= STARTED);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return isErrno(err, 'ESRCH');
  }
}

/** Whether a record was left by a run that can no longer remove its tombstones. */
export function isStale(name: string, record: RunRecord | undefined, now: number): boolean {
  if (!isLiveTombstone(name, now)) return true;
  // Unreadable: its run may still be working; the lease decides.
  if (!record) return false;
  return record.host === hostname() && processGone(record.pid, record.written);
}

/**
 * Removes the tombstones of runs that stopped without removing them (see above) and their records;
 * the number of records cleared. Failures are reported to `warnings` and leave the record for the
 * next call.
 */
export async function clearStoppedRuns(driver: StorageDriver, warnings: WarningSink): Promise<number> {
  let names: string[];
  try {
    names = await driver.list(RUNS);
  } catch (err) {
    if (err instanceof PathNotFoundError) return 0;
    throw err;
  }
  let cleared = 0;
  for (const path of names) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    let record: RunRecord | undefined;
    try {
      record = JSON.parse((await driver.getContent(path, 16 * 1024 * 1024)).toString()) as RunRecord;
      if (!Array.isArray(record.tombstones) || typeof record.pid !== 'number') record = undefined;
    } catch (err) {
      if (err instanceof PathNotFoundError) continue; // its run removed it meanwhile
      if (!(err instanceof SyntaxError)) throw err;
    }
    if (!isStale(name, record, Date.now())) continue;
    const done = await bestEffort(warnings, `gc: removing the tombstones of a stopped run (${name})`, async () => {
      // Only the tombstones themselves: a path that is not one is never deleted from a record.
      await deleteFiles(driver, (record?.tombstones ?? []).filter((p) => p.endsWith(`/${name}`)));
      await forgetTombstones(driver, name);
      return true;
    });
    if (done) cleared++;
  }
  if (cleared > 0) warnings.warn(`gc: removed the tombstones of ${cleared} stopped collection batch(es)`);
  return cleared;
}
