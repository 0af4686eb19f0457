/**
 * What the pages call besides the pages themselves: container actions, the live list, stats, logs,
 * terminals and their tickets, invitations for another browser. Every handler here runs after the
 * gate (Host, Origin for state-changing requests, the session cookie).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiClient } from '../client/api-client.js';
import { FrameDecoder } from '../client/streams.js';
import { statsEntry, type ApiStats } from '../render/stats.js';
import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { readJson, sendJson } from './console-http.js';
import type { ConsoleGate } from './console-gate.js';
import type { ContainerFeed } from './container-feed.js';
import { validSize, type TerminalSessions } from './terminal-sessions.js';

const enc = encodeURIComponent;

/** The page's button names and the API call each makes. */
const ACTIONS: Record<string, [string, (name: string) => string]> = {
  start: ['POST', (n) => `/containers/${enc(n)}/start`],
  stop: ['POST', (n) => `/containers/${enc(n)}/stop`],
  restart: ['POST', (n) => `/containers/${enc(n)}/restart`],
  pause: ['POST', (n) => `/containers/${enc(n)}/pause`],
  unpause: ['POST', (n) => `/containers/${enc(n)}/unpause`],
  remove: ['DELETE', (n) => `/containers/${enc(n)}`],
};

export interface Caller {
  req: IncomingMessage;
  res: ServerResponse;
  /** The cookie session of the request (the gate has checked it). */
  session: string;
  /** The console's own origin as this browser reaches it. */
  origin: string;
}

export class ConsoleApi {
  constructor(
    private readonly client: ApiClient,
    private readonly gate: ConsoleGate,
    private readonly feed: ContainerFeed,
    private readonly terminals: TerminalSessions,
  ) {}

  async action(c: Caller, name: string, action: string): Promise<void> {
    const call = ACTIONS[action];
    if (!call) throw new NotFoundError(`no action ${action}`);
    await this.client.request(call[0], call[1](name));
    sendJson(c.res, 200, { ok: true });
  }

  events(c: Caller): void {
    this.feed.subscribe(c.res);
  }

  /** Stats as server-sent events, one a second, computed as `docker stats` computes them. */
  async stats(c: Caller, name: string): Promise<void> {
    const upstream = await this.client.stream('GET', `/containers/${enc(name)}/stats`, { query: { stream: true } });
    c.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    c.res.on('close', () => upstream.destroy());
    let pending = '';
    upstream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line) c.res.write(`data: ${JSON.stringify(statsEntry(name, JSON.parse(line) as ApiStats))}\n\n`);
      }
    });
    upstream.on('end', () => c.res.end());
    upstream.on('error', () => c.res.destroy());
  }

  /** The log as plain text (stdout and stderr as they came), all of it or `tail`, followed when asked. */
  async logs(c: Caller, name: string, query: URLSearchParams): Promise<void> {
    const info = await this.client.json<{ Config: { Tty: boolean } }>('GET', `/containers/${enc(name)}/json`);
    const follow = query.get('follow') === '1';
    const tail = query.get('tail') ?? 'all';
    if (tail !== 'all' && !/^\d+$/.test(tail)) throw new InvalidArgumentError('tail must be a number or "all"');
    const upstream = await this.client.stream('GET', `/containers/${enc(name)}/logs`, { query: { stdout: true, stderr: true, follow, tail } });
    c.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    c.res.on('close', () => upstream.destroy());
    const decoder = info.Config.Tty ? undefined : new FrameDecoder();
    upstream.on('data', (chunk: Buffer) => {
      const out = decoder ? Buffer.concat(decoder.push(chunk).map(([, payload]) => payload)) : chunk;
      if (out.length && !c.res.write(out)) {
        upstream.pause();
        c.res.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => c.res.end());
    upstream.on('error', () => c.res.destroy());
  }

  /** Opens a terminal (exec or attach) at the page's size; answers its id and a ticket for its WebSocket. */
  async createTerminal(c: Caller, container: string): Promise<void> {
    const body = await readJson(c.req);
    const kind = body.kind === 'attach' ? 'attach' : body.kind === 'exec' || body.kind === undefined ? 'exec' : undefined;
    if (!kind) throw new InvalidArgumentError('kind must be "exec" or "attach"');
    const size = { cols: Number(body.cols), rows: Number(body.rows) };
    if (!validSize(size)) throw new InvalidArgumentError('cols and rows must be whole numbers from 1 to 65535');
    let cmd: string[] | undefined;
    if (typeof body.cmd === 'string' && body.cmd.trim()) cmd = body.cmd.trim().split(/\s+/);
    else if (body.cmd !== undefined && body.cmd !== null && body.cmd !== '') throw new InvalidArgumentError('cmd must be a string');
    if (kind === 'attach' && cmd) throw new InvalidArgumentError('an attach runs no command');
    const session = await this.terminals.create(container, kind, cmd, size);
    sendJson(c.res, 201, { id: session.info.id, ticket: this.gate.issueTicket(c.session, session.info.id) });
  }

  /** A fresh single-use ticket for a WebSocket to an existing terminal. */
  ticket(c: Caller, id: string): void {
    const session = this.terminals.get(id);
    if (!session) throw new NotFoundError(`no terminal session ${id}`);
    sendJson(c.res, 200, { ticket: this.gate.issueTicket(c.session, id), container: session.info.container, kind: session.info.kind });
  }

  /** A one-time login link for another browser, leading to a page of the console. */
  async invite(c: Caller): Promise<void> {
    const body = await readJson(c.req);
    const next = typeof body.next === 'string' ? body.next : '/containers';
    if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) throw new InvalidArgumentError('next must be a path of the console');
    sendJson(c.res, 201, { url: `${c.origin}/login?token=${this.gate.newLogin(next)}` });
  }
}
