// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>
import { DOCKER_MANIFEST_LIST, INDEX_TYPES, IMAGE_MANIFEST_TYPES, OCI_INDEX, type Descriptor } from '../../lib/oci-media-types.js';
import { readCappedRequest } from '../../lib/read-capped.js';
import { MAX_MANIFEST_BYTES, type StoredManifest } from '../content/manifests.js';
import { RegistryError } from '../base/errors.js';
import { sendEmpty } from '../base/http.js';
import type { RequestContext } from './context.js';

function accepted(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  return values.flatMap((v) => v.split(',')).map((v) => v.split(';')[0].trim().toLowerCase()).filter(Boolean);
}

/**
 * Content negotiation: a client that asked for image manifests only, fetching an index by tag, gets the
 * linux/amd64 image of the index (as distribution's registry does for old docker clients).
 */
async function negotiate(ctx: RequestContext, stored: StoredManifest, byTag: boolean): Promise<StoredManifest> {
  const accept = accepted(ctx.req.headers.accept);
  if (!byTag || accept.length === 0 || accept.includes('*/*') || !INDEX_TYPES.includes(stored.mediaType)) return stored;
  if (accept.includes(stored.mediaType) || (stored.mediaType === DOCKER_MANIFEST_LIST && accept.includes(OCI_INDEX))) return stored;
  if (!accept.some((a) => IMAGE_MANIFEST_TYPES.includes(a))) return stored;
  const index = JSON.parse(stored.content.toString('utf8')) as { manifests: Descriptor[] };
  const pick = index.manifests.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ?? index.manifests[0];
  if (!pick) throw new RegistryError('MANIFEST_UNKNOWN', 'index lists no manifests');
  return ctx.registry.manifests.get(ctx.params.name, pick.digest);
}

export async function getManifest(ctx: RequestContext): Promise<void> {
  const { name, reference } = ctx.params;
  const byTag = !reference.includes(':');
  const digest = await ctx.registry.manifests.resolve(name, reference);
  const stored = await negotiate(ctx, await ctx.registry.manifests.get(name, digest), byTag);
  ctx.res.writeHead(200, {
    'Content-Type': stored.mediaType,
    'Content-Length': stored.content.length,
    'Docker-Content-Digest': stored.digest,
    ETag: `"${stored.digest}"`,
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : stored.content);
  if (ctx.req.method === 'GET') ctx.hub?.pulled(name);
}

export async function putManifest(ctx: RequestContext): Promise<void> {
  const { name, reference } = ctx.params;
  const content = await readCappedRequest(ctx.req, MAX_MANIFEST_BYTES,
    () => new RegistryError('MANIFEST_TOO_LARGE', `manifests are limited to ${MAX_MANIFEST_BYTES} bytes`));
  const extraTags = reference.includes(':') ? ctx.query.getAll('tag') : [];
  const result = await ctx.registry.manifests.put(name, reference, content, ctx.req.headers['content-type'], extraTags);
  const headers: Record<string, string | string[]> = {
    Location: `/v2/${name}/manifests/${result.digest}`,
    'Docker-Content-Digest': result.digest,
  };
  if (result.subject) headers['OCI-Subject'] = result.subject;
  if (extraTags.length > 0) headers['OCI-Tag'] = extraTags;
  await ctx.hub?.pushed(name, result.digest, result.tags);
  sendEmpty(ctx.res, 201, headers);
}

export async function deleteManifest(ctx: RequestContext): Promise<void> {
  if (!ctx.registry.config.deleteEnabled) throw new RegistryError('UNSUPPORTED', 'deletes are disabled (storage.delete.enabled)');
  const { name, reference } = ctx.params;
  if (reference.includes(':')) await ctx.registry.manifests.delete(name, reference);
  else await ctx.registry.manifests.deleteTag(name, reference);
  await ctx.hub?.deleted(name, reference);
  sendEmpty(ctx.res, 202);
}
