// GET/HEAD/DELETE /v2/<name>/blobs/<digest>
import { RegistryError } from '../base/errors.js';
import { parseRange, sendEmpty } from '../base/http.js';
import type { RequestContext } from './context.js';

export async function getBlob({ req, res, registry, params }: RequestContext): Promise<void> {
  const { name, digest } = params;
  const size = await registry.blobs.statInRepository(name, digest);
  if (req.method === 'GET' && registry.config.redirect) {
    // As distribution: a driver that can (S3) gives a URL the client fetches the bytes from, with its
    // Range if it has one; HEAD is answered here, with the digest and size clients read from it.
    const location = await registry.blobs.redirectURL(digest);
    if (location) {
      res.writeHead(307, { Location: location, 'Docker-Content-Digest': digest, 'Content-Length': 0 });
      res.end();
      return;
    }
  }
  const headers: Record<string, string | number> = {
    'Docker-Content-Digest': digest,
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    throw new RegistryError('BLOB_UNKNOWN', `range not satisfiable for ${size} bytes`, undefined, { status: 416 })
      .withHeaders({ 'Content-Range': `bytes */${size}` });
  }
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  headers['Content-Length'] = length;
  if (req.method === 'HEAD') {
    res.writeHead(range ? 206 : 200, headers);
    res.end();
    return;
  }
  res.writeHead(range ? 206 : 200, headers);
  await registry.blobs.send(digest, res, start, length);
  if (!res.destroyed) res.end();
}

export async function deleteBlob({ res, registry, params }: RequestContext): Promise<void> {
  if (!registry.config.deleteEnabled) throw new RegistryError('UNSUPPORTED', 'deletes are disabled (storage.delete.enabled)');
  await registry.blobs.unlink(params.name, params.digest);
  sendEmpty(res, 202, { 'Docker-Content-Digest': params.digest });
}
