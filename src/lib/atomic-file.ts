import { open, rename, unlink, mkdir, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { noSpaceOr } from './errors.js';

export interface AtomicWriteOptions {
  /** Mode of a new file. */
  mode?: number;
  /** Mode of directories made on the way. */
  dirMode?: number;
  /**
   * false: skip the fsyncs. The rename still makes the file whole (old or new) after a crash of the
   * process, but a crash of the machine may lose the write. For state no machine crash outlives.
   */
  durable?: boolean;
}

/** The temp file `writeFileAtomic` writes first: `.<name>.<12 hex>.tmp` beside the target. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Whether a directory entry is a temp file of `writeFileAtomic` (of the file `of`, when given). */
export function isTempName(name: string, of?: string): boolean {
  const match = /^\.(.+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  return !!match && (of === undefined || match[1] === of);
}

/**
 * Writes `data` to `path` so that a crash at any moment leaves either the old content or the new one:
 * write a temp file beside it, fsync it, rename it over the target, fsync the directory (and the
 * parents of directories it had to make, so that the new path itself survives).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeAtomically(path, data, options);
  } catch (err) {
    // A full disk names the file being replaced, not its temp file.
    throw noSpaceOr(err, path);
  }
}

async function writeAtomically(path: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const { mode = 0o644, dirMode, durable = true } = options;
  const dir = dirname(path);
  const madeFrom = await mkdir(dir, { recursive: true, mode: dirMode });
  const tmp = tempPathFor(path);
  if (!durable) {
    // A failed write (a full disk) must not leave its temp file either.
    await writeFile(tmp, data, { mode }).then(() => rename(tmp, path)).catch(async (err: unknown) => {
      await unlinkIfExists(tmp);
      throw err;
    });
    return;
  }
  await writeSynced(tmp, 'w', mode, (fh) => fh.writeFile(data));
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlinkIfExists(tmp);
    throw err;
  }
  await syncDir(dir);
  if (madeFrom) for (const made of parentsOfMade(madeFrom, dir)) await syncDir(made);
}

/**
 * Creates `path` (open `flags`: 'w', or 'wx' to refuse an existing file), lets `write` fill it, fsyncs
 * and closes it. On any failure the file is closed and removed before the error is thrown: a temp file
 * is either whole and on disk, or gone.
 */
export async function writeSynced(path: string, flags: 'w' | 'wx', mode: number, write: (fh: FileHandle) => Promise<unknown>): Promise<void> {
  const fh = await open(path, flags, mode);
  try {
    await write(fh);
    await fh.sync();
  } catch (err) {
    try {
      await fh.close();
    } finally {
      await unlinkIfExists(path);
    }
    throw err;
  }
  await fh.close();
}

export async function writeJsonAtomic(path: string, value: unknown, options?: AtomicWriteOptions): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', options);
}

/**
 * Removes a file so that the removal survives a crash (fsyncs the directory; `durable` false skips
 * that, for an owner that mends a removal a crash undid). False if it was not there.
 */
export async function unlinkDurable(path: string, durable = true): Promise<boolean> {
  if (!(await unlinkIfExists(path))) return false;
  if (durable) await syncDir(dirname(path));
  return true;
}

/** Removes a file; false if it did not exist. Any other failure is thrown. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Reads a JSON file, or returns undefined when it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** fsyncs a directory, so that a rename or a new entry in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * `mkdir -p` made `first` and every directory below it down to `dir`: the parents whose entries are
 * new are the parent of `first` and each made directory above `dir` (`dir` itself is synced anyway).
 */
function parentsOfMade(first: string, dir: string): string[] {
  const out = [dirname(first)];
  const below = relative(first, dir);
  let current = first;
  for (const part of below ? below.split(sep) : []) {
    out.push(current);
    current = join(current, part);
  }
  return out;
}
