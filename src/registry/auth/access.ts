// What a request needs (resource scopes, as the token specification names them) and the interface
// every auth scheme implements.
import type { IncomingMessage } from 'node:http';

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface Authorizer {
  /**
   * Returns the authenticated user (undefined for anonymous access where allowed). Throws
   * RegistryError UNAUTHORIZED with a WWW-Authenticate challenge, or DENIED.
   */
  authorize(req: IncomingMessage, access: Access[]): Promise<string | undefined>;
}

/** Renders scopes as the "scope" challenge parameter: "repository:team/app:pull,push". */
export function scopeString(access: Access[]): string {
  return access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ');
}

/** Parses a scope parameter ("repository:team/app:pull,push"); the name may hold a port-like ':'. */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  let type = scope.slice(0, first);
  const paren = /^([a-z0-9]+)\([a-z0-9]+\)$/.exec(type);
  if (paren) type = paren[1];
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',').filter(Boolean);
  if (!type || !name) return undefined;
  return { type, name, actions };
}

/** Reads "Authorization: Basic ..." into user and password. */
export function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}
