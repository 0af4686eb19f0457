import type { RequestContext } from './router.js';
import { apiAtLeast, queryBool } from './http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { put } from '../containers/attach-session.js';
import { writeFrameHeader } from '../containers/stream-frame.js';
import type { Container } from '../containers/container.js';
import { readK8sLogBatches, type LogRecord } from '../runtime/k8s-log-reader.js';
import { LogTimes } from '../runtime/k8s-log-time.js';
import { checkLogsReadable, logAttributes, type LogConfig } from '../containers/log-drivers.js';

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  /** `--details`: each line starts with the attributes the log options name (labels, env). */
  details: boolean;
  /** Last N entries; undefined for all. */
  tail?: number;
  since?: bigint;
  until?: bigint;
}

/** Query of GET /containers/{id}/logs, checked before any byte of the answer. */
export function parseLogOptions(ctx: RequestContext): LogOptions {
  const opts: LogOptions = {
    stdout: queryBool(ctx, 'stdout'), stderr: queryBool(ctx, 'stderr'), follow: queryBool(ctx, 'follow'),
    timestamps: queryBool(ctx, 'timestamps'), details: queryBool(ctx, 'details'),
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

/**
 * The entries of one batch as dockerd sends them, in one buffer: `[timestamp ][attributes ]line`
 * each, framed unless the container has a TTY, the streams not asked for left out.
 */
function renderBatch(batch: LogRecord[], tty: boolean, opts: LogOptions, times: LogTimes, details: string | undefined): Buffer {
  const stamps = opts.timestamps ? batch.map((r) => times.toDocker(r.time) ?? '') : undefined;
  const attrs = details === undefined ? '' : `${details} `;
  const attrsLen = Buffer.byteLength(attrs);
  const wanted = (r: LogRecord) => (r.stream === 'stdout' ? opts.stdout : opts.stderr);
  let total = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    if (!wanted(r)) continue;
    total += (tty ? 0 : 8) + (stamps ? stamps[i]!.length + 1 : 0) + attrsLen + (r.end - r.start) + (r.newline ? 1 : 0);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    if (!wanted(r)) continue;
    const header = at;
    if (!tty) at += 8;
    const bodyAt = at;
    if (stamps) { at += out.write(stamps[i]!, at, 'latin1'); out[at++] = 0x20; }
    if (attrsLen) at += out.write(attrs, at);
    // Log lines are mostly short: a byte loop beats copy()'s call for each of them.
    if (r.end - r.start < 64) for (let k = r.start; k < r.end; k++) out[at++] = r.data[k]!;
    else at += r.data.copy(out, at, r.start, r.end);
    if (r.newline) out[at++] = 0x0a;
    if (!tty) writeFrameHeader(out, header, r.stream, at - bodyAt);
  }
  return out;
}

/** Docker names framed output `multiplexed-stream` from API 1.42 on; before, and with a TTY, `raw-stream`. */
export function streamType(ctx: RequestContext, tty: boolean): string {
  const framedName = apiAtLeast(ctx, '1.42');
  return !tty && framedName ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

/**
 * GET /containers/{id}/logs: the container's log file (conmon's), filtered and framed as Docker does;
 * with `follow`, new output until the container stops.
 */
export async function logStream(ctx: RequestContext, c: Container, opts: LogOptions): Promise<void> {
  const res = ctx.res!;
  const logConfig = c.record.hostConfig.LogConfig as LogConfig;
  checkLogsReadable(logConfig);
  const details = opts.details ? logAttributes(logConfig, c.record.config.Labels ?? {}, c.record.config.Env) : undefined;
  const tty = c.record.config.Tty;
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': streamType(ctx, tty) });
  res.flushHeaders();
  // Following ends when the container stops (a restart in between does not count as a stop).
  const follow = opts.follow && c.state.running;
  const batches = readK8sLogBatches(c.record.logPath, {
    follow, since: opts.since, until: opts.until, tail: opts.tail, signal: ac.signal, rotated: true,
    withTime: opts.timestamps, exited: follow ? c.whenNotRunning(ac.signal) : undefined,
  });
  const times = new LogTimes();
  for await (const batch of batches) {
    const out = renderBatch(batch, tty, opts, times, details);
    if (out.length && !(await put(res, out))) return;
  }
  res.end();
}
