import { InvalidArgumentError } from '../../lib/errors.js';

/**
 * Who drives the daemon and what they may do: daemon.json's `authorization` maps identities to
 * roles. The identity of a request comes from the connection, never from a header: the subject CN of
 * the client certificate on TLS (`--tlsverify`), the kernel's credentials of the peer on the unix
 * socket (api/peer-credentials.ts). The route table of what each role may do is api/route-access.ts.
 */

/** The roles, weakest first: each may do all the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Identity =
  /** A TLS client that showed a certificate signed by the daemon's CA. */
  | { kind: 'certificate'; cn: string; remote: string }
  /** A unix-socket client, as the kernel saw it at connect(): pid, uid, primary gid, supplementary groups. */
  | { kind: 'unix'; uid: number; gid: number; pid: number; groups: number[] }
  /** A unix-socket client whose credentials could not be read (no peer-credentials addon, no rules). */
  | { kind: 'unix-unknown' }
  /** A TCP client without a verified certificate (`--tls=false`, or `--tls` without `--tlsverify`). */
  | { kind: 'anonymous'; remote: string };

/** The parsed `authorization` section: one role per identity rule. */
export interface AuthorizationRules {
  cn: Map<string, Role>;
  uid: Map<number, Role>;
  gid: Map<number, Role>;
}

const RULE = /^(cn|uid|gid):(.+)$/;

/**
 * Parses daemon.json's `authorization` (`{"viewer": ["cn:alice"], "operator": ["gid:1000"], ...}`).
 * Undefined means no roles at all: every client that reaches a socket is admin, as before. A role
 * that does not exist, a rule that is not `cn:NAME`, `uid:N` or `gid:N`, or one rule under two roles
 * is refused, so a typo never grants or removes access silently.
 */
export function parseAuthorization(raw: unknown): AuthorizationRules | undefined {
  if (raw === undefined || raw === null) return undefined;
  const where = 'invalid "authorization" in the daemon configuration';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`${where}: want an object of role names to lists of identities`);
  const rules: AuthorizationRules = { cn: new Map(), uid: new Map(), gid: new Map() };
  const seen = new Map<string, Role>();
  for (const [role, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!isRole(role)) throw new InvalidArgumentError(`${where}: unknown role "${role}" (roles: ${ROLES.join(', ')})`);
    if (!Array.isArray(list) || list.some((e) => typeof e !== 'string')) {
      throw new InvalidArgumentError(`${where}: role "${role}" wants a list of identities such as "cn:alice", "uid:1000", "gid:1000"`);
    }
    for (const entry of list as string[]) {
      const m = RULE.exec(entry.trim());
      if (!m) throw new InvalidArgumentError(`${where}: "${entry}" under "${role}" is not cn:NAME, uid:N or gid:N`);
      const [, kind, value] = m as unknown as [string, 'cn' | 'uid' | 'gid', string];
      const key = `${kind}:${value}`;
      const earlier = seen.get(key);
      if (earlier && earlier !== role) throw new InvalidArgumentError(`${where}: "${key}" is listed under both "${earlier}" and "${role}"`);
      seen.set(key, role);
      if (kind === 'cn') rules.cn.set(value, role);
      else {
        if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${where}: "${entry}" under "${role}": ${kind} must be a number`);
        rules[kind].set(Number(value), role);
      }
    }
  }
  return rules;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether `have` may do what `need` may. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * The role of an identity, or undefined (refused). Without rules every identity is admin. With rules,
 * every rule that matches counts and the strongest role wins (a uid rule and a group rule add up);
 * root on the unix socket is always admin: it owns the daemon's files and daemon.json, so refusing it
 * would protect nothing.
 */
export function roleOf(rules: AuthorizationRules | undefined, who: Identity): Role | undefined {
  if (!rules) return 'admin';
  const found: Role[] = [];
  if (who.kind === 'certificate') {
    const role = rules.cn.get(who.cn);
    if (role) found.push(role);
  } else if (who.kind === 'unix') {
    if (who.uid === 0) return 'admin';
    const uidRole = rules.uid.get(who.uid);
    if (uidRole) found.push(uidRole);
    for (const gid of new Set([who.gid, ...who.groups])) {
      const role = rules.gid.get(gid);
      if (role) found.push(role);
    }
  }
  return found.reduce<Role | undefined>((best, r) => (!best || roleAtLeast(r, best) ? r : best), undefined);
}

/** How an identity is named in messages: the certificate's CN, `uid 1000`, or the remote address. */
export function identityName(who: Identity): string {
  switch (who.kind) {
    case 'certificate': return who.cn;
    case 'unix': return `uid ${who.uid}`;
    case 'unix-unknown': return 'a unix-socket client';
    case 'anonymous': return `an unauthenticated client at ${who.remote}`;
  }
}

/** The identity's fields for the audit log. */
export function identityFields(who: Identity): Record<string, unknown> {
  switch (who.kind) {
    case 'certificate': return { cn: who.cn, remote: who.remote };
    case 'unix': return { uid: who.uid, gid: who.gid, pid: who.pid, groups: who.groups };
    case 'unix-unknown': return { unix: 'unknown' };
    case 'anonymous': return { remote: who.remote };
  }
}
