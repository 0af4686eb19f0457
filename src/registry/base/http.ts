// HTTP helpers of the registry API: error bodies, body draining, Range parsing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError, toRegistryError } from './errors.js';

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toRegistryError(err);
  if (res.headersSent) { res.destroy(); return; }
  const body = Buffer.from(JSON.stringify(e.toJSON()));
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', body.length);
  res.statusCode = e.status;
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function sendJSON(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': body.length });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}


/** Reads and drops what is left of a request body, up to `limit` bytes; true if it reached the end. */
export function discardBody(req: IncomingMessage, limit: number): Promise<boolean> {
  const declared = Number(req.headers['content-length']);
  if (req.readableEnded || req.destroyed) return Promise.resolve(req.readableEnded);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ok: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onError);
      resolve(ok);
    };
    const onData = (chunk: Buffer) => { seen += chunk.length; if (seen > limit) { req.pause(); done(false); } };
    const onEnd = () => done(true);
    const onError = () => done(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onError);
    req.resume();
  });
}

/** Whether the request carries a body (a non-zero Content-Length or a chunked one). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Parses "Range: bytes=a-b" for a body of `size` bytes (one range; RFC 9110). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // not a range we understand: whole body
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Parses an upload's "Content-Range: <start>-<end>" (inclusive). */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m) throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range ${header.slice(0, 100)}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError('RANGE_INVALID', `invalid Content-Range ${header.slice(0, 100)}`);
  return { start, end };
}

/** The "n" and "last" pagination parameters. */
export function pagination(query: URLSearchParams, fallback: number | undefined): { n: number | undefined; last: string | undefined } {
  const raw = query.get('n');
  let n = fallback;
  if (raw !== null && raw !== '') {
    if (!/^\d+$/.test(raw)) throw new RegistryError('PAGINATION_NUMBER_INVALID', `invalid n ${raw.slice(0, 20)}`);
    n = Number(raw);
  }
  return { n, last: query.get('last') ?? undefined };
}

/** Applies n/last to a sorted list; returns the page and whether more follow. */
export function paginate(items: string[], n: number | undefined, last: string | undefined): { page: string[]; more: boolean } {
  let start = 0;
  if (last !== undefined) {
    start = items.findIndex((t) => t > last);
    if (start < 0) start = items.length;
  }
  if (n === undefined) return { page: items.slice(start), more: false };
  const page = items.slice(start, start + n);
  return { page, more: n > 0 && start + n < items.length };
}
