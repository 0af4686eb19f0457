import { mkdir, readdir, rename, rm, readlink, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { syncDir, unlinkIfExists } from '../../lib/atomic-file.js';
import { NotFoundError, noSpaceOr } from '../../lib/errors.js';
import {
  RecordFileError, encodeRecord, readRecordFile, writeRecordFile, type RecordSchema,
} from '../store/record-file.js';
import { unpackLayer } from '../../lib/tar-unpack.js';
import { ownerShift, type IdMapping, type OwnerShift } from '../../lib/id-mapping.js';
import type { Logger } from '../base/log.js';

/** What is known of one unpacked layer (`<layers>/<chainID hex>/layer.json`). */
export interface LayerInfo {
  /** sha256 of the layer's uncompressed tar. */
  diffId: string;
  /** Identity of the layer together with all below it: chainID(L1..Ln) = sha256(chainID(..n-1) + " " + diffID(n)). */
  chainId: string;
  /** chainID of the layer below, or absent for a base layer. */
  parent?: string;
  /** Bytes of file content in this layer alone. */
  size: number;
  created: string;
}

export interface RegisterOptions {
  /** Awaited after the tar is unpacked, before the layer is registered (see LayerStore.register). */
  beforeCommit?: () => Promise<void>;
}

const TEMP_PREFIX = 'tmp-';
const META = 'layer.json';
/**
 * A layer's metadata is a record file of its own directory (written into the temp dir before the
 * rename that makes the layer visible), not a RecordStore: the directory's rename is the commit.
 */
const LAYER_SCHEMA: RecordSchema<LayerInfo> = { kind: 'layer', version: 1 };
/** Short links to diff dirs: overlay mount options must fit in one page, and full paths fill it after ~40 layers. */
const LINKS = 'l';
const LINK_LENGTH = 26;

export function chainIdOf(parent: string | undefined, diffId: string): string {
  if (!parent) return diffId;
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/**
 * Unpacked layers, one directory per chainID: `<root>/<hex>/diff` is an overlayfs lower dir. A layer is
 * unpacked into a temp dir and becomes visible only by the final rename, after its metadata is written;
 * a crash leaves a temp dir that `open` removes, never a half layer. Deletion renames first, for the
 * same reason. Callers decide which layers are still referenced.
 */
export class LayerStore {
  private readonly layers = new Map<string, LayerInfo>();
  /**
   * Layers registered or reused by this process that no image names yet (a pull or import in flight),
   * and parents being built on: garbage collection leaves them, with their parents, until claimed.
   */
  private readonly unclaimed = new Set<string>();

  /** `--userns-remap`: layers are unpacked with the remapped owners (dockerd chowns them the same way). */
  readonly ownerShift: OwnerShift | undefined;

  private constructor(readonly root: string, idMapping?: IdMapping) {
    this.ownerShift = idMapping ? ownerShift(idMapping) : undefined;
  }

  static async open(root: string, log: Logger, idMapping?: IdMapping): Promise<LayerStore> {
    const store = new LayerStore(root, idMapping);
    await mkdir(root, { recursive: true, mode: 0o700 });
    for (const name of await readdir(root)) {
      if (name === LINKS || name === 'empty') continue;
      if (name.startsWith(TEMP_PREFIX)) {
        log.info(`removing unfinished layer directory ${name}`);
        await rm(join(root, name), { recursive: true, force: true });
        continue;
      }
      const info = await readRecordFile(LAYER_SCHEMA, join(root, name, META)).catch((err: unknown) => {
        if (!(err instanceof RecordFileError)) throw err;
        log.warn(err.message);
        return undefined;
      });
      if (!info || info.chainId !== `sha256:${name}`) {
        // Not a layer anyone can use, and it would block registering the same layer again.
        log.warn(`removing layer directory ${name} without valid metadata`);
        await rm(join(root, name), { recursive: true, force: true });
        continue;
      }
      store.layers.set(info.chainId, info);
    }
    await store.syncLinks();
    return store;
  }

  /** Makes the short link of every layer and removes links of layers that are gone. */
  private async syncLinks(): Promise<void> {
    const dir = join(this.root, LINKS);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const wanted = new Map([...this.layers.keys()].map((c) => [hexOf(c).slice(0, LINK_LENGTH), c]));
    for (const name of await readdir(dir)) {
      const chainId = wanted.get(name);
      const target = await readlink(join(dir, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EINVAL' || err.code === 'ENOENT') return ''; // not a link, or gone: replaced below
        throw err;
      });
      if (chainId && target === linkTarget(chainId)) wanted.delete(name);
      else await unlink(join(dir, name));
    }
    for (const chainId of wanted.values()) await this.link(chainId);
  }

  private async link(chainId: string): Promise<void> {
    await symlink(linkTarget(chainId), this.linkPath(chainId)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }

  private linkPath(chainId: string): string {
    return join(this.root, LINKS, hexOf(chainId).slice(0, LINK_LENGTH));
  }

  get(chainId: string): LayerInfo | undefined {
    return this.layers.get(chainId);
  }

  has(chainId: string): boolean {
    return this.layers.has(chainId);
  }

  all(): LayerInfo[] {
    return [...this.layers.values()];
  }

  isUnclaimed(chainId: string): boolean {
    return this.unclaimed.has(chainId);
  }

  /** An image now names these layers: they are ordinary garbage collection candidates again. */
  claim(chainIds: string[]): void {
    for (const c of chainIds) this.unclaimed.delete(c);
  }

  /** The directory holding the layer's files. */
  diffDir(chainId: string): string {
    if (!this.layers.has(chainId)) throw new NotFoundError(`layer does not exist: ${chainId}`);
    return join(this.root, hexOf(chainId), 'diff');
  }

  /** A short path (a symlink) to the layer's files, for overlay's `lowerdir=`. */
  lowerDir(chainId: string): string {
    if (!this.layers.has(chainId)) throw new NotFoundError(`layer does not exist: ${chainId}`);
    return this.linkPath(chainId);
  }

  /** An always-empty directory: the lower dir of an image without layers. */
  async emptyDir(): Promise<string> {
    const dir = join(this.root, 'empty');
    await mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /**
   * Unpacks a layer tar (plain or gzip) on top of `parent` and registers it. If a layer with the same
   * chainID exists already, the new copy is dropped and the existing one returned. The layer (and the
   * parent, from the start) stays unclaimed, safe from garbage collection, until `claim`.
   *
   * `options.beforeCommit` is awaited between unpacking and making the layer visible; with it, the
   * parent need only exist by then, so a pull can unpack several layers side by side (each into its
   * own temp dir) and register them bottom up. A rejection discards the unpacked copy.
   */
  async register(tarStream: Readable | AsyncIterable<Buffer>, parent?: string, options: RegisterOptions = {}): Promise<LayerInfo> {
    const checkParent = () => {
      if (parent && !this.layers.has(parent)) throw new NotFoundError(`layer does not exist: ${parent}`);
    };
    if (!options.beforeCommit) checkParent();
    if (parent) this.unclaimed.add(parent);
    const tmp = join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    await mkdir(join(tmp, 'diff'), { recursive: true, mode: 0o700 });
    try {
      const { diffId, size } = await unpackLayer(tarStream, join(tmp, 'diff'), { shift: this.ownerShift }).catch((err: unknown) => {
        throw noSpaceOr(err, join(tmp, 'diff'));
      });
      await options.beforeCommit?.();
      checkParent();
      const chainId = chainIdOf(parent, diffId);
      const existing = this.layers.get(chainId);
      if (existing) {
        this.unclaimed.add(chainId);
        return existing;
      }
      const info: LayerInfo = { diffId, chainId, size, created: new Date().toISOString() };
      if (parent) info.parent = parent;
      await writeRecordFile(LAYER_SCHEMA, join(tmp, META), encodeRecord(LAYER_SCHEMA, info));
      try {
        await rename(tmp, join(this.root, hexOf(chainId)));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another import of the same content finished first.
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && this.layers.has(chainId)) {
          this.unclaimed.add(chainId);
          return this.layers.get(chainId)!;
        }
        throw err;
      }
      this.layers.set(chainId, info);
      this.unclaimed.add(chainId);
      await this.link(chainId);
      await syncDir(this.root);
      return info;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Removes a layer's files. The caller makes sure nothing uses it (no image, no container, no child layer). */
  async remove(chainId: string): Promise<void> {
    if (!this.layers.has(chainId)) return;
    const dir = join(this.root, hexOf(chainId));
    const doomed = join(this.root, `${TEMP_PREFIX}del-${randomBytes(8).toString('hex')}`);
    await unlinkIfExists(this.linkPath(chainId));
    await rename(dir, doomed);
    this.layers.delete(chainId);
    this.unclaimed.delete(chainId);
    await rm(doomed, { recursive: true, force: true });
  }
}

function linkTarget(chainId: string): string {
  return `../${hexOf(chainId)}/diff`;
}

function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
