import { appendFile, mkdir, readFile, readdir, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../lib/errors.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Logger } from '../base/log.js';
import type { BusEvent } from './event-types.js';

export interface JournalLimits {
  /** A segment file is closed and a new one begun once it would grow past this. */
  segmentBytes: number;
  /** Segments kept; the oldest goes when one more is begun. */
  maxSegments: number;
}

/** 4 segments of 4 MiB: at most 16 MiB on disk, about 40,000 container events. */
export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { segmentBytes: 4 * 1024 * 1024, maxSegments: 4 };

const SEGMENT = /^events-(\d{16})\.log$/;

/**
 * The bounded event journal on disk (`<data-root>/events/`), so `since` answers across daemon
 * restarts. Events are appended in batches off the publisher's path: `append` only queues; one write
 * at a time takes everything queued meanwhile (one appendFile per batch). Segments are named after
 * the seq of their first event; the oldest segment is deleted first. Writes are not fsynced: a
 * daemon restart keeps them (the page cache), a host crash may lose the last ones. A torn last line
 * (a crash mid-write) is cut off at open; an unreadable line is skipped when read.
 *
 * Each line: `<seq>\t<timeNano>\t<JSON [type, action, actor]>`.
 */
export class EventJournal {
  private readonly writes = new SerialQueue();
  /** Queued and not yet handed to a write. */
  private pending: BusEvent[] = [];
  /** Handed to the write in flight. */
  private writing: BusEvent[] = [];
  private scheduled = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly limits: JournalLimits,
    /** First seq of each segment on disk, oldest first. */
    private segments: number[],
    private segmentSize: number,
    /** The seq of the last event on disk (0: none). */
    readonly lastSeq: number,
  ) {}

  static async open(dir: string, log: Logger, limits: JournalLimits = DEFAULT_JOURNAL_LIMITS): Promise<EventJournal> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const segments = (await readdir(dir)).map((n) => SEGMENT.exec(n)).filter((m) => m !== null)
      .map((m) => Number(m[1])).sort((a, b) => a - b);
    let size = 0;
    let lastSeq = 0;
    const newest = segments.at(-1);
    if (newest !== undefined) {
      const path = join(dir, segmentName(newest));
      const text = await readFile(path, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) {
        log.warn(`event journal ${path}: cutting off a torn last line`);
        await truncate(path, Buffer.byteLength(text.slice(0, end)));
      }
      size = Buffer.byteLength(text.slice(0, end));
      const lines = text.slice(0, end).split('\n');
      for (let i = lines.length - 1; i >= 0 && lastSeq === 0; i--) lastSeq = Number(lines[i].split('\t', 1)[0]) || 0;
      if (lastSeq === 0) lastSeq = newest - 1;
    }
    return new EventJournal(dir, log, limits, segments, size, lastSeq);
  }

  /** Queues an event for the next batch; never waits. */
  append(e: BusEvent): void {
    if (this.closed) return;
    this.pending.push(e);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.writes.run(() => this.flush());
    });
  }

  /** Events published and not yet on disk (queued or being written), oldest first. */
  unwritten(): BusEvent[] {
    return [...this.writing, ...this.pending];
  }

  /**
   * Every readable event on disk whose seq is below `beforeSeq`, in order, that `keep` accepts.
   * Segments deleted meanwhile (the oldest, by rotation) are skipped.
   */
  async read(beforeSeq: number, keep: (e: BusEvent) => boolean): Promise<BusEvent[]> {
    const out: BusEvent[] = [];
    for (const first of [...this.segments]) {
      if (first >= beforeSeq) break;
      let text: string;
      try {
        text = await readFile(join(this.dir, segmentName(first)), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const line of text.split('\n')) {
        const e = parseLine(line);
        if (e && e.seq < beforeSeq && keep(e)) out.push(e);
      }
    }
    return out;
  }

  /** Writes what is queued and stops taking events. */
  async close(): Promise<void> {
    await this.writes.run(() => this.flush());
    this.closed = true;
    await this.writes.idle();
  }

  /** Total bytes the journal may hold on disk. */
  get capacity(): number {
    return this.limits.segmentBytes * this.limits.maxSegments;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    this.writing = this.pending;
    this.pending = [];
    try {
      // One append per segment the batch reaches: a segment ends before the line that would overfill it.
      let chunk = '';
      let chunkBytes = 0;
      for (const e of this.writing) {
        const line = formatLine(e);
        const bytes = Buffer.byteLength(line);
        if (this.segments.length === 0 || this.segmentSize + chunkBytes + bytes > this.limits.segmentBytes) {
          await this.write(chunk, chunkBytes);
          await this.beginSegment(e.seq);
          chunk = '';
          chunkBytes = 0;
        }
        chunk += line;
        chunkBytes += bytes;
      }
      await this.write(chunk, chunkBytes);
    } catch (err) {
      this.log.error(`event journal: writing ${this.writing.length} events: ${errorMessage(err)}`);
    } finally {
      this.writing = [];
    }
  }

  private async write(text: string, bytes: number): Promise<void> {
    if (bytes === 0) return;
    await appendFile(join(this.dir, segmentName(this.segments.at(-1)!)), text, { mode: 0o600 });
    this.segmentSize += bytes;
  }

  private async beginSegment(firstSeq: number): Promise<void> {
    this.segments.push(firstSeq);
    this.segmentSize = 0;
    while (this.segments.length > this.limits.maxSegments) {
      const oldest = this.segments.shift()!;
      try {
        await unlink(join(this.dir, segmentName(oldest)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
}

function segmentName(firstSeq: number): string {
  return `events-${String(firstSeq).padStart(16, '0')}.log`;
}

function formatLine(e: BusEvent): string {
  return `${e.seq}\t${e.timeNano}\t${JSON.stringify([e.type, e.action, e.actor])}\n`;
}

function parseLine(line: string): BusEvent | undefined {
  const tab1 = line.indexOf('\t');
  const tab2 = line.indexOf('\t', tab1 + 1);
  if (tab1 <= 0 || tab2 < 0) return undefined;
  try {
    const [type, action, actor] = JSON.parse(line.slice(tab2 + 1)) as [BusEvent['type'], string, BusEvent['actor']];
    if (typeof action !== 'string' || typeof actor?.ID !== 'string') return undefined;
    return { seq: Number(line.slice(0, tab1)), timeNano: BigInt(line.slice(tab1 + 1, tab2)), type, action, actor };
  } catch {
    return undefined;
  }
}
