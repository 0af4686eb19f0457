// Blob uploads: POST /v2/<name>/blobs/uploads/ (session, monolithic, mount), PATCH/PUT/GET/DELETE
// /v2/<name>/blobs/uploads/<id>.
import { isSupportedAlgorithm } from '../../lib/oci-digest.js';
import { isRepositoryName } from '../../lib/oci-names.js';
import { checkDigestParam, rangeHeaders, type ChunkOptions } from '../content/uploads.js';
import { RegistryError } from '../base/errors.js';
import { hasBody, parseContentRange, sendEmpty } from '../base/http.js';
import type { RequestContext } from './context.js';
import { registryLog } from '../base/log.js';
import { bestEffort } from '../../lib/best-effort.js';

function blobCreated(name: string, digest: string): Record<string, string> {
  return { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest };
}

/** Content-Range and Content-Length of a chunk, checked against each other. */
function chunkOptions(ctx: RequestContext): ChunkOptions {
  const range = parseContentRange(ctx.req.headers['content-range'] as string | undefined);
  const declared = ctx.req.headers['content-length'];
  const length = declared !== undefined ? Number(declared) : undefined;
  if (range) {
    const rangeLength = range.end - range.start + 1;
    if (length !== undefined && length !== rangeLength) {
      throw new RegistryError('SIZE_INVALID', `Content-Range covers ${rangeLength} bytes, Content-Length says ${length}`);
    }
    return { start: range.start, length: rangeLength };
  }
  return { length };
}

export async function postBlobUpload(ctx: RequestContext): Promise<void> {
  const { res, registry, params, query } = ctx;
  const { name } = params;
  const mount = query.get('mount');
  if (mount !== null) {
    const digest = checkDigestParam(mount);
    const from = query.get('from');
    const source = from !== null && isRepositoryName(from) ? from : undefined;
    const available = source ? await registry.blobs.linked(source, digest) && (await registry.blobs.size(digest)) !== undefined
      : from === null && (await registry.blobs.size(digest)) !== undefined;
    if (available) {
      await registry.blobs.link(name, digest);
      sendEmpty(res, 201, blobCreated(name, digest));
      return;
    }
  }
  const digestParam = query.get('digest');
  if (digestParam !== null) {
    const digest = checkDigestParam(digestParam);
    const id = await registry.uploads.start(name);
    try {
      await registry.uploads.append(name, id, ctx.req, chunkOptions(ctx));
      await registry.uploads.finish(name, id, digest);
    } catch (err) {
      await bestEffort(registryLog, `cancelling upload ${id} of ${name}`, registry.uploads.cancel(name, id));
      throw err;
    }
    sendEmpty(res, 201, blobCreated(name, digest));
    return;
  }
  const algorithm = query.get('digest-algorithm') ?? 'sha256';
  if (!isSupportedAlgorithm(algorithm)) throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm ${algorithm.slice(0, 50)}`);
  const id = await registry.uploads.start(name, algorithm);
  sendEmpty(res, 202, rangeHeaders(name, id, 0));
}

export async function patchBlobUpload(ctx: RequestContext): Promise<void> {
  const { name, id } = ctx.params;
  const size = await ctx.registry.uploads.append(name, id, ctx.req, chunkOptions(ctx));
  sendEmpty(ctx.res, 202, rangeHeaders(name, id, size));
}

export async function putBlobUpload(ctx: RequestContext): Promise<void> {
  const { name, id } = ctx.params;
  const digest = checkDigestParam(ctx.query.get('digest'));
  await ctx.registry.uploads.size(name, id);
  if (hasBody(ctx.req)) await ctx.registry.uploads.append(name, id, ctx.req, chunkOptions(ctx));
  await ctx.registry.uploads.finish(name, id, digest);
  sendEmpty(ctx.res, 201, blobCreated(name, digest));
}

export async function getBlobUpload({ res, registry, params }: RequestContext): Promise<void> {
  const size = await registry.uploads.size(params.name, params.id);
  sendEmpty(res, 204, rangeHeaders(params.name, params.id, size));
}

export async function deleteBlobUpload({ res, registry, params }: RequestContext): Promise<void> {
  await registry.uploads.cancel(params.name, params.id);
  sendEmpty(res, 204);
}
