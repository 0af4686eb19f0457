import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isTempName, unlinkIfExists } from '../../lib/atomic-file.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import { setAsideDamaged } from './damaged-record.js';
import {
  DamagedRecordError, NewerRecordError, deleteRecordFile, encodeRecord, readRecordFile, writeRecordFile, type RecordSchema, type StoreLog,
} from './record-file.js';

export interface RecordDocumentOptions<T> extends RecordSchema<T> {
  path: string;
  log: StoreLog;
}

/**
 * A store kept as one JSON document (the image references, the build cache's index): the record
 * format, durability and write order of RecordStore, for a single record. A damaged document is
 * reported and moved aside (damaged-record.ts), so the next save cannot overwrite it, and the store
 * starts empty; one that cannot be moved aside, or that a newer berthd wrote, stops `load` with
 * DamagedRecordError naming it.
 */
export class RecordDocument<T> {
  private readonly writes = new SerialQueue();

  constructor(private readonly options: RecordDocumentOptions<T>) {}

  get path(): string {
    return this.options.path;
  }

  /**
   * Reads the document (undefined when there is none yet, or when it was damaged and is moved aside) and removes leftovers of interrupted
   * writes beside it. Run it before the first save.
   */
  async load(): Promise<T | undefined> {
    const { path, log, kind } = this.options;
    const entries = await readdir(dirname(path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of entries) {
      if (!isTempName(name, basename(path))) continue;
      log.warn(`removing ${join(dirname(path), name)}, left by a ${kind} write that did not finish`);
      await unlinkIfExists(join(dirname(path), name));
    }
    try {
      return await readRecordFile(this.options, path);
    } catch (err) {
      // A newer berthd's document stops the start: moving it aside would lose it for that berthd.
      if (!(err instanceof DamagedRecordError) || err instanceof NewerRecordError || !(await setAsideDamaged(err, log))) throw err;
      return undefined;
    }
  }

  /**
   * Writes the document as `value` is now (later changes to the object are not written). Saves land
   * in the order they were called.
   */
  /** Resolves once every save and delete called so far has settled (at shutdown). */
  idle(): Promise<void> {
    return this.writes.idle();
  }

  save(value: T): Promise<void> {
    const text = encodeRecord(this.options, value);
    return this.writes.run(() => writeRecordFile(this.options, this.options.path, text));
  }

  /** Removes the document durably. */
  delete(): Promise<void> {
    return this.writes.run(async () => {
      await deleteRecordFile(this.options, this.options.path);
    });
  }
}
