// Sign-in sessions of the web pages: a random id in a cookie (HttpOnly, SameSite=Strict, Secure over
// TLS), the user and a CSRF token per session, held in memory. A visitor gets a session (without a
// user) the first time a page shows a form, so that the sign-in form is CSRF-protected too; signing
// in replaces it with a new one (new id, new token), so an id planted before sign-in is worth nothing.
// Sessions do not outlive the process: after a restart users sign in again.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'berth_hub_session';

export interface Session {
  readonly id: string;
  /** The token every form of this session carries in its hidden `csrf` field. */
  readonly csrf: string;
  /** Who signed in; undefined for a visitor who has not. */
  readonly user?: string;
  readonly expires: number;
}

export interface SessionStoreOptions {
  /** How long a signed-in session lasts (default 12 hours). */
  signedInMs?: number;
  /** How long a visitor's session lasts (default 1 hour). */
  visitorMs?: number;
  /** The most sessions held; the oldest visitor sessions go first, then the oldest of all (default 10,000). */
  max?: number;
  now?: () => number;
}

function token(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  // Insertion order is age order: the first entries are the oldest.
  private readonly sessions = new Map<string, Session>();
  private readonly signedInMs: number;
  private readonly visitorMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.signedInMs = options.signedInMs ?? 12 * 3600_000;
    this.visitorMs = options.visitorMs ?? 3600_000;
    this.max = options.max ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The live session of this id; an expired one is removed and undefined returned. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** A new session, for a visitor or, with `user`, for someone who has just signed in. */
  create(user?: string): Session {
    this.makeRoom();
    const session: Session = {
      id: token(), csrf: token(), user, expires: this.now() + (user ? this.signedInMs : this.visitorMs),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** Signs `user` in: the old session (if any) ends and a new one with a new id and token begins. */
  signIn(previous: Session | undefined, user: string): Session {
    if (previous) this.sessions.delete(previous.id);
    return this.create(user);
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  private makeRoom(): void {
    if (this.sessions.size < this.max) return;
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
    if (this.sessions.size < this.max) return;
    // Visitors' sessions go first, so that a flood of anonymous page views cannot sign anyone out.
    for (const [id, s] of this.sessions) {
      if (s.user === undefined) { this.sessions.delete(id); return; }
    }
    this.sessions.delete(this.sessions.keys().next().value!);
  }
}

/** The cookies of a request, by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The Set-Cookie header of a session (or, with session undefined, the one that removes it). */
export function sessionCookie(session: Session | undefined, secure: boolean, now = Date.now()): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (!session) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  const maxAge = Math.max(0, Math.floor((session.expires - now) / 1000));
  return [`${SESSION_COOKIE}=${session.id}`, `Max-Age=${maxAge}`, ...attributes].join('; ');
}
