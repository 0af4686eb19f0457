import type { IdMapping, OwnerShift } from '../../lib/id-mapping.js';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../base/log.js';
import { RecordStore } from '../store/record-store.js';
import { RecordDocument } from '../store/record-document.js';
import type { StoreLog } from '../store/record-file.js';
import { InvalidArgumentError, NotFoundError, SystemError } from '../../lib/errors.js';
import {
  familiarString, parseAnyReference, withDefaultTag, type ImageReference,
} from '../../lib/image-reference.js';
import { ContentStore } from '../store/content-store.js';
import { LayerStore, chainIdOf, type LayerInfo, type RegisterOptions } from './layer-store.js';
import { ReferenceStore } from './reference-store.js';
import { parseImageConfig, type ImageConfig } from './image-config.js';
import { NO_EVENTS, type EventPublisher } from '../events/event-types.js';
import { labelsOf, publishImageEvent, type ImageAction } from './image-events.js';
import { sweepImageLeftovers } from './image-sweep.js';

/** One image as the rest of the engine sees it. */
export interface ImageRecord {
  /** `sha256:<hex>`: the digest of the config bytes. */
  id: string;
  config: ImageConfig;
  /** Familiar names: `busybox:latest`. */
  repoTags: string[];
  /** Familiar names with digest: `busybox@sha256:...`. */
  repoDigests: string[];
  /** RFC 3339, from the config (empty when the config has none). */
  created: string;
  /** Bytes of all layers' content. */
  size: number;
  /** chainIDs of the layers, bottom first. */
  layers: string[];
  /** The image this one was built on, for the legacy builder (`sha256:...` or ''). */
  parent: string;
  lastTagTime?: string;
}

/** Which containers use an image, registered by the container manager (for rmi conflicts). */
export type UsageCheck = (imageId: string) => { id: string; running: boolean }[];

/** `<root>/images/<hex>.json`: what the engine knows about an image beyond its config blob. */
export interface ImageMeta {
  id: string;
  parent?: string;
  /** When the image arrived in this store. */
  added: string;
}

/** An image deleted by force while stopped containers still use it: its layers stay until they go. */
export interface RetainedImage {
  id: string;
  layers: string[];
}

/** The images' metadata records, `<root>/images/<hex>.json`, keyed by the hex of the image ID. */
export function imageRecords(root: string, log: StoreLog): RecordStore<ImageMeta> {
  return new RecordStore<ImageMeta>({ kind: 'image', version: 1, dir: join(root, 'images'), dirMode: 0o700, log });
}

/** The images deleted by force whose layers are kept, `<root>/retained.json`. */
export function retainedImagesDocument(root: string, log: StoreLog): RecordDocument<RetainedImage[]> {
  return new RecordDocument<RetainedImage[]>({
    kind: 'retained images', version: 1, path: join(root, 'retained.json'), log,
    migrate: (stored) => {
      if (!Array.isArray(stored)) throw new Error('not a list of images');
      return stored as RetainedImage[];
    },
  });
}

interface Loaded {
  meta: ImageMeta;
  config: ImageConfig;
  layers: string[];
}

/**
 * Images known to the engine: config blobs in a content store, unpacked layers in a layer store, tags in
 * a reference store, one metadata file per image. Write order (layers, config, image file, tags) makes
 * every crash point recoverable: `open` drops unfinished layers, and layers no image references.
 */
export class ImageStore {
  private readonly images = new Map<string, Loaded>();
  private retained: RetainedImage[] = [];
  private readonly imageMeta: RecordStore<ImageMeta>;
  private readonly retainedDocument: RecordDocument<RetainedImage[]>;
  private usageCheck: UsageCheck = () => [];
  /** Until the container manager registers, nobody can say whether a retained image is still used. */
  private usageKnown = false;

  private constructor(
    readonly root: string,
    readonly log: Logger,
    readonly content: ContentStore,
    readonly layerStore: LayerStore,
    readonly refs: ReferenceStore,
    /** Where image events go (the engine's event bus). */
    readonly events: EventPublisher,
  ) {
    this.imageMeta = imageRecords(root, log);
    this.retainedDocument = retainedImagesDocument(root, log);
  }

  /** Opens the store at `root` (`<data-root>/image`); layers live beside it in `<data-root>/layers`. */
  static async open(root: string, log: Logger, events: EventPublisher = NO_EVENTS, idMapping?: IdMapping): Promise<ImageStore> {
    await mkdir(join(root, 'images'), { recursive: true, mode: 0o700 });
    const content = await ContentStore.open(join(root, 'content'), log);
    const layers = await LayerStore.open(join(dirname(root), 'layers'), log, idMapping);
    const refs = await ReferenceStore.open(join(root, 'repositories.json'), log);
    const store = new ImageStore(root, log, content, layers, refs, events);
    await store.load();
    await sweepImageLeftovers({ root, content, layerStore: layers, imageIds: () => [...store.images.keys()] }, log);
    return store;
  }

  /**
   * Owner translation between archives (the container's ids) and the unpacked layers (the host's),
   * under `--userns-remap`; undefined otherwise. Whatever packs a layer or a container's files into a
   * tar uses it to give the archive the container's owners back.
   */
  get ownerShift(): OwnerShift | undefined {
    return this.layerStore.ownerShift;
  }

  /** At daemon shutdown: waits until every metadata write already asked for is on disk. */
  async close(): Promise<void> {
    await Promise.all([this.imageMeta.idle(), this.retainedDocument.idle(), this.refs.idle()]);
  }

  /** Loads every image whose record, config and layers are all there; reports and leaves out the others. */
  private async load(): Promise<void> {
    const loaded = await this.imageMeta.loadAll();
    const records = new Map(loaded.records);
    for (const { key } of loaded.damaged) {
      // The record only adds the arrival time and the parent to the image's config, which is content
      // addressed under the same digest: rebuild it, so the image and its layers are not lost.
      const meta: ImageMeta = { id: `sha256:${key}`, added: new Date().toISOString() };
      if (!(await this.content.has(meta.id))) continue;
      await this.imageMeta.put(key, meta);
      this.log.warn(`image ${meta.id}: its record was damaged; rebuilt it from the image's config (its parent is forgotten)`);
      records.set(key, meta);
    }
    for (const [hex, meta] of records) {
      try {
        const config = parseImageConfig(await this.content.read(meta.id));
        const layers = chainOf(config);
        const missing = layers.find((l) => !this.layerStore.has(l));
        if (missing) throw new Error(`layer ${missing} is missing`);
        this.images.set(meta.id, { meta, config, layers });
      } catch (err) {
        this.log.error(`image ${hex}.json: ${(err as Error).message}; leaving it out`);
      }
    }
    this.retained = (await this.retainedDocument.load()) ?? [];
    for (const chainId of await this.removeUnusedLayers()) {
      this.log.warn(`removed layer ${chainId}: no image names it (left by an interrupted pull, import, load, build or commit, or a removal)`);
    }
  }

  /** The container manager registers how to find the containers that use an image. */
  setUsageCheck(fn: UsageCheck): void {
    this.usageCheck = fn;
    this.usageKnown = true;
  }

  usage(imageId: string): { id: string; running: boolean }[] {
    return this.usageCheck(imageId);
  }

  /** Number of images, for /info. */
  count(): number {
    return this.images.size;
  }

  list(): ImageRecord[] {
    return [...this.images.keys()].map((id) => this.record(id));
  }

  has(imageId: string): boolean {
    return this.images.has(imageId);
  }

  /** The image with this exact ID; NotFoundError otherwise. */
  get(imageId: string): ImageRecord {
    if (!this.images.has(imageId)) throw new NotFoundError(`No such image: ${imageId}`);
    return this.record(imageId);
  }

  /**
   * Finds an image the way Docker does: by name[:tag] (default tag latest) or name@digest, by full ID
   * (`sha256:<hex>` or bare hex), or by a unique ID prefix. NotFoundError `No such image: <ref>`;
   * InvalidArgumentError for a malformed reference.
   */
  async resolve(ref: string): Promise<ImageRecord> {
    return this.record(this.resolveId(ref));
  }

  resolveId(ref: string): string {
    const parsed = parseAnyReference(ref);
    if (parsed.kind === 'id') {
      if (this.images.has(parsed.id)) return parsed.id;
      throw new NotFoundError(`No such image: ${ref}`);
    }
    const named = withDefaultTag(parsed.ref);
    const id = this.refs.get(named);
    if (id && this.images.has(id)) return id;
    const byPrefix = this.searchId(ref);
    if (byPrefix) return byPrefix;
    throw new NotFoundError(`No such image: ${familiarString(named)}`);
  }

  /** A unique image whose ID starts with `prefix` (with or without `sha256:`). */
  private searchId(prefix: string): string | undefined {
    const hex = prefix.startsWith('sha256:') ? prefix.slice(7) : prefix;
    if (!/^[a-f0-9]+$/.test(hex)) return undefined;
    const matches = [...this.images.keys()].filter((id) => id.startsWith(`sha256:${hex}`));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /**
   * The overlayfs lower dirs of an image, topmost layer first (the order `lowerdir=` wants): short
   * symlinks to the layers' diff dirs, so that deep images fit in the mount options. Works for images
   * deleted by force while a container still uses them. An image without layers gets one empty dir.
   */
  async lowerDirs(imageId: string): Promise<string[]> {
    const layers = this.images.get(imageId)?.layers ?? this.retained.find((r) => r.id === imageId)?.layers;
    if (!layers) throw new NotFoundError(`No such image: ${imageId}`);
    if (layers.length === 0) return [await this.layerStore.emptyDir()];
    return layers.map((l) => this.layerStore.lowerDir(l)).reverse();
  }

  /**
   * Unpacks a layer tar on top of `parent` (a chainID); see LayerStore.register. The layer is kept from
   * garbage collection until an image names it (addImage) or the daemon restarts.
   */
  registerLayer(tar: Readable | AsyncIterable<Buffer>, parent?: string, options?: RegisterOptions): Promise<LayerInfo> {
    return this.layerStore.register(tar, parent, options);
  }

  /**
   * Adds an image from its config; every layer it names must be registered already. Returns the record
   * (an existing image with the same config is returned as is). `configBytes`, when given, are stored
   * as they are (a registry's exact bytes, whose digest is the image ID) and must parse to `config`.
   */
  async addImage(config: ImageConfig, options: { parent?: string; configBytes?: Uint8Array } = {}): Promise<ImageRecord> {
    const layers = chainOf(config);
    const missing = layers.find((l) => !this.layerStore.has(l));
    if (missing) throw new InvalidArgumentError(`layer ${missing} of the image is not registered`);
    const bytes = options.configBytes ?? Buffer.from(JSON.stringify(config));
    const id = await this.content.put(bytes);
    if (!this.images.has(id)) {
      const meta: ImageMeta = { id, added: new Date().toISOString() };
      if (options.parent) meta.parent = options.parent;
      await this.imageMeta.put(hexOf(id), meta);
      this.images.set(id, { meta, config, layers });
    }
    this.layerStore.claim(layers);
    return this.record(id);
  }

  /** Points a tag at an image (moving the tag if it named another image), and reports a `tag` event. */
  async tag(imageId: string, ref: ImageReference): Promise<void> {
    await this.setReference(imageId, ref);
    this.publishEvent('tag', imageId, familiarString(withDefaultTag(ref)));
  }

  /** Points a reference at an image with no event (as pull, push and load name what they bring). */
  async setReference(imageId: string, ref: ImageReference): Promise<void> {
    if (!this.images.has(imageId)) throw new NotFoundError(`No such image: ${imageId}`);
    await this.refs.add(withDefaultTag(ref), imageId);
  }

  /** Reports an image event (see image-events.ts): the image's labels and `name` as attributes. */
  publishEvent(action: ImageAction, id: string, name = id): void {
    publishImageEvent(this, this.events, action, id, name);
  }

  /** Images whose Parent is `imageId`. */
  children(imageId: string): string[] {
    return [...this.images.values()].filter((i) => i.meta.parent === imageId).map((i) => i.meta.id);
  }

  /**
   * Deletes an image's record, config and tags, and the layers no other image (nor a container, when
   * `retainLayers`) still uses. Returns the chainIDs of removed layers. Conflict rules are the caller's
   * (see image-delete.ts).
   */
  async deleteImage(imageId: string, retainLayers: boolean): Promise<string[]> {
    const loaded = this.images.get(imageId);
    if (!loaded) throw new NotFoundError(`No such image: ${imageId}`);
    const labels = labelsOf(this, imageId);
    await this.refs.forgetImage(imageId);
    if (retainLayers) {
      this.retained.push({ id: imageId, layers: loaded.layers });
      await this.saveRetained();
    }
    await this.imageMeta.delete(hexOf(imageId));
    this.images.delete(imageId);
    await this.content.delete(imageId);
    publishImageEvent(this, this.events, 'delete', imageId, imageId, labels);
    return this.removeUnusedLayers();
  }

  /**
   * Removes layers no image uses and, once their containers are gone, those kept for force-deleted
   * images. Returns the chainIDs removed, topmost first. The container manager may call it after
   * removing a container.
   */
  async removeUnusedLayers(): Promise<string[]> {
    if (this.usageKnown) {
      const before = this.retained.length;
      this.retained = this.retained.filter((r) => this.usageCheck(r.id).length > 0);
      if (this.retained.length !== before) await this.saveRetained();
    }
    const used = new Set<string>();
    for (const img of this.images.values()) for (const l of img.layers) used.add(l);
    for (const r of this.retained) for (const l of r.layers) used.add(l);
    for (const l of this.layerStore.all()) {
      if (!this.layerStore.isUnclaimed(l.chainId)) continue;
      // An unclaimed layer holds its parents too.
      for (let layer: LayerInfo | undefined = l; layer; layer = layer.parent ? this.layerStore.get(layer.parent) : undefined) used.add(layer.chainId);
    }
    // Parents after children, so a crash never leaves a layer whose parent is gone.
    const unused = this.layerStore.all().filter((l) => !used.has(l.chainId));
    const depth = (chainId: string): number => {
      let d = 0;
      for (let l = this.layerStore.get(chainId); l?.parent; l = this.layerStore.get(l.parent)) d++;
      return d;
    };
    unused.sort((a, b) => depth(b.chainId) - depth(a.chainId));
    const removed: string[] = [];
    for (const layer of unused) {
      try {
        await this.layerStore.remove(layer.chainId);
        removed.push(layer.chainId);
      } catch (err) {
        throw new SystemError(`removing layer ${layer.chainId}: ${(err as Error).message}`, { cause: err });
      }
    }
    return removed;
  }

  private saveRetained(): Promise<void> {
    return this.retainedDocument.save(this.retained);
  }

  private record(id: string): ImageRecord {
    const loaded = this.images.get(id);
    if (!loaded) throw new NotFoundError(`No such image: ${id}`);
    const refs = this.refs.referencesOf(id);
    const record: ImageRecord = {
      id,
      config: loaded.config,
      repoTags: refs.filter((r) => !r.digest).map(familiarString),
      repoDigests: refs.filter((r) => r.digest).map(familiarString),
      created: loaded.config.created ?? '',
      size: loaded.layers.reduce((sum, l) => sum + (this.layerStore.get(l)?.size ?? 0), 0),
      layers: loaded.layers,
      parent: loaded.meta.parent ?? '',
    };
    const lastTagTime = this.refs.lastTagTime(id);
    if (lastTagTime) record.lastTagTime = lastTagTime;
    return record;
  }
}

/** The chainIDs of an image's layers, bottom first. */
export function chainOf(config: ImageConfig): string[] {
  const chain: string[] = [];
  for (const diffId of config.rootfs.diff_ids) chain.push(chainIdOf(chain[chain.length - 1], diffId));
  return chain;
}

export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** Docker's short ID: 12 hex characters, without the algorithm. */
export function shortId(id: string): string {
  return hexOf(id).slice(0, 12);
}
