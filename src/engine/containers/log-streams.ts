import type { Duplex, Writable } from 'node:stream';
import type { RequestContext } from '../api/router.js';
import { hijack, queryBool } from '../api/http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { Container } from './container.js';
import { dockerTimestamp, fileSize, readEntries, timeNanos, type LogEntry } from './log-follow.js';

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  /** Last N entries; undefined for all. */
  tail?: number;
  since?: bigint;
  until?: bigint;
}

/** Query of GET /containers/{id}/logs, checked before any byte of the answer. */
export function parseLogOptions(ctx: RequestContext): LogOptions {
  const opts: LogOptions = {
    stdout: queryBool(ctx, 'stdout'), stderr: queryBool(ctx, 'stderr'), follow: queryBool(ctx, 'follow'),
    timestamps: queryBool(ctx, 'timestamps'),
  };
  if (!opts.stdout && !opts.stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const tail = ctx.query.get('tail');
  if (tail && tail !== 'all') {
    if (!/^-?\d+$/.test(tail)) throw new InvalidArgumentError(`invalid value for "tail": "${tail}"`);
    if (Number(tail) >= 0) opts.tail = Number(tail);
  }
  const since = ctx.query.get('since');
  if (since && since !== '0') opts.since = parseUnixTime(since, 'since');
  const until = ctx.query.get('until');
  if (until && until !== '0') opts.until = parseUnixTime(until, 'until');
  return opts;
}

/** Docker sends times as `seconds[.nanoseconds]` (the CLI turns `10m` or RFC 3339 into that). */
function parseUnixTime(value: string, name: string): bigint {
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`invalid value for "${name}": "${value}"`);
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Docker's stream framing without a TTY: [stream, 0, 0, 0, size (uint32 BE)] then the bytes. */
export function frame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

function render(entry: LogEntry, tty: boolean, timestamps: boolean): Buffer {
  const text = entry.partial ? entry.text : Buffer.concat([entry.text, Buffer.from('\n')]);
  const body = timestamps ? Buffer.concat([Buffer.from(`${dockerTimestamp(entry.time)} `), text]) : text;
  return tty ? body : frame(entry.stream, body);
}

/** Writes with backpressure; false once the peer is gone. */
async function put(out: Writable, data: Buffer): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return false;
  if (out.write(data)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

/**
 * GET /containers/{id}/logs: the container's log file (conmon's), filtered and framed as Docker does;
 * with `follow`, new output until the container stops.
 */
export async function logStream(ctx: RequestContext, c: Container, opts: LogOptions): Promise<void> {
  const res = ctx.res!;
  const tty = c.record.config.Tty;
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
  res.flushHeaders();
  const wanted = (e: LogEntry) => {
    if (e.stream === 'stdout' ? !opts.stdout : !opts.stderr) return false;
    if (opts.since === undefined && opts.until === undefined) return true;
    const t = timeNanos(e.time);
    return (opts.since === undefined || t > opts.since) && (opts.until === undefined || t <= opts.until);
  };
  const follow = opts.follow && c.state.running && !c.state.restarting;
  const until = follow ? c.whenNotRunning(ac.signal) : undefined;
  let entries: AsyncIterable<LogEntry> = readEntries(c.record.logPath, { until, signal: ac.signal });
  if (opts.tail !== undefined) entries = await tailOf(c.record.logPath, opts.tail, until, ac.signal);
  for await (const e of entries) {
    if (!wanted(e)) continue;
    if (!(await put(res, render(e, tty, opts.timestamps)))) return;
  }
  res.end();
}

/**
 * The log's last `n` entries (of both streams, before any filter, as Docker counts), then (when
 * following) what comes after them.
 */
async function tailOf(path: string, n: number, until: Promise<unknown> | undefined, signal: AbortSignal): Promise<AsyncIterable<LogEntry>> {
  const kept: LogEntry[] = [];
  // Entries are counted up to the current end; following continues from that byte.
  const offset = await fileSize(path);
  for await (const e of readEntries(path, { signal, end: offset })) {
    kept.push(e);
    if (kept.length > n) kept.shift();
  }
  return (async function* () {
    yield* kept;
    if (until) yield* readEntries(path, { offset, until, signal });
  })();
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
  stream: boolean;
}

/**
 * POST /containers/{id}/attach: the container's output, served from conmon's log file. With `stream`,
 * output of the current run (or, when the container is not running, of its next run: the docker CLI
 * attaches before it starts the container) until that run ends and its output is drained; then the
 * connection closes, which tells the client the container is done. Input is read and dropped here.
 */
export async function attachStream(ctx: RequestContext, c: Container, opts: AttachOptions): Promise<void> {
  const tty = c.record.config.Tty;
  const ac = new AbortController();
  const conn: Duplex = hijack(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
  conn.on('close', () => ac.abort());
  conn.on('error', () => ac.abort());
  // Stdin (and terminals) come with exec support; until then input is consumed so the peer never blocks.
  conn.on('data', () => {});
  conn.on('end', () => {
    if (!opts.stream) ac.abort();
  });
  const wanted = (e: LogEntry) => (e.stream === 'stdout' ? opts.stdout : opts.stderr);
  try {
    if (opts.logs) {
      for await (const e of readEntries(c.record.logPath, { signal: ac.signal })) {
        if (wanted(e) && !(await put(conn, render(e, tty, false)))) return;
      }
    }
    if (!opts.stream || ac.signal.aborted) return;
    let offset: number;
    let runId: number;
    if (c.state.running && !c.state.restarting) {
      offset = await fileSize(c.record.logPath);
      runId = c.runId;
    } else {
      const started = await nextStart(c, ac.signal);
      if (!started) return;
      ({ offset, runId } = started);
    }
    const ended = runEnded(c, runId, ac.signal);
    for await (const e of readEntries(c.record.logPath, { offset, until: ended, signal: ac.signal })) {
      if (wanted(e) && !(await put(conn, render(e, tty, false)))) return;
    }
  } finally {
    if (!conn.destroyed) conn.end();
  }
}

/** The next run's start (its log offset), or undefined when the client left or the container went. */
function nextStart(c: Container, signal: AbortSignal): Promise<{ offset: number; runId: number } | undefined> {
  return new Promise((resolve) => {
    const onStart = (offset: number) => finish({ offset, runId: c.runId });
    const onGone = () => finish(undefined);
    const finish = (v: { offset: number; runId: number } | undefined) => {
      c.off('start', onStart);
      c.off('removed', onGone);
      signal.removeEventListener('abort', onGone);
      resolve(v);
    };
    c.on('start', onStart);
    c.on('removed', onGone);
    signal.addEventListener('abort', onGone);
  });
}

/** Settles when run `runId` is over (its exit handled, or a failed start), or the client left. */
function runEnded(c: Container, runId: number, signal: AbortSignal): Promise<void> {
  if (c.lastEndedRun >= runId || c.removed) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (c.lastEndedRun < runId && !c.removed && !signal.aborted) return;
      c.off('exit', check);
      c.off('removed', check);
      signal.removeEventListener('abort', check);
      resolve();
    };
    c.on('exit', check);
    c.on('removed', check);
    signal.addEventListener('abort', check);
  });
}
