import { createWriteStream, type WriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/**
 * One JSON line per API request (time, remote, method, path, status, duration): the API traffic made
 * visible without a socat proxy in front of the socket. Enabled with `--audit-log FILE` (`-` for stderr).
 */
export class AuditLog {
  private readonly out?: WriteStream | NodeJS.WriteStream;

  constructor(target: string | undefined) {
    if (!target) return;
    this.out = target === '-' ? process.stderr : createWriteStream(target, { flags: 'a', mode: 0o600 });
  }

  record(req: IncomingMessage, status: number, startedNs: bigint): void {
    if (!this.out) return;
    const line = {
      time: new Date().toISOString(),
      remote: req.socket.remoteAddress ?? 'unix',
      method: req.method,
      path: req.url,
      status,
      durationMs: Number(process.hrtime.bigint() - startedNs) / 1e6,
      userAgent: req.headers['user-agent'],
    };
    this.out.write(JSON.stringify(line) + '\n');
  }
}
