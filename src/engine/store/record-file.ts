// One record in one JSON file: the on-disk format every engine store shares, and the durable read,
// write and delete of such a file. A record is stored as {"schemaVersion": N, "record": ...}; a file
// without that envelope was written before versions existed and is a version 1 record.
import { readFile } from 'node:fs/promises';
import { unlinkDurable, writeFileAtomic, type AtomicWriteOptions } from '../../lib/atomic-file.js';
import { NoSpaceError, SystemError, errorMessage } from '../../lib/errors.js';
import type { WarningSink } from '../../lib/best-effort.js';

/** What a store knows of the records it keeps. */
export interface RecordSchema<T> {
  /** What one record is, for messages: `container`, `network`, `volume`. */
  kind: string;
  /** The schema version this code writes (a positive integer; raise it when the shape changes). */
  version: number;
  /**
   * Turns a stored record of `version` (1 for a file written before versions existed) into the shape
   * of the current version. Called for every record read, the current version's too, so it may also
   * check the record: what it throws makes the record damaged. Absent: records are taken as they are.
   */
  migrate?(stored: unknown, version: number): T;
}

/** Where stores report damaged records and the leftovers of interrupted writes they clean. */
export interface StoreLog extends WarningSink {
  error(message: string): void;
}

/** A record file could not be read, written or removed; `path` names it. */
export class RecordFileError extends SystemError {
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A record file exists but holds no usable record (torn by hand, bad JSON, unknown version). */
export class DamagedRecordError extends RecordFileError {}

/**
 * A record a newer berthd wrote (its schema version is above ours): not damaged, only unreadable by
 * this version, so it stays where it is for the newer berthd to find after an upgrade.
 */
export class NewerRecordError extends DamagedRecordError {}

interface Envelope {
  schemaVersion: number;
  record: unknown;
}

export function encodeRecord<T>(schema: RecordSchema<T>, value: T): string {
  const envelope: Envelope = { schemaVersion: schema.version, record: value };
  return JSON.stringify(envelope, null, 2) + '\n';
}

/** Parses a record file's text into the current shape; DamagedRecordError (naming `path`) otherwise. */
export function decodeRecord<T>(schema: RecordSchema<T>, path: string, text: string): T {
  const damaged = (why: string, cause?: unknown) =>
    new DamagedRecordError(path, `${schema.kind} record ${path} is damaged: ${why}`, { cause });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw damaged(errorMessage(err), err);
  }
  const { version, stored } = isEnvelope(parsed) ? { version: parsed.schemaVersion, stored: parsed.record } : { version: 1, stored: parsed };
  if (!Number.isInteger(version) || version < 1) throw damaged(`schema version ${version} is not a version`);
  if (version > schema.version) {
    throw new NewerRecordError(path, `${schema.kind} record ${path} is damaged: schema version ${version} is newer than this berthd's (${schema.version}); a newer berthd wrote it`);
  }
  if (stored === null || typeof stored !== 'object') throw damaged(`not a JSON object or array`);
  if (!schema.migrate) return stored as T;
  try {
    return schema.migrate(stored, version);
  } catch (err) {
    throw damaged(errorMessage(err), err);
  }
}

/** Reads one record; undefined when the file does not exist. */
export async function readRecordFile<T>(schema: RecordSchema<T>, path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RecordFileError(path, `reading ${schema.kind} record ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return decodeRecord(schema, path, text);
}

/** Writes one record atomically (durably unless `options.durable` is false). */
export async function writeRecordFile<T>(
  schema: RecordSchema<T>, path: string, text: string, options?: AtomicWriteOptions,
): Promise<void> {
  try {
    await writeFileAtomic(path, text, options);
  } catch (err) {
    // A full disk answers as Docker's does: `write <path>: no space left on device`.
    if (err instanceof NoSpaceError) throw err;
    throw new RecordFileError(path, `saving ${schema.kind} record ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Removes one record, durably unless `durable` is false; false if there was none. */
export async function deleteRecordFile<T>(schema: RecordSchema<T>, path: string, durable = true): Promise<boolean> {
  try {
    return await unlinkDurable(path, durable);
  } catch (err) {
    throw new RecordFileError(path, `removing ${schema.kind} record ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

function isEnvelope(value: unknown): value is Envelope {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes('schemaVersion') && keys.includes('record');
}
