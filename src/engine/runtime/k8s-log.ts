import { readK8sLogBatches, type LogStream } from './k8s-log-reader.js';
import { LogTimes, parseRfc3339Nano } from './k8s-log-time.js';

export { formatRfc3339Nano, parseRfc3339Nano } from './k8s-log-time.js';
export type { LogStream } from './k8s-log-reader.js';

/**
 * Reads the log files conmon writes in the "k8s-file" format: one line per write (or per line of a
 * write) and stream, `<RFC3339Nano time> <stdout|stderr> <F|P> <text>\n`. F ends a line of the
 * container's output (its newline was dropped); P is part of a longer line that continues in the next
 * P/F record of the same stream. `docker logs` and non-TTY attach output are served from these files
 * (k8s-log-reader.ts reads them in batches; this is the entry-at-a-time form for the other readers).
 */

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
  /** Read the files rotated from it too (`<path>.N` ... `<path>.1`, then `<path>`). */
  rotated?: boolean;
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

function toNs(t: Date | bigint | undefined): bigint | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'bigint' ? t : BigInt(t.getTime()) * 1_000_000n;
}

/**
 * The entries of a k8s-file log, P records joined to whole lines, each a copy the caller may keep.
 * A missing file reads as empty (conmon creates it when the container is created).
 */
export async function* readK8sLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  const times = new LogTimes();
  const batches = readK8sLogBatches(path, {
    ...options, since: toNs(options.since), until: toNs(options.until), withTime: true,
  });
  for await (const batch of batches) {
    for (const r of batch) {
      const timeNs = times.toNs(r.time);
      if (timeNs === undefined) continue;
      const text = r.data.subarray(r.start, r.end);
      const data = r.newline ? Buffer.concat([text, NL]) : Buffer.from(text);
      yield { stream: r.stream, timeNs, time: new Date(Number(timeNs / 1_000_000n)), data };
    }
  }
}

const NL = Buffer.from('\n');
