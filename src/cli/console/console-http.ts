/**
 * What every reply of the console carries (the security headers, CSP with connect-src 'self') and the
 * few ways it replies: HTML pages, JSON, errors. An error of the daemon keeps the daemon's status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DaemonError, CliError } from '../base/errors.js';
import { BerthError, ForbiddenError, InvalidArgumentError, NotFoundError, UnauthorizedError, errorMessage } from '../../lib/errors.js';
import { readCappedRequest } from '../../lib/read-capped.js';

export { escapeHtml } from './web/html.js';

/**
 * The page's rules for the browser. Scripts come from the console only; connections go back to it
 * only. Inline styles are allowed because xterm.js's renderer
 * writes its own <style> elements (it has no nonce option); no script can be injected through them.
 */
export const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", "base-uri 'none'", "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // the login URL carries a token: never let it leave in a Referer
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, 'application/json', JSON.stringify(value));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  sendBody(res, status, 'text/html; charset=utf-8', html);
}

/** The status an error answers with: the daemon's own, or the kind's. */
export function statusOf(err: unknown): number {
  if (err instanceof DaemonError) return err.status;
  if (err instanceof UnauthorizedError) return 401;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof InvalidArgumentError) return 400;
  if (err instanceof BerthError || err instanceof CliError) return 502;
  return 500;
}

export function messageOf(err: unknown): string {
  return err instanceof DaemonError ? err.daemonMessage : errorMessage(err);
}

/** Reads a JSON request body (at most 64 KiB). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readCappedRequest(req, 64 * 1024, () => new InvalidArgumentError('request body too large'));
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('the request body must be a JSON object');
}
