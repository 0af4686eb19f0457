import { open, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

/**
 * Reads the log files conmon writes in the "k8s-file" format: one line per write (or per line of a
 * write) and stream, `<RFC3339Nano time> <stdout|stderr> <F|P> <text>\n`. F ends a line of the
 * container's output (its newline was dropped); P is part of a longer line that continues in the next
 * P/F record of the same stream. `docker logs` and non-TTY attach output are served from these files.
 */

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStream;
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  /** The same instant as a Date (millisecond precision). */
  time: Date;
  /** The output, with its newline restored; no newline when the container ended mid-line. */
  data: Buffer;
}

export interface ReadLogOptions {
  /** Keep reading what the container writes until `until`, `exited` + drain, or `signal`. */
  follow?: boolean;
  /** Only entries at or after this time (Date, or nanoseconds since the epoch). */
  since?: Date | bigint;
  /** Only entries at or before this time; reading stops at the first later entry. */
  until?: Date | bigint;
  /** Only the last N entries (read from the end of the file, not the whole file). */
  tail?: number;
  /** Ends the reading (quietly) when aborted. */
  signal?: AbortSignal;
  /** In follow mode: once this settles the file is read to its end and the reading ends. */
  exited?: Promise<unknown>;
}

/** One parsed line of a k8s-file log. */
export interface K8sLogLine {
  timeNs: bigint;
  stream: LogStream;
  partial: boolean;
  text: Buffer;
}

const CHUNK = 64 * 1024;
/** A line continued by P records is cut into entries of at most this size (a binary stream has no newlines). */
const MAX_ENTRY = 1024 * 1024;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** Parses one line (without its newline); undefined when it is not in the k8s-file format. */
export function parseK8sLine(line: Buffer): K8sLogLine | undefined {
  const s1 = line.indexOf(SPACE);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag may carry more flags after ':' in later formats ("F:..."); its first letter is what counts.
  let s3 = line.indexOf(SPACE, s2 + 1);
  if (s3 < 0) s3 = line.length; // "<time> stdout F" with no text at all
  const tag = line[s2 + 1];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return undefined;
  const timeNs = parseRfc3339Nano(line.toString('latin1', 0, s1));
  if (timeNs === undefined) return undefined;
  return { timeNs, stream, partial: tag === 0x50, text: line.subarray(Math.min(s3 + 1, line.length)) };
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** `2024-01-02T03:04:05.123456789+00:00` -> nanoseconds since the epoch. */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + frac;
}

/** Nanoseconds since the epoch -> Docker's `logs --timestamps` form (UTC, always nine fractional digits). */
export function formatRfc3339Nano(timeNs: bigint): string {
  const base = new Date(Number(timeNs / 1_000_000n)).toISOString().slice(0, 19);
  return `${base}.${(timeNs % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

function toNs(t: Date | bigint | undefined): bigint | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'bigint' ? t : BigInt(t.getTime()) * 1_000_000n;
}

/**
 * The entries of a k8s-file log, P records joined to whole lines. A missing file reads as empty
 * (conmon creates it when the container is created).
 */
export async function* readK8sLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  const since = toNs(options.since);
  const until = toNs(options.until);
  const { signal } = options;
  if (signal?.aborted) return;

  // Wakes the follow loop: file changed, container exited, or caller aborted. `dirty` keeps a change
  // that lands while entries are being yielded from being missed.
  let dirty = false;
  let wake: (() => void) | undefined;
  const poke = () => { dirty = true; wake?.(); };
  let exited = false;
  let watcher: FSWatcher | undefined;
  const onAbort = () => poke();
  signal?.addEventListener('abort', onAbort);
  if (options.follow) {
    options.exited?.then(() => { exited = true; poke(); }, () => { exited = true; poke(); });
  }

  let fh: FileHandle | undefined;
  try {
    fh = await openIfExists(path);
    while (!fh && options.follow && !exited && !signal?.aborted) {
      await waitFor(() => dirty, (w) => { wake = w; }, () => { dirty = false; });
      fh = await openIfExists(path);
    }
    if (!fh) return;
    if (options.follow) {
      // Armed before the first read, so a write between that read and the wait is not missed.
      watcher = watch(path, { persistent: true }, poke);
      watcher.on('error', poke);
    }
    const size = (await fh.stat()).size;
    const reader = new LineReader(fh, options.tail !== undefined ? await tailOffset(fh, size, options.tail) : 0);
    const assembler = new EntryAssembler();

    for (;;) {
      const finalPass = !options.follow || exited;
      dirty = false;
      for await (const line of reader.lines()) {
        if (signal?.aborted) return;
        const parsed = parseK8sLine(line);
        if (!parsed) continue;
        for (const entry of assembler.push(parsed)) {
          if (until !== undefined && entry.timeNs > until) return;
          if (since === undefined || entry.timeNs >= since) yield entry;
        }
      }
      if (finalPass) break;
      if (signal?.aborted) return;
      await waitFor(() => dirty, (w) => { wake = w; }, () => {});
      if (signal?.aborted) return;
    }
    // The container ended mid-line: what it wrote last still counts.
    for (const entry of assembler.flush()) {
      if (until !== undefined && entry.timeNs > until) return;
      if (since === undefined || entry.timeNs >= since) yield entry;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    await fh?.close();
  }
}

async function waitFor(ready: () => boolean, setWake: (w: (() => void) | undefined) => void, reset: () => void): Promise<void> {
  if (!ready()) await new Promise<void>((resolve) => setWake(resolve));
  setWake(undefined);
  reset();
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads whole lines from a position on; an unterminated last line waits for its newline. */
class LineReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly chunk = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly fh: FileHandle, private pos: number) {}

  async *lines(): AsyncGenerator<Buffer> {
    for (;;) {
      const { bytesRead } = await this.fh.read(this.chunk, 0, CHUNK, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      let data = this.pending.length ? Buffer.concat([this.pending, this.chunk.subarray(0, bytesRead)]) : this.chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        yield Buffer.from(data.subarray(start, nl)); // a copy: the chunk buffer is reused
        start = nl + 1;
      }
      data = data.subarray(start);
      this.pending = Buffer.from(data);
    }
  }
}

/** Joins P records with the following records of the same stream. */
class EntryAssembler {
  private readonly open = new Map<LogStream, { parts: Buffer[]; size: number; timeNs: bigint }>();

  push(line: K8sLogLine): LogEntry[] {
    const out: LogEntry[] = [];
    let acc = this.open.get(line.stream);
    if (!acc) {
      if (!line.partial) return [entry(line.stream, line.timeNs, [line.text, NL])];
      this.open.set(line.stream, (acc = { parts: [], size: 0, timeNs: line.timeNs }));
    }
    acc.parts.push(line.text);
    acc.size += line.text.length;
    acc.timeNs = line.timeNs;
    if (!line.partial) {
      acc.parts.push(NL);
      this.open.delete(line.stream);
      out.push(entry(line.stream, acc.timeNs, acc.parts));
    } else if (acc.size >= MAX_ENTRY) {
      this.open.delete(line.stream);
      out.push(entry(line.stream, acc.timeNs, acc.parts));
    }
    return out;
  }

  flush(): LogEntry[] {
    const out = [...this.open].map(([stream, acc]) => entry(stream, acc.timeNs, acc.parts));
    this.open.clear();
    return out;
  }
}

const NL = Buffer.from('\n');

function entry(stream: LogStream, timeNs: bigint, parts: Buffer[]): LogEntry {
  return { stream, timeNs, time: new Date(Number(timeNs / 1_000_000n)), data: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
}

/**
 * The offset where the last `n` entries start, found by reading backwards from the end in chunks:
 * each F record closes an entry, P records belong to the entry their F closes, and trailing P records
 * (a line still being written) count as one entry.
 */
export async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  let bufStart = size;
  let buf = Buffer.alloc(0);
  const more = async (): Promise<boolean> => {
    if (bufStart === 0) return false;
    const start = Math.max(0, bufStart - CHUNK);
    const chunk = Buffer.alloc(bufStart - start);
    await fh.read(chunk, 0, chunk.length, start);
    buf = Buffer.concat([chunk, buf]);
    bufStart = start;
    return true;
  };
  // The end of the last complete line; bytes after it are a line still being written.
  let lineEnd: number;
  for (;;) {
    const i = buf.lastIndexOf(NEWLINE);
    if (i >= 0) { lineEnd = bufStart + i; break; }
    if (!(await more())) return 0;
  }
  if (n <= 0) return lineEnd + 1;
  let entries = 0;
  let inEntry = false;
  for (;;) {
    let rel = lineEnd - bufStart;
    let j = rel > 0 ? buf.lastIndexOf(NEWLINE, rel - 1) : -1;
    while (j < 0 && (await more())) {
      rel = lineEnd - bufStart;
      j = rel > 0 ? buf.lastIndexOf(NEWLINE, rel - 1) : -1;
    }
    const lineStart = j < 0 ? 0 : bufStart + j + 1;
    const parsed = parseK8sLine(buf.subarray(lineStart - bufStart, lineEnd - bufStart));
    if (!parsed?.partial) {
      if (inEntry && ++entries === n) return lineEnd + 1;
    }
    inEntry = true;
    if (lineStart === 0) return 0;
    lineEnd = lineStart - 1;
    buf = buf.subarray(0, lineEnd - bufStart + 1); // what lies after is done with
  }
}
