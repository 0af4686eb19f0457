// What pull and push need from the image store, in the terms they need it: registering a layer from its
// uncompressed tar with the diffID the image config promises, registering an image from the exact config
// bytes a registry served (its digest is the image ID), and tags and digest references.
import { PassThrough, type Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import { detectCompression } from '../../lib/tar-decompress.js';
import { createReadStream } from 'node:fs';
import { link } from 'node:fs/promises';
import type { Descriptor } from '../../lib/oci-media-types.js';
import { LayerOrigins, type LocalLayerBlob } from './layer-origins.js';
import { digestOf } from '../../lib/oci-digest.js';
import type { ImageReference } from '../../lib/image-reference.js';
import { RegistryContentError } from './errors.js';
import type { WarningSink } from '../../lib/best-effort.js';
import { errorMessage, handledLater } from '../../lib/errors.js';
import type { ImageStore } from '../images/image-store.js';
import { parseImageConfig, type ImageConfig } from '../images/image-config.js';

const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

export class LayerIo {
  constructor(private readonly store: ImageStore, private readonly origins: LayerOrigins) {}

  hasLayer(chainId: string): boolean {
    return this.store.layerStore.has(chainId);
  }

  /**
   * Unpacks a layer on `parent` and registers it, unless its content is not the diffID the image config
   * names: then the layer is taken out again (when this call added it) and RegistryContentError thrown.
   * `beforeCommit` runs between unpacking and registering (LayerStore.register).
   */
  async registerLayer(tar: Readable, parent: string | undefined, expectedDiffId: string, beforeCommit?: () => Promise<void>): Promise<void> {
    const info = await this.store.registerLayer(tar, parent, { beforeCommit });
    if (info.diffId === expectedDiffId) return;
    const stillUsed = this.store.list().some((image) => image.layers.includes(info.chainId));
    if (!stillUsed) await this.store.layerStore.remove(info.chainId);
    throw new RegistryContentError(`failed to register layer: the layer's content (diffID ${info.diffId}) is not the ${expectedDiffId} the image configuration names`);
  }

  hasImage(imageId: string): boolean {
    return this.store.has(imageId);
  }

  /** The config bytes of an image in the store (their digest is its ID). */
  configBytes(imageId: string): Promise<Buffer> {
    return this.store.content.read(imageId);
  }

  /**
   * Keeps a verified layer blob (a downloaded file) in the content store, so a later push sends the very
   * bytes the digest names. A hard link: no copy, and the temp file can go.
   */
  async keepLayerBlob(path: string, desc: Descriptor, diffId: string): Promise<void> {
    if (!(await this.store.content.has(desc.digest))) {
      try {
        await link(path, this.store.content.path(desc.digest));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EXDEV') await this.store.content.ingest(createReadStream(path), desc.digest);
        else if (code !== 'EEXIST') throw err;
      }
    }
    await this.origins.setLocal(diffId, { digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
  }

  /** The kept compressed blob of a layer, if the content store still has it. */
  async localLayerBlob(diffId: string): Promise<(LocalLayerBlob & { open(): Readable }) | undefined> {
    const local = await this.origins.local(diffId);
    if (!local || !(await this.store.content.has(local.digest))) return undefined;
    const path = this.store.content.path(local.digest);
    return { ...local, open: () => createReadStream(path, { highWaterMark: 1 << 20 }) };
  }

  /**
   * Forgets kept layer blobs whose layer is gone from the store (after rmi). Run when no pull is
   * between registering a layer and keeping its blob: at open.
   */
  async pruneLocalBlobs(): Promise<void> {
    const diffIds = new Set(this.store.layerStore.all().map((l) => l.diffId));
    for (const { diffId, blob } of await this.origins.allLocal()) {
      if (diffIds.has(diffId)) continue;
      await this.store.content.delete(blob.digest);
      await this.origins.removeLocal(diffId);
    }
  }

  /** The image a reference points at now, if any. */
  imageIdOf(ref: ImageReference): string | undefined {
    return this.store.refs.get(ref);
  }

  /** Checks config bytes from a registry: JSON with a rootfs of diffIDs. */
  parseConfig(bytes: Buffer): ImageConfig {
    try {
      return parseImageConfig(bytes);
    } catch (err) {
      throw new RegistryContentError(`invalid image configuration: ${(err as Error).message}`);
    }
  }

  /**
   * Registers the image whose config is `bytes` (every layer registered already) and points `refs` at
   * it. Returns the image ID (the config's digest).
   */
  async addImage(bytes: Buffer, refs: ImageReference[]): Promise<string> {
    const record = await this.store.addImage(this.parseConfig(bytes), { configBytes: bytes });
    const id = digestOf(bytes);
    if (record.id !== id) throw new RegistryContentError(`image registered as ${record.id}, expected ${id}`);
    for (const ref of refs) await this.store.tag(record.id, ref);
    return record.id;
  }
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
export function keepLayerArchive(store: ImageStore, source: AsyncIterable<Buffer> | Readable, log: WarningSink): KeptArchive {
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
