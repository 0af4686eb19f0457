// A layer as the uncompressed tar whose sha256 is its diffID, as `docker save` and an OCI layout need
// it: from the archive kept when the layer arrived (import, load, pull, build), inflated, or else packed
// again from its files. Either way the bytes are spooled to a file and checked against the diffID, so
// an archive never holds a layer that does not match its image's config.
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { ImageServices } from './image-services.js';
import { SystemError } from '../../lib/errors.js';
import { Digester } from '../../lib/oci-digest.js';
import { decompress } from '../../lib/tar-decompress.js';
import { LayerOrigins } from '../layers/layer-origins.js';
import { layerOriginsRoot } from '../layers/kept-archive.js';
import { packPath } from '../layers/archive-pack.js';

export interface SpooledLayer {
  diffId: string;
  path: string;
  size: number;
}

/** Writes the layer `chainId` (content `diffId`) as a plain tar to `path`. */
export async function spoolLayerTar(engine: ImageServices, diffId: string, chainId: string, path: string): Promise<SpooledLayer> {
  const origins = await LayerOrigins.open(layerOriginsRoot(engine.config.dataRoot), engine.log);
  const kept = await origins.local(diffId);
  if (kept && !kept.mediaType.endsWith('zstd') && (await engine.images.content.has(kept.digest))) {
    const got = await spool(decompress(createReadStream(engine.images.content.path(kept.digest))), path);
    if (got.digest === diffId) return { diffId, path, size: got.size };
  }
  const got = await spool(packPath(engine.images.layerStore.diffDir(chainId), { name: '', ociWhiteouts: true, shift: engine.images.ownerShift }), path);
  if (got.digest !== diffId) {
    throw new SystemError(`layer ${diffId} cannot be exported: its files pack to ${got.digest}, and the archive it came from was not kept`);
  }
  return { diffId, path, size: got.size };
}

async function spool(source: AsyncIterable<Buffer>, path: string): Promise<{ digest: string; size: number }> {
  const digester = new Digester('sha256');
  let size = 0;
  await pipeline(source, async function* count(chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      digester.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }, createWriteStream(path, { mode: 0o600 }));
  return { digest: digester.digest(), size };
}
