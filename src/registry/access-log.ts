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

/**
 * Logs the request once the response has finished (or was cut off). Bytes are the body's
 * Content-Length (every response here declares one), or what the socket sent for a cut-off one;
 * res.write is left alone, it is the hot path of blob downloads.
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse, sink: AccessLogSink, user: () => string | undefined): void {
  const started = process.hrtime.bigint();
  const socket = req.socket;
  const sentBefore = socket.bytesWritten;
  res.once('close', () => {
    const finished = res.writableFinished;
    const declared = Number(res.getHeader('content-length'));
    const bytes = req.method === 'HEAD' ? 0
      : finished && Number.isFinite(declared) ? declared : Math.max(0, socket.bytesWritten - sentBefore);
    sink({
      time: new Date().toISOString(),
      remote: socket.remoteAddress ?? '',
      user: user() ?? '',
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0],
      status: finished ? res.statusCode : 499,
      bytes,
      duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
    });
  });
}
