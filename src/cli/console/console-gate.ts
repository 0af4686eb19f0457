/**
 * Who may use the console, checked on every request: the Host header against an allowlist (a page
 * served from another name through DNS rebinding gets 403), the Origin of every WebSocket upgrade and
 * state-changing request against the console's own (403 otherwise), a session cookie obtained once
 * with the one-time login token the command printed, and single-use tickets for WebSockets (a
 * WebSocket is never authorised by the cookie alone: a ticket comes from an authenticated request).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

/** A session cookie lives this long; the login token is spent once. */
const SESSION_MS = 12 * 60 * 60 * 1000;
/** A WebSocket ticket must be used this soon after it was issued. */
export const TICKET_MS = 10_000;
/** An invitation (a login link made by a logged-in page for another browser) is good this long. */
const INVITE_MS = 10 * 60 * 1000;

interface Grant {
  expires: number;
  /** Where the login leads (a path of the console). */
  next: string;
}

interface Ticket {
  expires: number;
  session: string;
  subject: string;
}

function secret(): string {
  return randomBytes(24).toString('base64url');
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\./.test(bare);
}

function hostPort(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return `${isIP(bare) === 6 ? `[${bare}]` : bare.toLowerCase()}:${port}`;
}

/**
 * The Host values a browser sends for a console listening on host:port: the address itself, the
 * loopback names when it is loopback, and every address and the host name of the machine when it
 * listens on all of them. The default port of the scheme may be left out by the browser.
 */
export function allowedHostsFor(listenHost: string, port: number, scheme: 'http' | 'https'): Set<string> {
  const names = new Set<string>();
  const bare = listenHost.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0' || bare === '::' || bare === '') {
    names.add('localhost').add(hostname());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address);
  } else if (isLoopback(bare)) {
    names.add('localhost').add('127.0.0.1').add('::1').add(bare);
  } else {
    names.add(bare);
  }
  const out = new Set<string>();
  const defaultPort = scheme === 'https' ? 443 : 80;
  for (const name of names) {
    out.add(hostPort(name, port));
    if (port === defaultPort) out.add(hostPort(name, port).replace(/:\d+$/, ''));
  }
  return out;
}

export class ConsoleGate {
  private readonly logins = new Map<string, Grant>();
  private readonly sessions = new Map<string, number>();
  private readonly tickets = new Map<string, Ticket>();
  readonly cookieName: string;

  constructor(readonly scheme: 'http' | 'https', private readonly allowedHosts: Set<string>, port: number) {
    this.cookieName = `berth_console_${port}`;
  }

  /** The request's Host when it is one of ours (lower-cased), else undefined. */
  hostOf(req: IncomingMessage): string | undefined {
    const host = String(req.headers.host ?? '').toLowerCase();
    return this.allowedHosts.has(host) ? host : undefined;
  }

  /** Whether the request's Origin is exactly this console's, as the page reached it. */
  originMatches(req: IncomingMessage, host: string): boolean {
    return req.headers.origin === `${this.scheme}://${host}`;
  }

  /** A one-time login token that leads to `next`; the first one (printed) never expires unused. */
  newLogin(next = '/containers', forever = false): string {
    const token = secret();
    this.logins.set(token, { next, expires: forever ? Infinity : Date.now() + INVITE_MS });
    return token;
  }

  /** Spends a login token: a new session and where to go, or undefined for an unknown or spent token. */
  redeemLogin(token: string): { session: string; next: string } | undefined {
    const grant = this.logins.get(token);
    if (!grant) return undefined;
    this.logins.delete(token);
    if (grant.expires < Date.now()) return undefined;
    const session = secret();
    this.sessions.set(session, Date.now() + SESSION_MS);
    return { session, next: grant.next };
  }

  /** The Set-Cookie value for a session: HttpOnly, SameSite=Strict, Secure over TLS. */
  cookieFor(session: string): string {
    const secure = this.scheme === 'https' ? '; Secure' : '';
    return `${this.cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure}`;
  }

  /** The request's session, when its cookie names a live one. */
  sessionOf(req: IncomingMessage): string | undefined {
    for (const part of String(req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== this.cookieName) continue;
      const id = part.slice(eq + 1).trim();
      const expires = this.sessions.get(id);
      if (expires === undefined) continue;
      if (expires < Date.now()) {
        this.sessions.delete(id);
        continue;
      }
      return id;
    }
    return undefined;
  }

  /** A single-use ticket for one WebSocket of `session` to `subject` (a terminal session id). */
  issueTicket(session: string, subject: string): string {
    const now = Date.now();
    for (const [t, v] of this.tickets) if (v.expires < now) this.tickets.delete(t);
    const ticket = secret();
    this.tickets.set(ticket, { session, subject, expires: now + TICKET_MS });
    return ticket;
  }

  /** Spends a ticket: true only for a live ticket issued to this session for this subject. */
  redeemTicket(ticket: string, session: string | undefined, subject: string): boolean {
    const t = this.tickets.get(ticket);
    if (!t) return false;
    this.tickets.delete(ticket);
    return t.expires >= Date.now() && t.session === session && t.subject === subject;
  }
}
