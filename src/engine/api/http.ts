import type { RequestContext } from './router.js';
import { Duplex } from 'node:stream';
import { InvalidArgumentError, errorMessage, noSpaceOr } from '../../lib/errors.js';
import { readCappedRequest } from '../../lib/read-capped.js';
import { statusForError } from './errors.js';

/** Request bodies larger than this are refused (JSON configs are small; archives stream elsewhere). */
export const MAX_JSON_BODY = 8 * 1024 * 1024;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

/** Whether the client asked for API version `wanted` (`1.42`) or later: rules that changed between versions. */
export function apiAtLeast(ctx: Pick<RequestContext, 'apiVersion'>, wanted: string): boolean {
  const [major, minor] = ctx.apiVersion.split('.').map(Number);
  const [wMajor, wMinor] = wanted.split('.').map(Number);
  return major > wMajor || (major === wMajor && minor >= wMinor);
}

/** Sends a JSON reply, on a plain response or raw on an upgrade-requested connection. */
export function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  if (ctx.redact && status < 300) body = ctx.redact(body);
  const text = status === 204 || status === 304 || body === undefined ? '' : JSON.stringify(body) + '\n';
  sendRaw(ctx, status, text, text ? 'application/json' : undefined);
}

export function sendText(ctx: RequestContext, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  sendRaw(ctx, status, text, contentType);
}

export function sendError(ctx: RequestContext, failure: unknown): void {
  const err = noSpaceOr(failure); // a full disk in Docker's words, whichever store met it
  const status = statusForError(err);
  if (status === 500 && ctx.engine.log.debugEnabled) ctx.engine.log.debug(`500 on ${ctx.req.method} ${ctx.req.url}: ${(err as Error)?.stack ?? err}`);
  sendJson(ctx, status, { message: errorMessage(err) });
}

function sendRaw(ctx: RequestContext, status: number, text: string, contentType?: string): void {
  const body = ctx.req.method === 'HEAD' ? '' : text;
  if (ctx.res) {
    if (ctx.res.headersSent) {
      ctx.res.end();
      return;
    }
    const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(body) };
    if (contentType) headers['Content-Type'] = contentType;
    ctx.res.writeHead(status, headers);
    ctx.res.end(body);
    return;
  }
  const socket = ctx.upgrade!.socket;
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Status'}`, ...apiHeaderLines(ctx)];
  if (contentType) lines.push(`Content-Type: ${contentType}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', '');
  socket.end(lines.join('\r\n') + body);
}

/** The headers every reply of the engine carries (Docker's Api-Version, Server, Ostype...). */
export function apiHeaders(ctx: Pick<RequestContext, 'engine'>): Record<string, string> {
  return {
    'Api-Version': ctx.engine.apiVersion,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `Berth/${ctx.engine.version} (linux)`,
  };
}

function apiHeaderLines(ctx: RequestContext): string[] {
  return Object.entries(apiHeaders(ctx)).map(([k, v]) => `${k}: ${v}`);
}

/**
 * Takes over the connection for a raw stream, as Docker's attach and exec do: `101 UPGRADED` when the
 * client asked for `Upgrade: tcp`, otherwise `200 OK` with the raw-stream content type. Validate
 * everything before calling this: after it, errors can only close the stream.
 */
export function hijack(ctx: RequestContext, contentType = 'application/vnd.docker.raw-stream'): Duplex {
  if (ctx.res) {
    ctx.res.writeHead(200, { 'Content-Type': contentType });
    ctx.res.flushHeaders();
    return Duplex.from({ readable: ctx.req, writable: ctx.res });
  }
  const { socket, head } = ctx.upgrade!;
  const lines = ['HTTP/1.1 101 UPGRADED', `Content-Type: ${contentType}`, 'Connection: Upgrade', 'Upgrade: tcp'];
  socket.write([...lines, ...apiHeaderLines(ctx), '', ''].join('\r\n'));
  if (head.length) socket.unshift(head);
  return socket;
}

/** Reads and parses a JSON body, with a size cap. An empty body is `undefined`. */
export async function readJson<T = unknown>(ctx: RequestContext, maxBytes = MAX_JSON_BODY): Promise<T | undefined> {
  const text = (await readBody(ctx, maxBytes)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON: ${errorMessage(err)}`);
  }
}

export async function readBody(ctx: RequestContext, maxBytes: number): Promise<Buffer> {
  return readCappedRequest(ctx.req, maxBytes, () => bodyTooLarge(maxBytes));
}

/** The refusal of a request body over `maxBytes` (a 400, as Docker answers). */
export function bodyTooLarge(maxBytes: number): InvalidArgumentError {
  return new InvalidArgumentError(`request body is too large (over ${maxBytes} bytes)`);
}

/** Docker's boolean query values: 1/true/True are true; absent, empty, 0 and false are false. */
export function queryBool(ctx: RequestContext, name: string, fallback = false): boolean {
  const value = ctx.query.get(name);
  if (value === null || value === '') return fallback;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(value);
}

export function queryInt(ctx: RequestContext, name: string): number | undefined {
  const value = ctx.query.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(value)}`);
  return n;
}

/**
 * Parses Docker's `filters` query parameter: `{"name":["a"],"label":{"k=v":true}}` (both the list form
 * and the old map form) into name -> values. A name not `allowed` is refused (`'any'`: all are taken).
 */
export function queryFilters(ctx: RequestContext, allowed: readonly string[] | 'any'): Map<string, string[]> {
  const raw = ctx.query.get('filters');
  const filters = new Map<string, string[]>();
  if (!raw) return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`invalid filter: ${errorMessage(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('invalid filter: not an object');
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (allowed !== 'any' && !allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    const values = Array.isArray(value) ? value.map(String)
      : typeof value === 'object' && value !== null ? Object.keys(value) : [String(value)];
    filters.set(key, values);
  }
  return filters;
}
