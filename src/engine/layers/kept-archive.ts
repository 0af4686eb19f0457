// A copy of a layer archive kept while the layer store unpacks it (docker import, load, build, commit),
// so a later push sends the very bytes whose digest the image names.
import { PassThrough, type Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import { detectCompression } from '../../lib/tar-decompress.js';
import type { WarningSink } from '../../lib/best-effort.js';
import { errorMessage, handledLater } from '../../lib/errors.js';
import type { ContentStore } from '../store/content-store.js';
import { LayerOrigins, type LocalLayerBlob } from './layer-origins.js';

const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

/** What keeping an archive needs of the image store: its content store, and its root (`<data-root>/image`). */
export interface ArchiveKeeper {
  readonly content: ContentStore;
  readonly root: string;
}

/** Where LayerOrigins live for a data root (distribution.ts opens them there). */
export function layerOriginsRoot(dataRoot: string): string {
  return join(dataRoot, 'distribution', 'layer-origins');
}

export interface KeptArchive {
  /** The same bytes as the source: give this to the layer store. */
  source: AsyncIterable<Buffer>;
  /** After the layer is registered: records the kept copy as the layer's blob for push. */
  commit(diffId: string): Promise<void>;
  /** After a failure: drops the copy. */
  discard(): Promise<void>;
}

/**
 * Keeps a copy of a layer archive (docker import, load, build) in the content store while the layer
 * store unpacks it, so push later sends bytes whose digest and diffID match the image: gzip and zstd
 * archives are kept as they are, plain tars are gzip-compressed on the way.
 */
export function keepLayerArchive(store: ArchiveKeeper, source: AsyncIterable<Buffer> | Readable, log: WarningSink): KeptArchive {
  const copy = new PassThrough({ highWaterMark: 1 << 20 });
  let ingesting: Promise<LocalLayerBlob> | undefined;
  const start = (head: Buffer) => {
    const kind = detectCompression(head);
    const mediaType = kind === 'zstd' ? OCI_LAYER_ZSTD : DOCKER_LAYER_GZIP;
    let size = 0;
    const body = kind === 'none' ? copy.pipe(createGzip()) : copy;
    copy.on('error', (err) => body.destroy(err));
    const counted = (async function* () {
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })();
    ingesting = store.content.ingest(counted).then((digest) => ({ digest, size, mediaType }));
    // commit() or discard() awaits it and meets its failure; until then it must not count as unhandled.
    handledLater(ingesting);
  };
  return {
    source: (async function* () {
      for await (const chunk of source) {
        const bytes = chunk as Buffer;
        if (!ingesting) start(bytes);
        if (!copy.write(bytes)) await new Promise<void>((r) => copy.once('drain', () => r()));
        yield bytes;
      }
      if (!ingesting) start(Buffer.alloc(0));
      copy.end();
    })(),
    async commit(diffId: string) {
      if (!ingesting) throw new Error('the layer archive was not read');
      const blob = await ingesting;
      const origins = await LayerOrigins.open(layerOriginsRoot(dirname(store.root)), log);
      await origins.setLocal(diffId, blob);
    },
    async discard() {
      const discarded = new Error('discarded');
      copy.destroy(discarded);
      let blob: LocalLayerBlob | undefined;
      try {
        blob = await ingesting;
      } catch (err) {
        // Failing because of the destroy above is the point; any other failure is told.
        if (err !== discarded) log.warn(`keeping a copy of a discarded layer archive: ${errorMessage(err)}`);
      }
      if (blob) await store.content.delete(blob.digest);
    },
  };
}
