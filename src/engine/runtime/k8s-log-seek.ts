import type { LogFileSet } from './log-files.js';
import { parseRfc3339Nano } from './k8s-log-time.js';

/**
 * Finding where to start reading a k8s-file log without reading what comes before: the last N
 * entries (`--tail`) by reading backwards from the end in blocks, looking only at each line's tag;
 * the first entry at or after a time (`--since`) by bisection on the lines' timestamps. conmon
 * stamps each write with the wall clock as it writes it, in the order it writes, so the times in a
 * log are in order across both streams (a step back of the host's clock breaks that order; then the
 * start found is one of the places where the time is passed, and the times are still checked while reading).
 */

const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const TAG_P = 0x50;
const TAG_F = 0x46;

/** The tag byte of a k8s-file line (`<time> <stream> <tag> ...`), or -1. */
export function tagOf(buf: Buffer, start: number, end: number): number {
  const s1 = buf.indexOf(SPACE, start);
  if (s1 < 0 || s1 + 8 >= end) return -1;
  return buf[s1 + 8]!;
}

/** The stream of a k8s-file line: 1 stdout, 2 stderr, 0 when it is not a log line. */
function streamOf(buf: Buffer, start: number, end: number): number {
  const s1 = buf.indexOf(SPACE, start);
  if (s1 < 0 || s1 + 7 > end) return 0;
  // "stdout" and "stderr" differ in their fifth letter.
  return buf[s1 + 4] === 0x6f ? 1 : buf[s1 + 4] === 0x65 ? 2 : 0;
}

/** A line of the log: `buf` [start, end), at offset `at` of the log. */
interface BackwardLine { buf: Buffer; start: number; end: number; at: number }

/** Reads the log backwards in blocks, one line at a time. */
class BackwardLines {
  private buf = Buffer.alloc(0);
  private bufStart: number;
  /** Where the newline ending the next line to hand out is; -1 when there is none left. */
  private lineEnd: number;

  /** `newlineAt`: the newline that ends the last line to hand out. */
  constructor(private readonly files: LogFileSet, newlineAt: number, readFrom = newlineAt) {
    this.bufStart = readFrom;
    this.lineEnd = newlineAt;
  }

  /** Reads one more block before what is held; false at the start of the log. */
  private async more(): Promise<boolean> {
    if (this.bufStart === 0) return false;
    const start = Math.max(0, this.bufStart - BLOCK);
    const chunk = Buffer.allocUnsafe(this.bufStart - start);
    let got = 0;
    while (got < chunk.length) {
      const n = await this.files.read(chunk, got, chunk.length - got, start + got);
      if (n === 0) throw new Error('log file shrank while it was read');
      got += n;
    }
    // Only what comes before the next line to hand out is kept (previous() leaves the rest in place).
    const held = this.buf.subarray(0, Math.max(0, this.lineEnd + 1 - this.bufStart));
    this.buf = held.length ? Buffer.concat([chunk, held]) : chunk;
    this.bufStart = start;
    return true;
  }

  /** The last newline before `end` (bytes after it are a line being written); -1 when there is none. */
  static async lastNewline(files: LogFileSet, end: number): Promise<{ lines: BackwardLines; at: number }> {
    const lines = new BackwardLines(files, -1, end);
    for (;;) {
      const rel = end - lines.bufStart - 1;
      const i = rel >= 0 ? lines.buf.lastIndexOf(NEWLINE, rel) : -1;
      if (i >= 0) {
        lines.lineEnd = lines.bufStart + i;
        return { lines, at: lines.lineEnd };
      }
      if (!(await lines.more())) return { lines, at: -1 };
    }
  }

  /** What take() and previous() hand out: one object, overwritten by the next line. */
  private readonly line: BackwardLine = { buf: Buffer.alloc(0), start: 0, end: 0, at: 0 };

  /**
   * The next line backwards when the bytes held have it whole, without waiting (a tail of 100,000
   * lines then takes no promise per line); null when a read is needed first, or at the start of the log.
   */
  take(): BackwardLine | null {
    if (this.lineEnd < 0) return null;
    const rel = this.lineEnd - this.bufStart;
    if (rel <= 0 && this.bufStart > 0) return null;
    const j = rel > 0 ? this.buf.lastIndexOf(NEWLINE, rel - 1) : -1;
    if (j < 0 && this.bufStart > 0) return null;
    const line = this.line;
    line.buf = this.buf;
    line.start = j + 1;
    line.end = rel;
    line.at = this.bufStart + j + 1;
    this.lineEnd = line.at - 1;
    return line;
  }

  /** The next line backwards: `buf` [start, end) holds it, `at` is its offset in the log; valid until the next call. */
  async previous(): Promise<BackwardLine | undefined> {
    for (;;) {
      if (this.lineEnd < 0) return undefined;
      const line = this.take();
      if (line) return line;
      await this.more();
    }
  }
}

/** Where to read the last N entries from; see tailStart. */
export interface TailStart {
  /** Where to start reading (no entry of either stream open there). */
  start: number;
  /** Entries ended by a line before this offset are not among the last N: they are dropped. */
  emitFrom: number;
  /** How many of the entries still open at the end (P records, no F yet) to drop, first opened first. */
  dropOpen: number;
}

/**
 * Where the last `n` entries are, found by reading backwards from the end in blocks and looking
 * only at each line's stream and tag. An entry ends at its F record (its P records, possibly
 * interleaved with the other stream's lines, come before); entries still open at the end (trailing
 * P records: a line being written) come last, as the reader gives them.
 */
export async function tailStart(files: LogFileSet, n: number): Promise<TailStart> {
  const found = await BackwardLines.lastNewline(files, files.size);
  if (found.at < 0) return { start: 0, emitFrom: 0, dropOpen: 0 };
  const end = found.at + 1;
  if (n <= 0) return { start: end, emitFrom: end, dropOpen: 0 };
  // The entries open at the end: streams whose last line is a P.
  let open = 0;
  const seen = new Set<number>();
  for (let lines = found.lines; seen.size < 2;) {
    const line = await lines.previous();
    if (!line || end - line.at > (seen.size ? UNSEEN_LIMIT : SETTLE_LIMIT)) break;
    const stream = streamOf(line.buf, line.start, line.end);
    if (!stream || seen.has(stream)) continue;
    seen.add(stream);
    if (tagOf(line.buf, line.start, line.end) === TAG_P) open++;
  }
  if (n <= open) return { start: await settledBefore(files, end), emitFrom: end, dropOpen: open - n };
  // Then one entry per F line, going back.
  const lines = (await BackwardLines.lastNewline(files, files.size)).lines;
  let entries = open;
  for (;;) {
    const line = lines.take() ?? await lines.previous();
    if (!line) return { start: 0, emitFrom: 0, dropOpen: 0 };
    if (tagOf(line.buf, line.start, line.end) === TAG_F && streamOf(line.buf, line.start, line.end) && ++entries === n) {
      return { start: await settledBefore(files, line.at), emitFrom: line.at, dropOpen: 0 };
    }
  }
}

/** The time of the k8s-file line in `buf` [start, end), or undefined when it has none. */
function lineTime(buf: Buffer, start: number, end: number): bigint | undefined {
  const s1 = buf.subarray(0, end).indexOf(SPACE, start);
  if (s1 < 0) return undefined;
  return parseRfc3339Nano(buf.toString('latin1', start, s1));
}

/** The first line starting at or after `pos` (and before `limit`): its offset and time. */
async function lineAfter(files: LogFileSet, pos: number, limit: number): Promise<{ at: number; time?: bigint } | undefined> {
  let at = pos;
  const chunk = Buffer.allocUnsafe(4096);
  if (pos > 0) {
    // The line starts after the first newline at or after pos - 1.
    at = -1;
    for (let p = pos - 1; p < limit && at < 0;) {
      const n = await files.read(chunk, 0, Math.min(chunk.length, limit - p), p);
      if (n === 0) return undefined;
      const nl = chunk.subarray(0, n).indexOf(NEWLINE);
      if (nl >= 0) at = p + nl + 1; else p += n;
    }
    if (at < 0 || at >= limit) return undefined;
  }
  // A timestamp is short: the first bytes of the line hold it.
  const n = await files.read(chunk, 0, Math.min(64, limit - at), at);
  return { at, time: lineTime(chunk, 0, n) };
}

/**
 * An offset to start reading at so that every entry at or after `sinceNs` is read whole: the first
 * line stamped at or after it, found by bisection, moved back to where no entry of either stream is
 * open (so the P records of an entry that ends after it are read too). The reader still drops the
 * earlier entries it meets from there.
 */
export async function sinceStart(files: LogFileSet, sinceNs: bigint): Promise<number> {
  let lo = 0;
  let hi = files.size;
  // lo is a line start with every line before it stamped before sinceNs; the first line at or
  // after sinceNs starts in [lo, hi].
  while (hi - lo > BLOCK) {
    const line = await lineAfter(files, lo + Math.floor((hi - lo) / 2), hi);
    if (!line || line.time === undefined) break; // a long line or a foreign one: scan the rest
    if (line.time < sinceNs) lo = line.at; else hi = line.at;
  }
  return settledBefore(files, await firstAtOrAfter(files, lo, hi, sinceNs));
}

/** Scans forward from the line start `lo` for the first line stamped at or after `sinceNs`; `hi` if none before it. */
async function firstAtOrAfter(files: LogFileSet, lo: number, hi: number, sinceNs: bigint): Promise<number> {
  const chunk = Buffer.allocUnsafe(BLOCK);
  let lineAt = lo;
  let head = Buffer.alloc(0); // the first bytes of the current line (its time)
  for (let p = lo; p < hi;) {
    const n = await files.read(chunk, 0, Math.min(BLOCK, hi - p), p);
    if (n === 0) break;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, 0); nl >= 0 && nl < n; nl = chunk.indexOf(NEWLINE, start)) {
      const line = head.length ? Buffer.concat([head, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
      const time = lineTime(line, 0, Math.min(line.length, 64));
      if (time !== undefined && time >= sinceNs) return lineAt;
      lineAt = p + nl + 1;
      head = Buffer.alloc(0);
      start = nl + 1;
      if (start >= n) break;
    }
    if (start < n && head.length < 64) head = Buffer.concat([head, chunk.subarray(start, Math.min(n, start + 64))]);
    p += n;
  }
  return hi;
}

/** How far back an open entry is looked for: past this an entry would have been cut anyway. */
const SETTLE_LIMIT = 2 * 1024 * 1024;
/**
 * How far back a stream not met at all is looked for. Its entry could only be open here if it
 * wrote part of a line and then nothing while the other stream wrote this much: taken as not open.
 */
const UNSEEN_LIMIT = 256 * 1024;

/**
 * Moves `pos` back to where both streams are between entries: for each stream, the line of that
 * stream before the new start is an F (or there is none).
 */
async function settledBefore(files: LogFileSet, pos: number): Promise<number> {
  if (pos === 0) return 0;
  const lines = new BackwardLines(files, pos - 1);
  const settled = new Set<number>();
  const seen = new Set<number>();
  let start = pos;
  for (;;) {
    const line = await lines.previous();
    if (!line) return 0;
    const stream = streamOf(line.buf, line.start, line.end);
    if (stream) seen.add(stream);
    if (stream && !settled.has(stream)) {
      if (tagOf(line.buf, line.start, line.end) !== TAG_P) settled.add(stream);
      else start = line.at;
    }
    // A stream not met within the limit has no open entry worth reading back for (entries are cut
    // at 1 MiB anyway).
    if (settled.size === 2 || pos - line.at > SETTLE_LIMIT) return start;
    if (seen.size === 1 && settled.size === 1 && pos - line.at > UNSEEN_LIMIT) return start;
  }
}
