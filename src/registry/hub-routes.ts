// The hub's routes, beside the distribution API's. The rule that keeps them apart: a path that a
// distribution route takes (…/manifests/<ref>, …/blobs/…, …/tags/list, …/referrers/<digest>) is always
// the distribution API's, whatever its method, so a repository named `repositories/…` pushes and pulls
// as any other; the hub answers only paths no distribution route matches.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError } from '../lib/errors.js';
import { RegistryError } from './base/errors.js';
import { discardBody, hasBody } from './base/http.js';
import type { Handler } from './handlers/context.js';
import {
  getNamespaceRepositories, getPing, getRepository, getRepositoryTag, getRepositoryTags, getSearchRepositories, getV1Search,
  patchRepository, starRepository,
} from './handlers/hub-api.js';
import { sendHubError } from './handlers/hub-reply.js';
import type { Registry } from './content/registry.js';
import type { Hub } from './hub/hub.js';

export interface HubRoute {
  methods: string[];
  pattern: RegExp;
  handler: Handler;
  /** Answered without identifying the caller (docker's endpoint check). */
  public?: boolean;
}

const REPO = String.raw`^\/v2\/repositories\/(?<namespace>[^/]+)\/(?<repo>.+?)`;

export const hubRoutes: HubRoute[] = [
  { methods: ['GET', 'HEAD'], pattern: /^\/v1\/_ping\/?$/, handler: getPing, public: true },
  { methods: ['GET'], pattern: /^\/v1\/search\/?$/, handler: getV1Search },
  { methods: ['GET'], pattern: /^\/v2\/search\/repositories\/?$/, handler: getSearchRepositories },
  { methods: ['GET'], pattern: /^\/v2\/repositories\/(?<namespace>[^/]+)\/?$/, handler: getNamespaceRepositories },
  { methods: ['POST', 'DELETE'], pattern: new RegExp(`${REPO}\\/stars\\/?$`), handler: starRepository },
  { methods: ['GET'], pattern: new RegExp(`${REPO}\\/tags\\/?$`), handler: getRepositoryTags },
  { methods: ['GET'], pattern: new RegExp(`${REPO}\\/tags\\/(?<tag>[^/]+)\\/?$`), handler: getRepositoryTag },
  { methods: ['GET', 'PATCH'], pattern: new RegExp(`${REPO}\\/?$`), handler: (ctx) => (ctx.req.method === 'PATCH' ? patchRepository(ctx) : getRepository(ctx)) },
];

/** The hub route for a path; `allowed` lists the methods the path supports when none matched. */
export function matchHubRoute(method: string, path: string): { route?: HubRoute; params: Record<string, string>; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of hubRoutes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.methods.includes(method)) return { route, params: { ...(m.groups ?? {}) }, allowed };
    allowed.push(...route.methods);
  }
  return { params: {}, allowed };
}

/** Identifies the caller (unless the route is public), runs the route, answers errors as the Hub does ({"message"}). */
export async function serveHubRoute(
  route: HubRoute, params: Record<string, string>, hub: Hub, registry: Registry,
  req: IncomingMessage, res: ServerResponse, query: URLSearchParams, setUser: (user: string | undefined) => void,
): Promise<void> {
  try {
    // hub.public: reads without credentials are anonymous; credentials given are still checked.
    const anonymousRead = registry.config.hub?.public === true && req.method === 'GET' && req.headers.authorization === undefined;
    const user = route.public || anonymousRead ? undefined : await hub.identity.identify(req);
    setUser(user);
    await route.handler({ req, res, registry, params, query, user, hub });
  } catch (err) {
    if (!(err instanceof RegistryError) && !(err instanceof BerthError)) {
      console.error(`berth-registry: ${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
    }
    if (hasBody(req) && !req.complete && !(await discardBody(req, 1024 * 1024))) res.setHeader('Connection', 'close');
    sendHubError(res, err);
  }
}
