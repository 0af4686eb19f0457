import { open, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

/** One record of conmon's k8s-file log: `<time> <stdout|stderr> <P|F> <text>`. */
export interface LogEntry {
  /** The timestamp as conmon wrote it (RFC 3339 with nanoseconds). */
  time: string;
  stream: 'stdout' | 'stderr';
  /** A partial line (P): the text has no newline of its own. */
  partial: boolean;
  text: Buffer;
}

const SPACE = 0x20;

export function parseEntry(line: Buffer): LogEntry | undefined {
  const a = line.indexOf(SPACE);
  const b = a < 0 ? -1 : line.indexOf(SPACE, a + 1);
  const c = b < 0 ? -1 : line.indexOf(SPACE, b + 1);
  if (c < 0 && b < 0) return undefined;
  const stream = line.subarray(a + 1, b).toString();
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line.subarray(b + 1, c < 0 ? line.length : c).toString();
  return {
    time: line.subarray(0, a).toString(),
    stream,
    partial: tag.split(':').includes('P'),
    text: c < 0 ? Buffer.alloc(0) : line.subarray(c + 1),
  };
}

/** A log timestamp as nanoseconds since the epoch (for since/until). */
export function timeNanos(time: string): bigint {
  const m = /^(.*?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return 0n;
  const seconds = BigInt(Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000));
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9));
  return seconds * 1_000_000_000n + frac;
}

/** Docker's `--timestamps` form: UTC, always nine fractional digits. */
export function dockerTimestamp(time: string): string {
  const ns = timeNanos(time);
  const seconds = Number(ns / 1_000_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

export interface FollowOptions {
  /** Byte offset to start at. */
  offset?: number;
  /** Keep reading as the file grows until `until` settles; then read what is left and stop. */
  until?: Promise<unknown>;
  /** Read no further than this byte. */
  end?: number;
  /** Stop at once (the client went away). */
  signal?: AbortSignal;
}

/**
 * Reads log entries from a k8s-file log, optionally following it as conmon appends. Only whole lines
 * are returned: a line being written is picked up on the next read.
 */
export async function* readEntries(path: string, opts: FollowOptions = {}): AsyncGenerator<LogEntry> {
  let offset = opts.offset ?? 0;
  let finished = false;
  void opts.until?.then(() => (finished = true), () => (finished = true));
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  opts.signal?.addEventListener('abort', poke);
  try {
    let carry = Buffer.alloc(0);
    for (;;) {
      if (opts.signal?.aborted) return;
      const endNow = finished;
      const chunk = await readFrom(path, offset, opts.end);
      if (chunk.length) {
        offset += chunk.length;
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
          const entry = parseEntry(data.subarray(start, nl));
          start = nl + 1;
          if (entry) yield entry;
          if (opts.signal?.aborted) return;
        }
        carry = Buffer.from(data.subarray(start));
        continue;
      }
      if (!opts.until || endNow) return;
      if (!watcher) {
        try {
          watcher = watch(path, poke);
        } catch {
          // Not created yet: the poll below covers it.
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        void opts.until!.then(() => wake?.(), () => wake?.());
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    opts.signal?.removeEventListener('abort', poke);
  }
}

async function readFrom(path: string, offset: number, end?: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = Math.min((await fh.stat()).size, end ?? Infinity);
    if (size <= offset) return Buffer.alloc(0);
    const length = Math.min(size - offset, 1 << 20);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
