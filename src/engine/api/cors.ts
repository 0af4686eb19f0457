/**
 * `--api-cors-header`: dockerd 26's CORS headers, for pages that drive the API from a browser (the
 * chapter's technique). A value without commas is sent as it is on every reply, as dockerd sent it
 * ("*" lets any page in). Beyond dockerd, a comma-separated list of origins answers only a request
 * from one of them, with its own origin and `Vary: Origin`.
 *
 * The WebSocket attach is not covered by CORS in browsers (a page of any origin may open one), so
 * berthd checks it here: an upgrade whose Origin is not the daemon's own host is refused unless the
 * flag admits that origin. dockerd checks nothing, and lets any page attach.
 */
import type { IncomingMessage } from 'node:http';
import { ForbiddenError } from '../../lib/errors.js';

const ALLOW_HEADERS = 'Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth';
const ALLOW_METHODS = 'HEAD, GET, POST, DELETE, PUT, OPTIONS';

/** What berthd says when the flag is set: at start in its log, and in `docker info`'s warnings. */
export function corsWarning(value: string): string {
  return `WARNING: API CORS headers are enabled (--api-cors-header ${JSON.stringify(value)}): web pages of ${value === '*' ? 'any origin' : value} `
    + 'can use this daemon\'s API from a browser, and access to the API is equivalent to root access on the host. '
    + 'Use a reverse proxy with authentication if you need CORS headers.';
}

export class CorsPolicy {
  private readonly list: Set<string> | undefined;

  constructor(private readonly value: string | undefined) {
    this.list = value?.includes(',') ? new Set(value.split(',').map((o) => o.trim()).filter(Boolean)) : undefined;
  }

  /** The CORS headers of a reply to a request from `origin` (none without the flag). */
  headers(origin: string | undefined): Record<string, string> {
    if (!this.value) return {};
    const common = { 'Access-Control-Allow-Headers': ALLOW_HEADERS, 'Access-Control-Allow-Methods': ALLOW_METHODS };
    if (!this.list) return { 'Access-Control-Allow-Origin': this.value, ...common };
    if (origin && this.list.has(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...common };
    return { Vary: 'Origin' };
  }

  /** Refuses a WebSocket upgrade from a page of another site that the flag does not admit. */
  checkWebSocketOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (!origin || this.admits(origin)) return;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      host = '';
    }
    if (host && host === String(req.headers.host ?? '').toLowerCase()) return;
    throw new ForbiddenError(`WebSocket attach from origin ${origin} refused: start berthd with --api-cors-header to allow pages of other origins`);
  }

  private admits(origin: string): boolean {
    if (!this.value) return false;
    if (this.list) return this.list.has(origin);
    return this.value === '*' || this.value === origin;
  }
}
