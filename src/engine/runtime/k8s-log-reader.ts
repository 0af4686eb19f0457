import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { LogFileSet } from './log-files.js';
import { sinceStart, tailStart } from './k8s-log-seek.js';
import { LogTimes } from './k8s-log-time.js';

/**
 * Reads a container's k8s-file log (conmon's: `<RFC3339Nano time> <stdout|stderr> <F|P> <text>\n`,
 * F ending a line of output whose newline was dropped, P a part of a longer line) as batches of
 * entries, P records joined to their line. Made for `docker logs` on long logs:
 * - it starts where the output asked for starts (tail: backwards from the end; since: bisection),
 *   and never looks at the lines before;
 * - a line is split at its spaces only, its time is turned into a string only when the caller wants
 *   it (`withTime`, or a since/until to check), and the entries of one read (1 MiB) go out together;
 * - following, it reads what was appended in large blocks: while the container writes it reads
 *   every FOLLOW_PAUSE_MS without a watch (a busy log would wake it for each write), and when the
 *   log is quiet it waits on a watch of the log's directory, which also sees a rotation.
 * Rotated files (`<log>.1`...) are read before the current one with `rotated`.
 */

export type LogStream = 'stdout' | 'stderr';

/**
 * One entry: its text is `data` [start, end), which may be the reader's buffer, valid until the next
 * batch is asked for (offsets, not a slice per line: a tail of 100,000 lines makes no 100,000 Buffers).
 */
export interface LogRecord {
  stream: LogStream;
  /** The timestamp as conmon wrote it; '' unless asked for (`withTime`). */
  time: string;
  data: Buffer;
  start: number;
  end: number;
  /** Whether the line ended (its newline is not part of `text`); not at a cut or at the end of the output. */
  newline: boolean;
}

export interface ReadBatchOptions {
  /** Keep reading what the container writes until `until`, `exited` + drain, or `signal`. */
  follow?: boolean;
  /** Only entries at or after this time (nanoseconds since the epoch). */
  since?: bigint;
  /** Only entries at or before this time; reading stops at the first later entry. */
  until?: bigint;
  /** Only the last N entries. */
  tail?: number;
  /** Read the rotated files too (oldest first). */
  rotated?: boolean;
  /** Fill in each record's `time`. */
  withTime?: boolean;
  /** Ends the reading (quietly) when aborted. */
  signal?: AbortSignal;
  /** In follow mode: once this settles the log is read to its end and the reading ends. */
  exited?: Promise<unknown>;
}

const CHUNK = 1024 * 1024;
/** A line continued by P records is cut into entries of at most this size (a binary stream has no newlines). */
export const MAX_ENTRY = 1024 * 1024;
/** While a followed log grows, how long to let output gather between two reads. */
export const FOLLOW_PAUSE_MS = 30;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const TAG_F = 0x46;
const TAG_P = 0x50;

export async function* readK8sLogBatches(path: string, options: ReadBatchOptions = {}): AsyncGenerator<LogRecord[]> {
  const { signal, since, until } = options;
  if (signal?.aborted) return;
  const needTime = options.withTime || since !== undefined || until !== undefined;
  const times = new LogTimes();

  let dirty = false;
  let wake: (() => void) | undefined;
  const poke = () => { dirty = true; wake?.(); };
  let exited = false;
  signal?.addEventListener('abort', poke);
  if (options.follow) options.exited?.then(() => { exited = true; poke(); }, () => { exited = true; poke(); });
  let watcher: FSWatcher | undefined;
  const unwatch = () => { watcher?.close(); watcher = undefined; };
  const pause = (ms: number | undefined) => new Promise<void>((resolve) => {
    if (dirty && ms === undefined) return resolve();
    const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  }).finally(() => { wake = undefined; dirty = false; });

  const files = await LogFileSet.open(path, { rotated: options.rotated });
  try {
    let pos = 0;
    // Entries ended before emitFrom are read only to find where the later ones begin.
    let emitFrom = 0;
    let dropOpen = 0;
    if (options.tail !== undefined) ({ start: pos, emitFrom, dropOpen } = await tailStart(files, options.tail));
    if (since !== undefined) pos = Math.max(pos, await sinceStart(files, since));
    let lineAt = 0;
    const assembler = new Assembler();
    const chunk = Buffer.allocUnsafe(CHUNK);
    let pending = Buffer.alloc(0);
    let stopped = false;
    const keep = (r: LogRecord, out: LogRecord[]): void => {
      if (lineAt < emitFrom) return;
      if (since === undefined && until === undefined) { out.push(r); return; }
      const ns = times.toNs(r.time);
      if (ns === undefined) return;
      if (until !== undefined && ns > until) { stopped = true; return; }
      if (since === undefined || ns >= since) out.push(r);
    };

    for (;;) {
      const finalPass = !options.follow || exited;
      dirty = false;
      let got = 0;
      for (;;) {
        const n = await files.read(chunk, 0, CHUNK, pos);
        if (n === 0) break;
        pos += n;
        got += n;
        const data = pending.length ? Buffer.concat([pending, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        const out: LogRecord[] = [];
        const emit = (r: LogRecord) => keep(r, out);
        const base = pos - data.length;
        let start = 0;
        for (let nl = data.indexOf(NEWLINE); nl >= 0 && !stopped; nl = data.indexOf(NEWLINE, start)) {
          lineAt = base + start;
          assembler.line(data, start, nl, needTime, emit);
          start = nl + 1;
        }
        pending = Buffer.from(data.subarray(start)); // a copy: the chunk is read into again
        if (out.length) yield out;
        if (stopped || signal?.aborted) return;
      }
      if (options.follow && (await files.advance())) continue; // rotated: read on in the new file
      if (finalPass) break;
      if (signal?.aborted) return;
      if (got > 0) {
        unwatch();
        await pause(FOLLOW_PAUSE_MS);
      } else if (!watcher) {
        dirty = false;
        watcher = watch(dirname(path), { persistent: false }, poke);
        watcher.on('error', poke);
        // Armed now: read once more, so a write just before it is not waited for.
      } else {
        await pause(undefined);
      }
      if (signal?.aborted) return;
    }
    // The container ended mid-line: what it wrote last still counts.
    const out: LogRecord[] = [];
    lineAt = Infinity;
    assembler.flush((r) => { if (dropOpen > 0) dropOpen--; else keep(r, out); });
    if (out.length) yield out;
  } finally {
    signal?.removeEventListener('abort', poke);
    unwatch();
    await files.close();
  }
}

/** Splits lines into records and joins P records with the next records of their stream. */
class Assembler {
  private readonly open = new Map<LogStream, { parts: Buffer[]; size: number; time: string }>();

  /** One line of `data` [start, end) (without its newline); lines not in the format are skipped. */
  line(data: Buffer, start: number, end: number, needTime: boolean, emit: (r: LogRecord) => void): void {
    const s1 = data.indexOf(SPACE, start);
    if (s1 < 0 || s1 + 8 >= end || data[s1 + 7] !== SPACE) return;
    // "stdout" and "stderr" differ in their fifth letter.
    const k = data[s1 + 4];
    const stream: LogStream | undefined = k === 0x6f ? 'stdout' : k === 0x65 ? 'stderr' : undefined;
    const tag = data[s1 + 8];
    if (!stream || (tag !== TAG_F && tag !== TAG_P) || data[s1 + 1] !== 0x73) return;
    // The tag may carry more flags after ':' in later formats ("F:..."); its first letter is what counts.
    let textAt = s1 + 10;
    if (s1 + 9 < end && data[s1 + 9] !== SPACE) {
      const s3 = data.indexOf(SPACE, s1 + 9);
      textAt = s3 < 0 || s3 >= end ? end : s3 + 1;
    }
    if (textAt > end) textAt = end;
    const time = needTime ? data.toString('latin1', start, s1) : '';
    const acc = this.open.get(stream);
    if (!acc) {
      if (tag === TAG_F) return emit({ stream, time, data, start: textAt, end, newline: true });
      this.open.set(stream, { parts: [Buffer.from(data.subarray(textAt, end))], size: end - textAt, time });
      return;
    }
    const text = data.subarray(textAt, end);
    acc.parts.push(tag === TAG_F ? text : Buffer.from(text));
    acc.size += text.length;
    acc.time = time;
    if (tag === TAG_F) {
      this.open.delete(stream);
      emit(joined(stream, time, acc, true));
    } else if (acc.size >= MAX_ENTRY) {
      this.open.delete(stream);
      emit(joined(stream, time, acc, false));
    }
  }

  flush(emit: (r: LogRecord) => void): void {
    // An unfinished entry carries the time of its last record.
    for (const [stream, acc] of this.open) emit(joined(stream, acc.time, acc, false));
    this.open.clear();
  }
}

function joined(stream: LogStream, time: string, acc: { parts: Buffer[]; size: number }, newline: boolean): LogRecord {
  return { stream, time, data: Buffer.concat(acc.parts, acc.size), start: 0, end: acc.size, newline };
}
