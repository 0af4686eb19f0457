import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ForbiddenError, errorMessage } from '../../lib/errors.js';
import {
  identityName, roleAtLeast, roleOf, type AuthorizationRules, type Identity, type Role,
} from '../base/access-roles.js';
import type { WarningSink } from '../../lib/best-effort.js';
import { peerCredentials } from './peer-credentials.js';
import { routeAccess } from './route-access.js';
import { viewerRedaction } from './viewer-redaction.js';

/** What was decided for one request, for the audit log and the handler. */
export interface AccessDecision {
  who: Identity;
  role?: Role;
  action?: string;
  allowed: boolean;
  /** The 403's message when refused. */
  refusal?: string;
  /** What the reply's JSON goes through (a viewer's inspect with Env masked). */
  redact?: (body: unknown) => unknown;
}

/**
 * Who is on a connection and whether they may do what they ask. The identity is read once per
 * connection, from the TLS handshake's verified certificate or the kernel's peer credentials, and
 * kept with the socket (a keep-alive connection asks many times; a hijacked one once).
 */
export class AccessControl {
  private readonly identities = new WeakMap<Socket, Identity>();

  constructor(readonly rules: AuthorizationRules | undefined, private readonly log: WarningSink) {}

  identify(socket: Socket): Identity {
    let who = this.identities.get(socket);
    if (!who) {
      who = this.readIdentity(socket);
      this.identities.set(socket, who);
    }
    return who;
  }

  private readIdentity(socket: Socket): Identity {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (socket instanceof TLSSocket) {
      const cn = socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
      return typeof cn === 'string' && cn ? { kind: 'certificate', cn, remote } : { kind: 'anonymous', remote };
    }
    if (socket.remoteAddress !== undefined) return { kind: 'anonymous', remote };
    try {
      return { kind: 'unix', ...peerCredentials(socket) };
    } catch (err) {
      this.log.warn(`reading the peer credentials of a unix-socket client: ${errorMessage(err)}`);
      return { kind: 'unix-unknown' };
    }
  }

  /** The decision for a request to a route (its method and path template as in the route table). */
  decide(who: Identity, method: string, path: string, query: URLSearchParams): AccessDecision {
    const role = roleOf(this.rules, who);
    if (!role) return { who, allowed: false, refusal: `authorization denied: ${identityName(who)} has no role (${method} ${path})` };
    const access = routeAccess(method, path, query);
    if (!roleAtLeast(role, access.role)) {
      return {
        who, role, action: access.action, allowed: false,
        refusal: `authorization denied: ${identityName(who)} (${role}) may not ${access.action} (${method} ${path})`,
      };
    }
    return { who, role, action: access.action, allowed: true, redact: role === 'viewer' ? viewerRedaction(method, path) : undefined };
  }

  /** The decision for a request that matched no route: only an identity with a role gets its 404. */
  decideUnrouted(who: Identity, method: string, path: string): AccessDecision {
    const role = roleOf(this.rules, who);
    if (role) return { who, role, allowed: true };
    return { who, allowed: false, refusal: `authorization denied: ${identityName(who)} has no role (${method} ${path})` };
  }
}

/** The 403 a refused request answers, in Docker's error shape. */
export function refusalError(decision: AccessDecision): ForbiddenError {
  return new ForbiddenError(decision.refusal ?? 'authorization denied');
}
