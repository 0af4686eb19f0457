import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isTempName, syncDir, unlinkIfExists } from '../../lib/atomic-file.js';
import { KeyedSerialQueue } from '../../lib/keyed-serial-queue.js';
import { errorMessage } from '../../lib/errors.js';
import { hasSetAside, setAsideDamaged } from './damaged-record.js';
import { bestEffort } from '../../lib/best-effort.js';
import {
  DamagedRecordError, RecordFileError, deleteRecordFile, encodeRecord, readRecordFile, writeRecordFile,
  type RecordSchema, type StoreLog,
} from './record-file.js';

export interface RecordStoreOptions<T> extends RecordSchema<T> {
  /** The directory holding the records. */
  dir: string;
  /**
   * Absent: one file per record, `<dir>/<key>.json`. Given: `<dir>/<key>/<file>`, in a directory of
   * the key that its owner may fill with more (a container's log and layer).
   */
  file?: string;
  /** Which names in `dir` are keys; others are left alone. Default: all. */
  isKey?: (key: string) => boolean;
  /** Mode of the directories the store makes. */
  dirMode?: number;
  /** Temp files an older version wrote under another name than writeFileAtomic's, cleaned as well. */
  legacyTempName?: RegExp;
  log: StoreLog;
}

export interface PutOptions {
  /**
   * false: no fsync (see AtomicWriteOptions.durable), for state that changes often and that no
   * machine crash outlives (where a running container's network endpoints are), or whose loss the
   * next start mends.
   */
  durable?: boolean;
}

/**
 * A record file that `loadAll` could not use. A damaged one (DamagedRecordError) is moved aside to
 * `movedTo` (damaged-record.ts), for a person to look at; one that could not be read stays in place.
 */
export interface DamagedRecord {
  key: string;
  path: string;
  error: Error;
  movedTo?: string;
}

export interface LoadedRecords<T> {
  records: Map<string, T>;
  damaged: DamagedRecord[];
  /** Per-key layout only: key directories without a record (a create or a removal a crash cut short). */
  withoutRecord: string[];
  /**
   * Per-key layout only: key directories whose record was moved aside as damaged at an earlier start
   * (not reported again); what else the directory holds is left as it is.
   */
  setAside: string[];
}

/**
 * Records named by a key, one JSON file each, in one directory. Every put and delete is durable (temp
 * file, fsync, rename, fsync of the directory) and, per key, runs after the previous put or delete of
 * that key has finished: the last call lands last, and two writes of one record never interleave.
 * Records carry the schema version (RecordSchema) and pass its migration when read.
 */
export class RecordStore<T> {
  /** Writes of one key go one at a time; a key's queue lives only while it has work. */
  private readonly writes = new KeyedSerialQueue();

  constructor(private readonly options: RecordStoreOptions<T>) {}

  /** The file of `key`'s record. A key is one plain path segment (an ID, a name). */
  path(key: string): string {
    const { dir, file, kind } = this.options;
    if (!key || key === '.' || key === '..' || key.includes('/') || key.includes('\0')) {
      throw new RecordFileError(dir, `${JSON.stringify(key)} cannot name a ${kind} record in ${dir}`);
    }
    return file ? join(dir, key, file) : join(dir, `${key}.json`);
  }

  /**
   * Reads every record. Damaged records are reported to the log (with their path and why), moved
   * aside and left out; records that cannot be read are reported and left out; leftovers of
   * interrupted writes are removed. Run it before the first put or delete.
   */
  async loadAll(): Promise<LoadedRecords<T>> {
    const { dir, file, isKey, dirMode, log } = this.options;
    await mkdir(dir, { recursive: true, mode: dirMode });
    const out: LoadedRecords<T> = { records: new Map(), damaged: [], withoutRecord: [], setAside: [] };
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const name = entry.name;
      // Per-key layout: a directory per key; one file per record otherwise.
      if (file ? !entry.isDirectory() : !entry.isFile()) continue;
      if (!file && this.isTemp(name)) {
        await this.removeTemp(join(dir, name));
        continue;
      }
      const key = file ? name : name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined;
      if (key === undefined || (isKey && !isKey(key))) continue;
      if (file) {
        for (const inner of await readdir(join(dir, key))) {
          if (this.isTemp(inner, file)) await this.removeTemp(join(dir, key, inner));
        }
      }
      const path = this.path(key);
      try {
        const record = await readRecordFile(this.options, path);
        if (record !== undefined) out.records.set(key, record);
        else if (file) (await hasSetAside(join(dir, key), file) ? out.setAside : out.withoutRecord).push(key);
      } catch (err) {
        if (!(err instanceof RecordFileError)) throw err;
        if (err instanceof DamagedRecordError) {
          out.damaged.push({ key, path, error: err, movedTo: await setAsideDamaged(err, log) });
        } else {
          log.error(`${err.message}; leaving it out`);
          out.damaged.push({ key, path, error: err });
        }
      }
    }
    return out;
  }

  /** Writes `key`'s record (the value as it is now: later changes to the object are not written). */
  put(key: string, value: T, options: PutOptions = {}): Promise<void> {
    const text = encodeRecord(this.options, value);
    const { dirMode } = this.options;
    return this.serially(key, async () => {
      const path = this.path(key);
      try {
        await writeRecordFile(this.options, path, text, { dirMode, durable: options.durable });
      } catch (err) {
        // A first put that failed (a full disk) leaves no empty key directory behind.
        if (this.options.file) await bestEffort(this.options.log, `removing ${dirname(path)}`, () => removeDirIfEmpty(dirname(path)));
        throw err;
      }
    });
  }

  /**
   * Removes `key`'s record (durably unless `durable: false`), then runs `andThen` (where the owner
   * removes what else it keeps for the key), both before any later put or delete of the key. In the
   * per-key layout the key's directory goes too once nothing is left in it.
   */
  delete(key: string, andThen?: () => Promise<void>, options: PutOptions = {}): Promise<void> {
    return this.serially(key, async () => {
      const path = this.path(key);
      await deleteRecordFile(this.options, path, options.durable);
      await andThen?.();
      if (this.options.file) await removeDirIfEmpty(dirname(path));
    });
  }

  /** Resolves once every put and delete called so far has settled (at shutdown). */
  idle(): Promise<void> {
    return this.writes.idle();
  }

  private serially(key: string, job: () => Promise<void>): Promise<void> {
    return this.writes.run(key, job);
  }

  private isTemp(name: string, of?: string): boolean {
    return isTempName(name, of) || !!this.options.legacyTempName?.test(name);
  }

  private async removeTemp(path: string): Promise<void> {
    this.options.log.warn(`removing ${path}, left by a ${this.options.kind} record write that did not finish`);
    await unlinkIfExists(path);
  }
}

async function removeDirIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
    throw new RecordFileError(dir, `removing ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  await syncDir(dirname(dir));
}
