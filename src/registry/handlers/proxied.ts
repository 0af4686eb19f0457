// Requests for repositories of the pull-through cache: manifests and blobs come from the upstream when
// the cache does not hold them (then from storage, through the ordinary handlers); tags lists, the
// catalog and referrers show what is cached; pushes and deletes are refused (405 UNSUPPORTED), as
// distribution refuses them in proxy mode.
import { drained } from '../storage/driver.js';
import { RegistryError } from '../base/errors.js';
import type { PullThroughCache } from '../proxy/pull-through-cache.js';
import { UpstreamError } from '../proxy/upstream-client.js';
import { cachedNamespace, describeUpstream, type UpstreamRoute } from '../proxy/upstream-routing.js';
import { getBlob } from './blobs.js';
import type { Handler, RequestContext } from './context.js';
import { getManifest } from './manifests.js';

/** RFC 7234's warning for a cached answer the origin could not confirm. */
export const STALE_WARNING = '110 - "Response is Stale"';

/** The handler for a route on `name`: the route's own, or the cache's when `name` is a cached repository. */
export function proxiedHandler(cache: PullThroughCache, route: { handler: Handler; writes?: boolean }, name: string | undefined): Handler {
  const upstream = name === undefined ? undefined : cache.route(name);
  if (!upstream) {
    // The bare prefix ("docker.io" itself) is no repository of the upstream, and no place to push either.
    const namespace = route.writes && name !== undefined ? cachedNamespace(cache.config, name) : undefined;
    if (namespace) throw new RegistryError('UNSUPPORTED', `${name} is the namespace of ${describeUpstream(namespace)}: pushes and deletes are not accepted there`);
    return route.handler;
  }
  if (route.writes) {
    throw new RegistryError('UNSUPPORTED',
      `${name} is in ${describeUpstream(upstream.upstream)}: pushes and deletes are not accepted there`);
  }
  if (route.handler === getManifest) return (ctx) => getCachedManifest(cache, upstream, ctx);
  if (route.handler === getBlob) return (ctx) => getCachedBlob(cache, upstream, ctx);
  return route.handler;
}

async function getCachedManifest(cache: PullThroughCache, route: UpstreamRoute, ctx: RequestContext): Promise<void> {
  const lookup = await cache.prepareManifest(route, ctx.params.name, ctx.params.reference);
  if (lookup.stale !== undefined) ctx.res.setHeader('Warning', STALE_WARNING);
  await getManifest(ctx);
}

async function getCachedBlob(cache: PullThroughCache, route: UpstreamRoute, ctx: RequestContext): Promise<void> {
  const { name, digest } = ctx.params;
  const { blobs } = ctx.registry;
  // A blob fetched by a concurrent pull turns up between the tries: at most two.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await blobs.linked(name, digest) && (await blobs.size(digest)) !== undefined) return getBlob(ctx);
    const client = cache.client(route.upstream);
    if ((await blobs.size(digest)) !== undefined) {
      // Held for another repository: linked here once the upstream confirms this repository has it.
      await upstreamBlobSize(route, () => client.blobSize(route.remoteName, digest), digest);
      await blobs.link(name, digest);
      return getBlob(ctx);
    }
    if (ctx.req.method === 'HEAD') {
      const size = await upstreamBlobSize(route, () => client.blobSize(route.remoteName, digest), digest);
      ctx.res.writeHead(200, { ...blobHeaders(digest), ...(size !== undefined ? { 'Content-Length': size } : {}) });
      ctx.res.end();
      return;
    }
    // A range of a blob not cached yet is served from storage once the whole blob is there.
    const tap = ctx.req.headers.range ? undefined : {
      start: (size: number | undefined) => ctx.res.writeHead(200, { ...blobHeaders(digest), ...(size !== undefined ? { 'Content-Length': size } : {}) }),
      write: async (chunk: Buffer) => { if (!ctx.res.destroyed && !ctx.res.write(chunk)) await drained(ctx.res); },
    };
    let fetched: boolean;
    try {
      fetched = await cache.blobs.pull(client, route.remoteName, name, digest, tap);
    } catch (err) {
      if (ctx.res.headersSent) { ctx.res.destroy(); return; }
      throw blobUnknown(route, digest, err);
    }
    if (fetched && tap) {
      if (!ctx.res.destroyed) ctx.res.end();
      return;
    }
    if (fetched) return getBlob(ctx);
  }
  throw new RegistryError('BLOB_UNKNOWN', `${digest} could not be fetched from ${route.upstream.url}`, { digest });
}

function blobHeaders(digest: string): Record<string, string> {
  return {
    'Docker-Content-Digest': digest, 'Content-Type': 'application/octet-stream', ETag: `"${digest}"`, 'Cache-Control': 'max-age=31536000',
  };
}

async function upstreamBlobSize(route: UpstreamRoute, ask: () => Promise<number | undefined>, digest: string): Promise<number | undefined> {
  try {
    return await ask();
  } catch (err) {
    throw blobUnknown(route, digest, err);
  }
}

/** BLOB_UNKNOWN (404) naming the upstream and what it said; other errors as they are. */
function blobUnknown(route: UpstreamRoute, digest: string, err: unknown): unknown {
  if (!(err instanceof UpstreamError)) return err;
  return new RegistryError('BLOB_UNKNOWN', `${digest} is not cached and ${describeUpstream(route.upstream)} could not give it: ${err.message}`, { digest });
}
