import { open, stat, type FileHandle } from 'node:fs/promises';
import { orIfMissing } from '../../lib/errors.js';

/**
 * A container's log as one byte range over its files: the rotated ones (`<log>.N` ... `<log>.1`,
 * oldest first) and the current one, as if they were one file. conmon and the rotation
 * (containers/log-rotation.ts) only ever cut a file between two whole records, so the joined bytes
 * are a valid k8s-file log, and offsets into them (tail, bisection) work across rotations.
 *
 * The current file may grow while it is read. When it is replaced (conmon renames a new empty file
 * over the path once the current one holds `--log-size-max` bytes, after closing the old one),
 * `advance()` finishes the old file at its final size and appends the new one, so a follower
 * reads on without missing or repeating a byte.
 */

interface Part {
  fh: FileHandle;
  ino: number;
  /** Offset of the file's first byte in the joined range. */
  start: number;
  /** Size when it was last looked at (final for all but the last part). */
  size: number;
}

/** How many rotated files are looked for at most (dockerd keeps as many as max-file says). */
const MAX_ROTATED = 1000;

export class LogFileSet {
  private constructor(private readonly path: string, private readonly parts: Part[]) {}

  /**
   * Opens the log at `path` and, with `rotated`, the files rotated from it. A missing current file
   * is an empty log (conmon creates it when the container is created).
   */
  static async open(path: string, options: { rotated?: boolean } = {}): Promise<LogFileSet> {
    const opened: { fh: FileHandle; ino: number; size: number }[] = [];
    const seen = new Set<number>();
    try {
      // The current file first: a rotation in the middle of this then shows the same file under
      // `.1`, which is left out by its inode.
      const names = [path];
      if (options.rotated) for (let i = 1; i <= MAX_ROTATED; i++) names.push(`${path}.${i}`);
      for (const name of names) {
        const fh = await orIfMissing(open(name, 'r'), undefined);
        if (!fh) break;
        const st = await fh.stat();
        if (seen.has(st.ino)) { await fh.close(); continue; }
        seen.add(st.ino);
        opened.push({ fh, ino: st.ino, size: st.size });
      }
    } catch (err) {
      await Promise.all(opened.map((o) => o.fh.close()));
      throw err;
    }
    opened.reverse();
    let start = 0;
    const parts = opened.map((o) => { const p = { ...o, start }; start += o.size; return p; });
    return new LogFileSet(path, parts);
  }

  /** Whether there is any file at all (the current one may not exist yet). */
  get exists(): boolean {
    return this.parts.length > 0;
  }

  /** The joined size as of the last look. */
  get size(): number {
    const last = this.parts.at(-1);
    return last ? last.start + last.size : 0;
  }

  /**
   * Reads up to `length` bytes at `pos` of the joined range into `buf` (never across a file's end,
   * so it may return fewer); 0 at the end of the last file.
   */
  async read(buf: Buffer, offset: number, length: number, pos: number): Promise<number> {
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const p = this.parts[i]!;
      if (pos < p.start) continue;
      const last = i === this.parts.length - 1;
      if (!last && pos >= p.start + p.size) return 0;
      const max = last ? length : Math.min(length, p.start + p.size - pos);
      if (max <= 0) return 0;
      const { bytesRead } = await p.fh.read(buf, offset, max, pos - p.start);
      if (last && pos - p.start + bytesRead > p.size) p.size = pos - p.start + bytesRead;
      return bytesRead;
    }
    return 0;
  }

  /**
   * For a reader at the end of the last file: when the path now names another file (a rotation),
   * the old one's final size is taken and the new one is appended; true when it did. Before the
   * first file exists, opens it when it appears.
   */
  async advance(): Promise<boolean> {
    const last = this.parts.at(-1);
    const st = await orIfMissing(stat(this.path), undefined);
    if (!st || st.ino === last?.ino) return false;
    const fh = await orIfMissing(open(this.path, 'r'), undefined);
    if (!fh) return false;
    const ino = (await fh.stat()).ino;
    if (ino === last?.ino) { await fh.close(); return false; }
    const start = last ? last.start + (await last.fh.stat()).size : 0;
    if (last) {
      last.size = start - last.start;
      // The old file is done: nothing more is read from it than its final size.
    }
    this.parts.push({ fh, ino, start, size: 0 });
    // Earlier parts stay open until close(): a reader may still be behind.
    return true;
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.fh.close()));
    this.parts.length = 0;
  }
}
