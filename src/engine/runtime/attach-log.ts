import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LogFileSet } from './log-files.js';
import { watch, type FSWatcher } from 'node:fs';

/**
 * Follows conmon's k8s-file log from a byte offset and yields the container's output as it was
 * written: a P record (part of a line, e.g. a shell prompt) is passed on at once, not held back until
 * its line ends, and no timestamp is parsed. This is the live half of attach and exec output; `docker
 * logs` (whole entries, times, tail) reads the same file through `readK8sLog`.
 *
 * Records are yielded in batches (everything one read of the file completes), so a container writing
 * 100 MB costs a few thousand iterations, not a million.
 */

/** One write of the container: stream 1 is stdout, 2 stderr (Docker's stream numbers). */
export interface OutputRecord {
  stream: 1 | 2;
  data: Buffer;
}

export interface FollowOptions {
  /** Where to start reading (the file's size when the run began, or now). */
  offset: number;
  /** Once this settles the file is read to its end and following stops (conmon drains before it exits). */
  ended: Promise<unknown>;
  signal?: AbortSignal;
}

const CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const NL = Buffer.from('\n');

/** The size of a log file now (0 when conmon has not created it yet). */
export async function logSize(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

export async function* followOutput(path: string, options: FollowOptions): AsyncGenerator<OutputRecord[]> {
  const { signal } = options;
  let dirty = true;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => { dirty = true; wake?.(); };
  options.ended.then(() => { ended = true; poke(); }, () => { ended = true; poke(); });
  signal?.addEventListener('abort', poke);
  let watcher: FSWatcher | undefined;
  const chunk = Buffer.allocUnsafe(CHUNK);
  let pending = Buffer.alloc(0);
  let pos = options.offset;
  // The current file only; when conmon replaces it (--log-opt max-size), reading goes on in the new one.
  const files = await LogFileSet.open(path);
  try {
    // The directory is watched: it sees writes to the log and the rename that replaces it.
    watcher = watch(dirname(path), { persistent: false }, poke);
    watcher.on('error', poke);
    for (;;) {
      if (signal?.aborted) return;
      const finalPass = ended;
      dirty = false;
      for (;;) {
        const bytesRead = await files.read(chunk, 0, CHUNK, pos);
        if (bytesRead === 0) {
          if (await files.advance()) continue;
          break;
        }
        pos += bytesRead;
        const data = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        const { records, rest } = parseRecords(data);
        // `rest` may point into the reused chunk buffer: keep a copy.
        pending = Buffer.from(rest);
        if (records.length) yield records;
        if (signal?.aborted) return;
      }
      if (finalPass) return;
      if (!dirty) await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    watcher?.close();
    await files.close();
  }
}

/** Splits complete k8s-file lines into records (copies: the input buffer is reused by the caller). */
export function parseRecords(data: Buffer): { records: OutputRecord[]; rest: Buffer } {
  const records: OutputRecord[] = [];
  let start = 0;
  for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
    const rec = parseLine(data, start, nl);
    if (rec) records.push(rec);
    start = nl + 1;
  }
  return { records, rest: data.subarray(start) };
}

/** `<time> stdout|stderr F|P <text>`: F restores the newline conmon dropped. */
function parseLine(data: Buffer, start: number, end: number): OutputRecord | undefined {
  const s1 = data.indexOf(SPACE, start);
  if (s1 < 0 || s1 >= end) return undefined;
  // "stdout" and "stderr" differ in their fifth letter: o / e.
  const kind = data[s1 + 4];
  const stream: 1 | 2 | undefined = kind === 0x6f ? 1 : kind === 0x65 ? 2 : undefined;
  const tagAt = s1 + 8;
  if (!stream || tagAt >= end || data[tagAt - 1] !== SPACE) return undefined;
  const partial = data[tagAt] === 0x50; // P
  const textAt = Math.min(tagAt + 2, end);
  const text = data.subarray(textAt, end);
  return { stream, data: partial ? Buffer.from(text) : Buffer.concat([text, NL]) };
}
