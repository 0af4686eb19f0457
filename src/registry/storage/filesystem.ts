// The filesystem driver: a directory tree under rootdirectory. Whole-file writes go to a temp file in
// the same directory, are fsynced and renamed into place, so a reader never sees half a file.
import { createReadStream, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { InvalidOffsetError, InvalidPathError, PathNotFoundError } from '../base/errors.js';
import { checkPath, type FileInfo, type FileWriter, type StorageDriver } from './driver.js';
import { registryLog } from '../base/log.js';
import { sendFileRange } from './sendfile.js';
import { bestEffort } from '../../lib/best-effort.js';
import { NoSpaceError, isErrno, isNoSpace } from '../../lib/errors.js';

const TEMP_PREFIX = '.berth-tmp-';
const NAME = 'filesystem';

export interface FilesystemOptions {
  rootdirectory: string;
}

export class FilesystemDriver implements StorageDriver {
  readonly name = NAME;
  private readonly root: string;

  constructor(options: FilesystemOptions) {
    this.root = resolve(options.rootdirectory);
  }

  /** Maps a driver path to a host path, refusing anything that would leave the root. */
  private full(path: string, allowRoot = false): string {
    checkPath(path, NAME, allowRoot);
    const full = resolve(this.root, '.' + path);
    if (full !== this.root && !full.startsWith(this.root + sep)) throw new InvalidPathError(path, NAME);
    return full;
  }

  private notFound(path: string, err: unknown): never {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PathNotFoundError(path, NAME);
    throw err;
  }

  async getContent(path: string, limit = 64 * 1024 * 1024): Promise<Buffer> {
    const file = this.full(path);
    let fh: FileHandle;
    try { fh = await open(file, 'r'); } catch (err) { this.notFound(path, err); }
    try {
      const { size } = await fh.stat();
      if (size > limit) throw new RangeError(`${path}: ${size} bytes is over the ${limit} byte limit`);
      const buf = Buffer.alloc(size);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await fh.read(buf, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return buf.subarray(0, read);
    } finally {
      await fh.close();
    }
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    await this.again(() => this.placeContent(path, content, rename));
  }

  async putContentExclusive(path: string, content: Uint8Array): Promise<boolean> {
    // link() fails with EEXIST where rename() would replace: the file appears whole, and only once.
    try {
      await this.again(() => this.placeContent(path, content, async (temp, file) => {
        try { await link(temp, file); } finally { await bestEffort(registryLog, `removing ${temp}`, unlink(temp)); }
      }));
      return true;
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw err;
    }
  }

  /**
   * Garbage collection removes empty directories (removeEmptyDirs): one may go between a write's mkdir
   * and its write, so the write is made again.
   */
  private async again(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= 3 || !isErrno(err, 'ENOENT')) throw err;
      }
    }
  }

  /** Writes `content` to a synced temp file beside `path`, then `place`s it (rename or link). */
  private async placeContent(path: string, content: Uint8Array, place: (temp: string, file: string) => Promise<void>): Promise<void> {
    const file = this.full(path);
    const made = await mkdir(dirname(file), { recursive: true }).catch((err: unknown) => { throw fullDisk(path, err); });
    const temp = join(dirname(file), TEMP_PREFIX + randomBytes(6).toString('hex'));
    try {
      const fh = await open(temp, 'w');
      try {
        await fh.writeFile(content);
        await fh.sync();
      } catch (err) {
        await fh.close();
        await bestEffort(registryLog, `removing ${temp}`, unlink(temp));
        throw err;
      }
      await fh.close();
      await place(temp, file);
    } catch (err) {
      // A failed first write in a new place (a full disk) leaves no empty directory a listing would show.
      await removeMadeDirs(dirname(file), made);
      throw fullDisk(path, err);
    }
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const file = this.full(path);
    let fh: FileHandle;
    try { fh = await open(file, 'r'); } catch (err) { this.notFound(path, err); }
    const { size } = await fh.stat();
    if (offset < 0 || offset > size) {
      await fh.close();
      throw new InvalidOffsetError(path, offset, NAME);
    }
    if (offset === size || length === 0) {
      await fh.close();
      const { Readable } = await import('node:stream');
      return Readable.from([]);
    }
    const end = length === undefined ? undefined : Math.min(size, offset + length) - 1;
    return createReadStream('', { fd: fh, start: offset, end, highWaterMark: 1024 * 1024, autoClose: true });
  }

  /**
   * Sends a file range with a few reused 256 KiB buffers: each is read into again only once the
   * socket has taken its bytes (the write callback), and reads go on while earlier writes drain.
   *
   * Reads from the page cache are done in place (`readSync`, a memory copy of some tens of
   * microseconds): a thread-pool round trip per 256 KiB cost more CPU than the copy itself (a pull of
   * 300 MiB took 150 ms of CPU instead of 60) and that CPU is taken from the client on a small host.
   * The first read goes through the thread pool, so a cold file is read from disk without blocking
   * and the kernel starts its read-ahead; a later in-place read that takes over a millisecond (the
   * disk, not the cache) sends the rest of the transfer back to the thread pool.
   */
  async pipeTo(path: string, out: Writable, offset: number, length: number): Promise<void> {
    const file = this.full(path);
    let fh: FileHandle;
    try { fh = await open(file, 'r'); } catch (err) { this.notFound(path, err); }
    try {
      const { size } = await fh.stat();
      if (offset < 0 || offset > size) throw new InvalidOffsetError(path, offset, NAME);
      const end = Math.min(size, offset + length);
      const free = Array.from({ length: 4 }, () => Buffer.allocUnsafe(256 * 1024));
      let reading: 'first' | 'in place' | 'thread pool' = 'first';
      let wake: (() => void) | undefined;
      const onClose = () => { wake?.(); };
      out.on('close', onClose);
      try {
        // sendfile (sendfile.ts) as far as it can; the loop below sends what it leaves.
        const start = await sendFileRange(out, fh.fd, offset, end, async (pos, length) => {
          const { bytesRead } = await fh.read(free[0], 0, Math.min(length, free[0].length, end - pos), pos);
          if (bytesRead > 0) await new Promise<void>((r) => out.write(free[0].subarray(0, bytesRead), () => r()));
          return bytesRead;
        });
        for (let pos = start; pos < end && !out.destroyed;) {
          while (free.length === 0 && !out.destroyed) await new Promise<void>((r) => { wake = r; });
          if (out.destroyed) break;
          const buf = free.pop()!;
          const want = Math.min(buf.length, end - pos);
          let bytesRead: number;
          if (reading === 'in place') {
            const t0 = performance.now();
            bytesRead = readSync(fh.fd, buf, 0, want, pos);
            if (performance.now() - t0 > SLOW_READ_MS) reading = 'thread pool';
          } else {
            bytesRead = (await fh.read(buf, 0, want, pos)).bytesRead;
            if (reading === 'first') reading = 'in place';
          }
          if (bytesRead === 0) throw new InvalidOffsetError(path, pos, NAME); // the file shrank under us
          pos += bytesRead;
          out.write(buf.subarray(0, bytesRead), () => {
            free.push(buf);
            const w = wake;
            wake = undefined;
            w?.();
          });
        }
        // Wait until every buffer has been handed back (all bytes taken by the socket).
        while (free.length < 4 && !out.destroyed) await new Promise<void>((r) => { wake = r; });
      } finally {
        out.off('close', onClose);
      }
    } finally {
      await fh.close();
    }
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const file = this.full(path);
    await mkdir(dirname(file), { recursive: true }).catch((err: unknown) => { throw fullDisk(path, err); });
    let existed = false;
    let startSize = 0;
    if (append) {
      try { startSize = (await stat(file)).size; existed = true; } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const fh = await open(file, append ? 'a' : 'w').catch((err: unknown) => { throw fullDisk(path, err); });
    return new FilesystemWriter(fh, path, file, startSize, existed);
  }

  async stat(path: string): Promise<FileInfo> {
    const file = this.full(path, true);
    try {
      const st = await stat(file);
      return { path, size: st.isDirectory() ? 0 : st.size, modTime: st.mtime, isDir: st.isDirectory() };
    } catch (err) { this.notFound(path, err); }
  }

  async list(path: string): Promise<string[]> {
    const dir = this.full(path, true);
    let names: string[];
    try { names = await readdir(dir); } catch (err) {
      if (path === '/' && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.notFound(path, err);
    }
    const prefix = path === '/' ? '' : path;
    return names.filter((n) => !n.startsWith(TEMP_PREFIX)).sort().map((n) => `${prefix}/${n}`);
  }

  async move(source: string, dest: string): Promise<void> {
    const from = this.full(source);
    const to = this.full(dest);
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(to), { recursive: true });
      try { return await rename(from, to); } catch (err) {
        // The destination's directory removed meanwhile (removeEmptyDirs): make it again.
        if (attempt < 3 && isErrno(err, 'ENOENT') && await stat(from).then(() => true, () => false)) continue;
        this.notFound(source, err);
      }
    }
  }

  async removeEmptyDirs(dir: string, stop: string): Promise<void> {
    const last = this.full(stop, true);
    for (let d = this.full(dir); d.startsWith(last + sep); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch (err) {
        if (isErrno(err, 'ENOTEMPTY', 'EEXIST')) return;
        if (!isErrno(err, 'ENOENT')) throw err;
      }
    }
  }

  async delete(path: string): Promise<void> {
    const file = this.full(path);
    try { await stat(file); } catch (err) { this.notFound(path, err); }
    await rm(file, { recursive: true, force: true });
  }
}

/**
 * ENOSPC as the one full-disk error, naming the driver's path (not the host's, which is the operator's
 * business): `write /docker/registry/v2/...: no space left on device`. Anything else unchanged.
 */
function fullDisk(path: string, err: unknown): unknown {
  return isNoSpace(err) && !(err instanceof NoSpaceError) ? new NoSpaceError('write', path, { cause: err }) : err;
}

/** Removes the directories `mkdir -p` made (`made`, the first, down to `dir`) while they are empty. */
async function removeMadeDirs(dir: string, made: string | undefined): Promise<void> {
  if (!made) return;
  for (let d = dir; d.startsWith(made); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch (err) {
      if (isErrno(err, 'ENOTEMPTY', 'EEXIST', 'ENOENT')) return; // another write uses it now
      throw err;
    }
    if (d === made) return;
  }
}

/** An in-place read slower than this came from the disk: go back to the thread pool. */
const SLOW_READ_MS = 1;

/** Bytes after which a writer starts flushing to disk in the background, so commit has little left. */
const FLUSH_EVERY = 32 * 1024 * 1024;

class FilesystemWriter implements FileWriter {
  private written = 0;
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  private flushError: unknown;
  private done = false;

  constructor(private readonly fh: FileHandle, private readonly path: string, private readonly file: string,
    private readonly startSize: number, private readonly existed: boolean) {}

  get size(): number { return this.startSize + this.written; }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error('write after commit or cancel');
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off).catch((err: unknown) => {
        throw fullDisk(this.path, err);
      });
      off += bytesWritten;
    }
    this.written += chunk.length;
    this.unflushed += chunk.length;
    if (this.unflushed >= FLUSH_EVERY && !this.flushing) {
      this.unflushed = 0;
      // A failed early flush is kept and reported by commit(), whose own datasync would hide it.
      this.flushing = this.fh.datasync().catch((err: unknown) => { this.flushError ??= err; }).finally(() => { this.flushing = undefined; });
    }
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('writer already closed');
    this.done = true;
    try {
      await this.flushing;
      if (this.flushError) throw this.flushError;
      await this.fh.datasync();
    } catch (err) {
      throw fullDisk(this.path, err);
    } finally { await this.fh.close(); }
  }

  async cancel(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.flushing;
    try {
      if (this.existed) await this.fh.truncate(this.startSize);
    } finally {
      await this.fh.close();
      if (!this.existed) await bestEffort(registryLog, `removing the cancelled upload ${this.file}`, unlink(this.file));
    }
  }
}
