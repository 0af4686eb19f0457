/**
 * `berth console`'s web server: one route table for pages, assets, the pages' API and terminal
 * WebSockets, each request passing the gate first (Host allowlist, Origin for WebSockets and every
 * state-changing request, the session cookie from the one-time login token, a ticket per WebSocket).
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { ApiClient } from '../client/api-client.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import { ConsoleGate, allowedHostsFor } from './console-gate.js';
import { messageOf, securityHeaders, sendBody, sendHtml, sendJson, statusOf } from './console-http.js';
import { ConsoleApi, type Caller } from './console-api.js';
import { ContainerFeed } from './container-feed.js';
import { Pages } from './pages.js';
import { messagePage } from './page-layout.js';
import { TerminalSessions } from './terminal-sessions.js';
import { asset } from './static-assets.js';

const pathOf = (req: http.IncomingMessage): string => (req.url ?? '/').replace(/\?.*$/, '');

function logRequest(req: http.IncomingMessage, res: http.ServerResponse, debug: (message: string) => void): void {
  const started = Date.now();
  const path = pathOf(req);
  res.on('close', () => {
    const ended = res.writableFinished ? `${res.statusCode}` : `${res.headersSent ? res.statusCode : 'no answer'}, closed before the end`;
    debug(`${req.method} ${path}: ${ended} after ${Date.now() - started} ms`);
  });
}

export interface ConsoleOptions {
  host: string;
  port: number;
  /** PEM certificate and key: serve https. */
  tls?: { cert: Buffer; key: Buffer };
  /** The daemon's address, shown in the pages' header. */
  daemon: string;
  warn: (message: string) => void;
  /** Each request as it ends (`berth -D console`): method, path (no query: it may carry a token), status, time. */
  debug?: (message: string) => void;
}

type Handler = (c: Caller, params: string[], url: URL) => Promise<void> | void;

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handler: Handler;
}

const NAME = '([^/]+)';

export class ConsoleServer {
  private readonly gate: ConsoleGate;
  private readonly routes: Route[];
  private readonly feed: ContainerFeed;
  private readonly terminals: TerminalSessions;

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
    private readonly loginToken: string,
    gate: ConsoleGate,
    client: ApiClient,
    opts: ConsoleOptions,
  ) {
    this.gate = gate;
    this.feed = new ContainerFeed(client, opts.warn);
    this.terminals = new TerminalSessions(client, opts.warn);
    const api = new ConsoleApi(client, gate, this.feed, this.terminals);
    const pages = new Pages(client, opts.daemon);
    const html = (render: (p: string[], url: URL) => Promise<string>): Handler => async (c, p, url) => sendHtml(c.res, 200, await render(p, url));
    this.routes = [
      { method: 'GET', path: /^\/$/, handler: (c) => redirect(c, '/containers') },
      { method: 'GET', path: /^\/containers$/, handler: html(() => pages.containers()) },
      { method: 'GET', path: new RegExp(`^/containers/${NAME}$`), handler: html(([n]) => pages.container(n!)) },
      { method: 'GET', path: new RegExp(`^/containers/${NAME}/logs$`), handler: html(([n]) => pages.logs(n!)) },
      { method: 'GET', path: new RegExp(`^/containers/${NAME}/terminal(?:/${NAME})?$`), handler: html(([n, s], url) => pages.terminal(n!, 'exec', s, url.searchParams.get('cmd'))) },
      { method: 'GET', path: new RegExp(`^/containers/${NAME}/attach(?:/${NAME})?$`), handler: html(([n, s]) => pages.terminal(n!, 'attach', s, null)) },
      { method: 'GET', path: /^\/images$/, handler: html(() => pages.images()) },
      { method: 'GET', path: /^\/volumes$/, handler: html(() => pages.volumes()) },
      { method: 'GET', path: /^\/networks$/, handler: html(() => pages.networks()) },
      { method: 'GET', path: /^\/api\/containers\/events$/, handler: (c) => api.events(c) },
      { method: 'GET', path: new RegExp(`^/api/containers/${NAME}/stats$`), handler: (c, [n]) => api.stats(c, n!) },
      { method: 'GET', path: new RegExp(`^/api/containers/${NAME}/logs$`), handler: (c, [n], url) => api.logs(c, n!, url.searchParams) },
      { method: 'POST', path: new RegExp(`^/api/containers/${NAME}/terminals$`), handler: (c, [n]) => api.createTerminal(c, n!) },
      { method: 'POST', path: new RegExp(`^/api/containers/${NAME}/(\\w+)$`), handler: (c, [n, a]) => api.action(c, n!, a!) },
      { method: 'POST', path: new RegExp(`^/api/terminals/${NAME}/tickets$`), handler: (c, [id]) => api.ticket(c, id!) },
      { method: 'POST', path: /^\/api\/invitations$/, handler: (c) => api.invite(c) },
    ];
    server.on('request', (req, res) => {
      if (opts.debug) logRequest(req, res, opts.debug);
      void this.handle(req, res);
    });
    server.on('upgrade', (req, socket, head) => {
      opts.debug?.(`${req.method} ${pathOf(req)}: upgrade asked`);
      this.upgrade(req, socket, head);
    });
  }

  /** Listens on host:port (port 0: any free port) and resolves once it does. */
  static async start(client: ApiClient, opts: ConsoleOptions): Promise<ConsoleServer> {
    const scheme = opts.tls ? 'https' : 'http';
    const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }) : http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const gate = new ConsoleGate(scheme, allowedHostsFor(opts.host, port, scheme), port);
    const shownHost = ['0.0.0.0', '::', ''].includes(opts.host) ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    return new ConsoleServer(server, `${scheme}://${shownHost}:${port}`, gate.newLogin('/containers', true), gate, client, opts);
  }

  /** The URL to open: the console with its one-time login token. */
  get loginUrl(): string {
    return `${this.origin}/login?token=${this.loginToken}`;
  }

  async close(): Promise<void> {
    this.feed.close();
    this.terminals.close();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://console');
    const api = url.pathname.startsWith('/api/');
    try {
      const host = this.gate.hostOf(req);
      if (!host) throw new ForbiddenError(`this console does not answer to the host name ${JSON.stringify(req.headers.host ?? '')}`);
      const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
      if (method !== 'GET' && !this.gate.originMatches(req, host)) throw new ForbiddenError('cross-origin request refused');
      if (method === 'GET' && url.pathname.startsWith('/assets/')) {
        const found = await asset(url.pathname);
        if (!found) throw new NotFoundError('no such file');
        sendBody(res, 200, found.contentType, found.body, { 'Cache-Control': 'private, max-age=3600' });
        return;
      }
      if (method === 'GET' && url.pathname === '/login') {
        this.login(res, url.searchParams.get('token') ?? '');
        return;
      }
      const session = this.gate.sessionOf(req);
      if (!session) throw new UnauthorizedError('open the URL that berth console printed (or an invitation) to log in');
      const caller: Caller = { req, res, session, origin: `${this.gate.scheme}://${host}` };
      for (const route of this.routes) {
        if (route.method !== method) continue;
        const m = route.path.exec(url.pathname);
        if (!m) continue;
        await route.handler(caller, m.slice(1).map((p) => (p === undefined ? p! : decodeURIComponent(p))), url);
        return;
      }
      throw new NotFoundError(`no page ${url.pathname}`);
    } catch (err) {
      const status = statusOf(err);
      if (res.headersSent) res.destroy();
      else if (api || req.headers.accept?.includes('application/json')) sendJson(res, status, { message: messageOf(err) });
      else sendHtml(res, status, messagePage('', status === 401 ? 'Log in' : `Error ${status}`, messageOf(err)));
    }
  }

  private login(res: http.ServerResponse, token: string): void {
    const granted = this.gate.redeemLogin(token);
    if (!granted) throw new UnauthorizedError('this login link was already used or is not valid; ask for a new one');
    res.setHeader('Set-Cookie', this.gate.cookieFor(granted.session));
    res.writeHead(303, { Location: granted.next, 'Cache-Control': 'no-store', 'Content-Length': 0 });
    res.end();
  }

  /** A terminal WebSocket: /ws/terminals/{id}?ticket=..., from our own origin, with a ticket of this session. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, message: string): void => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
    };
    const url = new URL(req.url ?? '/', 'http://console');
    const host = this.gate.hostOf(req);
    if (!host) return refuse(403, 'unknown host');
    if (!this.gate.originMatches(req, host)) return refuse(403, 'cross-origin WebSocket refused');
    const m = /^\/ws\/terminals\/([^/]+)$/.exec(url.pathname);
    const id = m ? decodeURIComponent(m[1]!) : '';
    const terminal = this.terminals.get(id);
    if (!terminal) return refuse(404, 'no such terminal session');
    if (!this.gate.redeemTicket(url.searchParams.get('ticket') ?? '', this.gate.sessionOf(req), id)) {
      return refuse(401, 'a WebSocket needs a fresh ticket from POST /api/terminals/{id}/tickets');
    }
    const wss = this.terminals.webSocketServer();
    wss.handleUpgrade(req, socket, head, (ws) => this.terminals.serve(ws, terminal));
  }
}

function redirect(c: Caller, location: string): void {
  c.res.writeHead(303, { Location: location, 'Content-Length': 0 });
  c.res.end();
}
