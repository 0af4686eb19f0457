// The access log: one JSON line per request, written when the response is done.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AccessLogEntry {
  time: string;
  remote: string;
  user: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  duration_ms: number;
}

export type AccessLogSink = (entry: AccessLogEntry) => void;

export const stdoutSink: AccessLogSink = (entry) => { process.stdout.write(JSON.stringify(entry) + '\n'); };

/** Counts body bytes sent and logs the request once the response has finished (or was cut off). */
export function trackRequest(req: IncomingMessage, res: ServerResponse, sink: AccessLogSink, user: () => string | undefined): void {
  const started = process.hrtime.bigint();
  let bytes = 0;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const count = (chunk: unknown) => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk);
    else if (chunk instanceof Uint8Array) bytes += chunk.length;
  };
  res.write = ((...args: unknown[]) => { count(args[0]); return write(...args); }) as typeof res.write;
  res.end = ((...args: unknown[]) => { if (typeof args[0] !== 'function') count(args[0]); return end(...args); }) as typeof res.end;
  res.once('close', () => {
    sink({
      time: new Date().toISOString(),
      remote: req.socket.remoteAddress ?? '',
      user: user() ?? '',
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0],
      status: res.writableFinished ? res.statusCode : 499,
      bytes,
      duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
    });
  });
}
