import { closeSync, openSync, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { identityFields } from '../base/access-roles.js';
import type { AccessDecision } from './access-control.js';

/**
 * One JSON line per API request: time, who (certificate CN, or uid/gid/pid and groups of a
 * unix-socket peer, or the remote address), the decision (allowed or denied, with the role and the
 * action), method, path, status, duration. Enabled with `--audit-log FILE` (`-` for stderr).
 *
 * Rotation loses nothing: each line is one write(2) to a file opened O_APPEND, so a line is either in
 * the old file or the new one, whole. `reopen()` (berthd calls it on SIGHUP, as logrotate's
 * postrotate expects) opens the path afresh and only then closes the old descriptor: lines written
 * before go to the renamed file, lines after to the new one.
 */
export class AuditLog {
  private fd?: number;

  constructor(private readonly target: string | undefined) {
    if (target && target !== '-') this.fd = openSync(target, 'a', 0o600);
  }

  get enabled(): boolean {
    return this.target !== undefined;
  }

  /** Opens the file again under its name (after logrotate moved it away). */
  reopen(): void {
    if (!this.target || this.target === '-') return;
    const old = this.fd;
    this.fd = openSync(this.target, 'a', 0o600);
    if (old !== undefined) closeSync(old);
  }

  record(req: IncomingMessage, status: number, startedNs: bigint, access?: AccessDecision): void {
    if (!this.target) return;
    const line = {
      time: new Date().toISOString(),
      ...(access ? { who: identityFields(access.who), role: access.role ?? null, decision: access.allowed ? 'allowed' : 'denied' } : {}),
      ...(access?.action ? { action: access.action } : {}),
      remote: req.socket.remoteAddress ?? 'unix',
      method: req.method,
      path: req.url,
      status,
      durationMs: Number(process.hrtime.bigint() - startedNs) / 1e6,
      userAgent: req.headers['user-agent'],
    };
    const text = JSON.stringify(line) + '\n';
    if (this.fd === undefined) process.stderr.write(text);
    else writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
