// What pull and push need from the image store, in the terms they need it: registering a layer from its
// uncompressed tar with the diffID the image config promises, registering an image from the exact config
// bytes a registry served (its digest is the image ID), and tags and digest references.
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { link } from 'node:fs/promises';
import type { Descriptor } from '../../lib/oci-media-types.js';
import { LayerOrigins, type LocalLayerBlob } from '../layers/layer-origins.js';
import { digestOf } from '../../lib/oci-digest.js';
import type { ImageReference } from '../../lib/image-reference.js';
import { RegistryContentError } from './errors.js';
import type { ImageStore } from '../images/image-store.js';
import { parseImageConfig, type ImageConfig } from '../images/image-config.js';

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
    for (const ref of refs) await this.store.setReference(record.id, ref);
    return record.id;
  }
}
