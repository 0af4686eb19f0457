/**
 * The one way `berth` talks to a daemon: the Docker Engine API over a unix socket or TCP (optionally
 * TLS). Negotiates the API version like docker (GET /_ping, Api-Version header, min(server, 1.47)),
 * prefixes every path with /v1.NN, and turns error statuses into DaemonError with the daemon's message.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import { CliError, ConnectError, DaemonError } from '../base/errors.js';
import type { DaemonTarget } from './host.js';
import type { ClientLog } from '../base/client-log.js';

export const CLIENT_API_VERSION = '1.47';
const USER_AGENT = 'Berth-Client/0.1.0 (linux)';
/** Error bodies are read whole; cap them so a broken daemon cannot exhaust memory. */
const MAX_BODY = 64 * 1024 * 1024;

export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** A JSON-serialisable value, raw bytes, or a stream to send as the body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Hijacked {
  /** The raw connection after the 101 (or the 200 body of a daemon that does not upgrade). */
  socket: Duplex;
  /** Bytes already read past the response head. */
  head: Buffer;
  /** True when the daemon switched protocols and the socket accepts writes (stdin). */
  upgraded: boolean;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x) || 0);
  const pb = b.split('.').map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) params.append(k, item);
      continue;
    }
    params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function isReadable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && typeof (x as Readable).pipe === 'function';
}

async function readAll(stream: Readable, cap = MAX_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > cap) throw new Error('response body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The daemon's message from an error body: `{"message": ...}` or plain text. */
export function errorFromBody(status: number, body: Buffer, route: string): DaemonError {
  const text = body.toString('utf8').trim();
  if (text) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (parsed && typeof parsed.message === 'string') return new DaemonError(status, parsed.message);
    } catch {
      // not JSON: the text itself is the message
    }
    return new DaemonError(status, text);
  }
  return new DaemonError(status,
    `request returned ${http.STATUS_CODES[status] ?? status} for API route and version ${route}, check if the server supports the requested API version`);
}

export class ApiClient {
  private version: string | undefined;
  private readonly agent: http.Agent;

  constructor(readonly target: DaemonTarget, env: NodeJS.ProcessEnv = process.env, private readonly log?: Pick<ClientLog, 'debug'>) {
    const tls = target.tls;
    this.agent = tls
      ? new https.Agent({
          keepAlive: true,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.verify,
        })
      : new http.Agent({ keepAlive: true });
    if (env.DOCKER_API_VERSION) this.version = env.DOCKER_API_VERSION.replace(/^v/, '');
  }

  close(): void {
    this.agent.destroy();
  }

  private baseOptions(method: string, path: string, headers: Record<string, string>): http.RequestOptions {
    const t = this.target;
    return {
      method,
      path,
      agent: this.agent,
      headers: { 'User-Agent': USER_AGENT, Host: t.socketPath ? 'api.moby.localhost' : `${t.hostname}:${t.port}`, ...headers },
      ...(t.socketPath ? { socketPath: t.socketPath } : { host: t.hostname, port: t.port }),
    };
  }

  private send(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Buffer | Readable | undefined;
    if (isReadable(opts.body)) {
      payload = opts.body;
      headers['Content-Type'] ??= 'application/x-tar';
    } else if (Buffer.isBuffer(opts.body)) {
      payload = opts.body;
    } else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] ??= 'application/json';
    }
    if (Buffer.isBuffer(payload)) headers['Content-Length'] = String(payload.length);
    const mod = this.target.tls ? https : http;
    const started = Date.now();
    const target = path + encodeQuery(opts.query);
    return new Promise((resolve, reject) => {
      const req = mod.request(this.baseOptions(method, target, headers));
      req.on('response', (res) => {
        this.log?.debug(`${method} ${target}: ${res.statusCode} after ${Date.now() - started} ms`);
        resolve(res);
      });
      req.on('error', (err) => reject(this.wrapConnectError(err)));
      if (isReadable(payload)) payload.pipe(req);
      else req.end(payload);
    });
  }

  private wrapConnectError(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code)) {
      return new ConnectError(this.target.display, err);
    }
    return err;
  }

  /** The API version to speak, negotiated once with the daemon. */
  async apiVersion(): Promise<string> {
    if (this.version) return this.version;
    const res = await this.send('GET', '/_ping', {});
    await readAll(res).catch(() => Buffer.alloc(0));
    const server = res.headers['api-version'];
    const serverVersion = typeof server === 'string' && server ? server : '1.24';
    this.version = compareVersions(serverVersion, CLIENT_API_VERSION) < 0 ? serverVersion : CLIENT_API_VERSION;
    return this.version;
  }

  private async versioned(path: string): Promise<string> {
    return `/v${await this.apiVersion()}${path}`;
  }

  /** Sends a request and reads the whole answer; statuses >= 400 become DaemonError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const route = await this.versioned(path);
    const res = await this.send(method, route, opts);
    const body = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw errorFromBody(status, body, route);
    return { status, headers: res.headers, body };
  }

  /** Like request, parsing the body as JSON (undefined for an empty body). */
  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = res.body.toString('utf8');
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  /** Sends a request and hands back the streaming answer once its status is known to be good. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const route = await this.versioned(path);
    const res = await this.send(method, route, opts);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw errorFromBody(status, await readAll(res), route);
    return res;
  }

  /** POST with `Connection: Upgrade`/`Upgrade: tcp` (attach, exec start) and take over the socket. */
  async hijack(path: string, opts: RequestOptions = {}): Promise<Hijacked> {
    const route = await this.versioned(path);
    const headers: Record<string, string> = {
      Connection: 'Upgrade',
      Upgrade: 'tcp',
      'Content-Type': 'text/plain',
      ...opts.headers,
    };
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    if (body) headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(body?.length ?? 0);
    const mod = this.target.tls ? https : http;
    // A dedicated connection: the hijacked socket never returns to the pool.
    const options = { ...this.baseOptions('POST', route + encodeQuery(opts.query), headers), agent: false as const };
    if (this.target.tls) {
      Object.assign(options, {
        ca: this.target.tls.ca,
        cert: this.target.tls.cert,
        key: this.target.tls.key,
        rejectUnauthorized: this.target.tls.verify,
      });
    }
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = mod.request(options);
      req.on('upgrade', (res, socket, head) => {
        this.log?.debug(`POST ${options.path}: ${res.statusCode} (upgraded) after ${Date.now() - started} ms`);
        resolve({ socket, head, upgraded: true });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        this.log?.debug(`POST ${options.path}: ${status} (not upgraded) after ${Date.now() - started} ms`);
        if (status >= 400) {
          // docker's client does not read the body of a refused upgrade: it reports the status only
          res.resume();
          reject(new CliError(`unable to upgrade to tcp, received ${status}`));
          return;
        }
        resolve({ socket: res as unknown as Duplex, head: Buffer.alloc(0), upgraded: false });
      });
      req.on('error', (err) => reject(this.wrapConnectError(err)));
      req.end(body);
    });
  }
}

/** Docker's filter encoding: {"key": {"value": true}}. */
export function encodeFilters(filters: string[] | undefined): string | undefined {
  if (!filters || filters.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new CliError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).trim().toLowerCase();
    const value = f.slice(eq + 1);
    (out[key] ??= {})[value] = true;
  }
  return JSON.stringify(out);
}
