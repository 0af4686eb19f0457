// The storage driver: a small filesystem-like interface every backend implements (modelled on
// distribution's storagedriver). Paths are absolute, "/"-separated, made of [A-Za-z0-9._:-] segments,
// never "." or ".."; checkPath() enforces that for every backend. Missing paths raise
// PathNotFoundError, bad paths InvalidPathError, bad offsets InvalidOffsetError (errors.ts).
import type { Readable, Writable } from 'node:stream';
import { InvalidPathError } from '../base/errors.js';

export interface FileInfo {
  path: string;
  /** Bytes for a file, 0 for a directory. */
  size: number;
  modTime: Date;
  isDir: boolean;
}

/**
 * Receives a file's bytes. Nothing written is visible at the path until commit() resolves;
 * commit() and cancel() always release the writer, even when they fail.
 */
export interface FileWriter {
  /** Appends bytes; resolves when the backend has accepted them (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes in the file so far, including those present before an append. */
  readonly size: number;
  /** Makes everything written durable and visible at the path. */
  commit(): Promise<void>;
  /** Discards what this writer wrote and any partial state. */
  cancel(): Promise<void>;
}

export interface StorageDriver {
  readonly name: string;
  /** Reads a whole small file (manifests, links); at most `limit` bytes. */
  getContent(path: string, limit?: number): Promise<Buffer>;
  /** Writes a whole small file atomically: readers see the old content or the new, never a mix. */
  putContent(path: string, content: Uint8Array): Promise<void>;
  /**
   * Writes a whole small file only if nothing is at `path` yet: true when it was written, false when
   * the path was taken. Atomic across every process on the same storage (the upload lock's ground).
   */
  putContentExclusive(path: string, content: Uint8Array): Promise<boolean>;
  /** Streams a file from `offset` (and at most `length` bytes). */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;
  /** A writer for `path`; with append it continues the bytes already written there. */
  writer(path: string, append: boolean): Promise<FileWriter>;
  stat(path: string): Promise<FileInfo>;
  /** The direct children of a directory, as full paths, sorted. */
  list(path: string): Promise<string[]>;
  /** Moves a file into place, replacing what is there. */
  move(source: string, dest: string): Promise<void>;
  /** Deletes a file or a whole directory tree. */
  delete(path: string): Promise<void>;
  /**
   * Optional: a URL from which a client may GET the file for a while without the registry (S3: a
   * presigned URL). Blob GETs are answered 307 to it unless storage.redirect.disable is true.
   */
  redirectURL?(path: string): Promise<string>;
  /** Releases connections and handles. */
  close?(): Promise<void>;
  /**
   * Optional: writes `length` bytes of a file from `offset` into `out`, with backpressure, for a
   * backend that can do better than reader() (the filesystem reuses its buffers). Stops early,
   * without error, when `out` is destroyed. Use copyToWritable(), which falls back to reader().
   */
  pipeTo?(path: string, out: Writable, offset: number, length: number): Promise<void>;
  /**
   * Optional: calls `fn` for every file under `root` with its size and modification time, for a
   * backend that lists a whole tree faster than list() + stat() per entry (S3 lists 1000 keys a
   * request). Order is the backend's. Use walkFiles(), which falls back to list() and stat().
   */
  walk?(root: string, fn: (info: FileInfo) => Promise<void> | void): Promise<void>;
  /**
   * Optional, for backends with real directories: removes `dir` and then its parents, up to but not
   * including `stop`, while they are empty. A writer racing with it makes its directory again.
   */
  removeEmptyDirs?(dir: string, stop: string): Promise<void>;
  /**
   * Optional: deletes files (never directories) in as few requests as the backend allows (S3: 1000
   * a request); a path already gone is no error. Resolves once every one is deleted. Use
   * deleteFiles(), which falls back to delete().
   */
  deleteFiles?(paths: string[]): Promise<void>;
}

/** Deletes files, batched when the driver can (driver.deleteFiles); a path already gone is no error. */
export async function deleteFiles(driver: StorageDriver, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  if (driver.deleteFiles) return driver.deleteFiles(paths);
  for (const path of paths) {
    try { await driver.delete(path); } catch (err) {
      if ((err as Error).name !== 'PathNotFoundError') throw err;
    }
  }
}

const PATH_RE = /^(\/[A-Za-z0-9._:-]+)+$/;

/** Throws InvalidPathError unless `path` is a clean absolute path (no "." or ".." segments). */
export function checkPath(path: string, driver: string, allowRoot = false): void {
  if (allowRoot && path === '/') return;
  if (!PATH_RE.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
    throw new InvalidPathError(path, driver);
  }
}

/** Calls `fn` for every file under `root` (driver.walk's order, else depth first, sorted); directories are descended. */
export async function walkFiles(driver: StorageDriver, root: string, fn: (info: FileInfo) => Promise<void> | void): Promise<void> {
  if (driver.walk) return driver.walk(root, fn);
  let children: string[];
  try {
    children = await driver.list(root);
  } catch (err) {
    if ((err as Error).name === 'PathNotFoundError') return;
    throw err;
  }
  for (const child of children) {
    let info: FileInfo;
    try { info = await driver.stat(child); } catch (err) {
      if ((err as Error).name === 'PathNotFoundError') continue;
      throw err;
    }
    if (info.isDir) await walkFiles(driver, child, fn);
    else await fn(info);
  }
}

/** Writes part of a file into `out` (pipeTo when the driver has it, reader() otherwise); does not end `out`. */
export async function copyToWritable(driver: StorageDriver, path: string, out: Writable, offset: number, length: number): Promise<void> {
  if (length === 0) return;
  if (driver.pipeTo) return driver.pipeTo(path, out, offset, length);
  const body = await driver.reader(path, offset, length);
  try {
    for await (const chunk of body) {
      if (out.destroyed) break;
      if (!out.write(chunk)) await drained(out);
    }
  } finally {
    body.destroy();
  }
}

/** Resolves on 'drain', or when the writable closes. */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { out.off('drain', done); out.off('close', done); resolve(); };
    out.on('drain', done);
    out.on('close', done);
  });
}
