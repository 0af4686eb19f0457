import type { Duplex, Writable } from 'node:stream';
import type { RequestContext } from '../api/router.js';
import { hijack, queryBool } from '../api/http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { Container } from './container.js';
import { formatRfc3339Nano, readK8sLog, type LogEntry } from '../runtime/k8s-log.js';

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
  const body = timestamps ? Buffer.concat([Buffer.from(`${formatRfc3339Nano(entry.timeNs)} `), entry.data]) : entry.data;
  return tty ? body : frame(entry.stream, body);
}

/** Docker names framed output `multiplexed-stream` from API 1.42 on; before, and with a TTY, `raw-stream`. */
export function streamType(ctx: RequestContext, tty: boolean): string {
  const [major, minor] = ctx.apiVersion.split('.').map(Number);
  const framedName = major > 1 || minor >= 42;
  return !tty && framedName ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
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
  res.writeHead(200, { 'Content-Type': streamType(ctx, tty) });
  res.flushHeaders();
  // Following ends when the container stops (a restart in between does not count as a stop).
  const follow = opts.follow && c.state.running;
  const entries = readK8sLog(c.record.logPath, {
    follow, since: opts.since, until: opts.until, tail: opts.tail, signal: ac.signal,
    exited: follow ? c.whenNotRunning(ac.signal) : undefined,
  });
  for await (const e of entries) {
    if (e.stream === 'stdout' ? !opts.stdout : !opts.stderr) continue;
    if (!(await put(res, render(e, tty, opts.timestamps)))) return;
  }
  res.end();
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
  const conn: Duplex = hijack(ctx, streamType(ctx, tty));
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
      for await (const e of readK8sLog(c.record.logPath, { signal: ac.signal })) {
        if (wanted(e) && !(await put(conn, render(e, tty, false)))) return;
      }
    }
    if (!opts.stream || ac.signal.aborted) return;
    let from: { tail?: number; since?: bigint };
    let runId: number;
    if (c.state.running && !c.state.restarting) {
      from = { tail: 0 };
      runId = c.runId;
    } else {
      const started = await nextStart(c, ac.signal);
      if (!started) return;
      from = { since: started.startNs };
      runId = started.runId;
    }
    const exited = runEnded(c, runId, ac.signal);
    for await (const e of readK8sLog(c.record.logPath, { ...from, follow: true, exited, signal: ac.signal })) {
      if (wanted(e) && !(await put(conn, render(e, tty, false)))) return;
    }
  } finally {
    if (!conn.destroyed) conn.end();
  }
}

/**
 * The next run's start (the time its output begins, by the log's clock), or undefined when the client
 * left or the container went.
 */
function nextStart(c: Container, signal: AbortSignal): Promise<{ startNs: bigint; runId: number } | undefined> {
  return new Promise((resolve) => {
    const onStart = (startNs: bigint) => finish({ startNs, runId: c.runId });
    const onGone = () => finish(undefined);
    const finish = (v: { startNs: bigint; runId: number } | undefined) => {
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
