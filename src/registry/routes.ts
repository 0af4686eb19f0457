// The registry API: every route in one table, with the access (token scope) each one needs.
import type { Access } from './auth/access.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import type { Handler } from './handlers/context.js';
import { getBase, getCatalog, getReferrers, getTags } from './handlers/listings.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import { deleteBlobUpload, getBlobUpload, patchBlobUpload, postBlobUpload, putBlobUpload } from './handlers/uploads.js';

export interface Route {
  methods: string[];
  pattern: RegExp;
  handler: Handler;
  /** Whether the route changes the registry (refused in read-only mode). */
  writes?: boolean;
  access(params: Record<string, string>, query: URLSearchParams): Access[];
}

const repo = (...actions: string[]) => (p: Record<string, string>): Access[] =>
  [{ type: 'repository', name: p.name, actions }];

export const routes: Route[] = [
  { methods: ['GET', 'HEAD'], pattern: /^\/v2\/?$/, handler: getBase, access: () => [] },
  { methods: ['GET'], pattern: /^\/v2\/_catalog$/, handler: getCatalog,
    access: () => [{ type: 'registry', name: 'catalog', actions: ['*'] }] },
  { methods: ['POST'], pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/, handler: postBlobUpload, writes: true,
    access: (p, q) => {
      const from = q.get('mount') !== null ? q.get('from') : null;
      const access = repo('pull', 'push')(p);
      if (from) access.push({ type: 'repository', name: from, actions: ['pull'] });
      return access;
    } },
  { methods: ['PATCH'], pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<id>[^/]+)$/, handler: patchBlobUpload, writes: true, access: repo('pull', 'push') },
  { methods: ['PUT'], pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<id>[^/]+)$/, handler: putBlobUpload, writes: true, access: repo('pull', 'push') },
  { methods: ['GET'], pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<id>[^/]+)$/, handler: getBlobUpload, access: repo('pull', 'push') },
  { methods: ['DELETE'], pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<id>[^/]+)$/, handler: deleteBlobUpload, writes: true, access: repo('pull', 'push') },
  { methods: ['GET', 'HEAD'], pattern: /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/, handler: getBlob, access: repo('pull') },
  { methods: ['DELETE'], pattern: /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/, handler: deleteBlob, writes: true, access: repo('delete') },
  { methods: ['GET', 'HEAD'], pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/, handler: getManifest, access: repo('pull') },
  { methods: ['PUT'], pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/, handler: putManifest, writes: true, access: repo('pull', 'push') },
  { methods: ['DELETE'], pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/, handler: deleteManifest, writes: true, access: repo('delete') },
  { methods: ['GET', 'HEAD'], pattern: /^\/v2\/(?<name>.+)\/tags\/list$/, handler: getTags, access: repo('pull') },
  { methods: ['GET'], pattern: /^\/v2\/(?<name>.+)\/referrers\/(?<digest>[^/]+)$/, handler: getReferrers, access: repo('pull') },
];

/** Finds the route for a path; `allowed` lists the methods the path supports when none matched. */
export function matchRoute(method: string, path: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.methods.includes(method)) return { route, params: { ...(m.groups ?? {}) }, allowed };
    allowed.push(...route.methods);
  }
  return { params: {}, allowed };
}
