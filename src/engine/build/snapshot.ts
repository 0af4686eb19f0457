// A writable overlay of an image's layers in the build's scratch space: COPY and ADD write into one and
// commit its upper directory as the new layer; COPY --from reads another stage's files through one.
// No container is made for these steps, so nothing of it shows in `docker ps -a`.
import { mkdir, rm } from 'node:fs/promises';
import type { BuildServices } from './build-service.js';
import type { LayerInfo } from '../images/layer-store.js';
import { chainOf } from '../images/image-store.js';
import { mountRootfs, rootfsDirs, unmountRootfs, type RootfsDirs } from '../containers/rootfs.js';
import { packPath } from '../layers/archive-pack.js';
import { keepLayerArchive } from '../layers/kept-archive.js';
import { bestEffort } from '../../lib/best-effort.js';

export class Snapshot {
  private constructor(
    private readonly engine: BuildServices,
    private readonly dir: string,
    private readonly dirs: RootfsDirs,
    /** '' for an image without layers (scratch). */
    private readonly imageId: string,
  ) {}

  /** Mounts `imageId`'s layers ('' for none) with a fresh upper directory under `dir` (which must not exist). */
  static async mount(engine: BuildServices, dir: string, imageId: string): Promise<Snapshot> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const dirs = rootfsDirs(dir);
    const snapshot = new Snapshot(engine, dir, dirs, imageId);
    try {
      const lower = imageId ? await engine.images.lowerDirs(imageId) : [await engine.images.layerStore.emptyDir()];
      await mountRootfs(dirs, lower);
    } catch (err) {
      await snapshot.release();
      throw err;
    }
    return snapshot;
  }

  /** The mounted root filesystem. */
  get root(): string {
    return this.dirs.merged;
  }

  /**
   * Registers what was written as a layer on top of the image's, keeping the archive (as commit does)
   * so that save and push send the exact bytes of its diffID.
   */
  async commit(): Promise<LayerInfo> {
    const parent = this.imageId ? chainOf(this.engine.images.get(this.imageId).config).at(-1) : undefined;
    const archive = keepLayerArchive(this.engine.images, packPath(this.dirs.upper, { name: '', ociWhiteouts: true, shift: this.engine.images.ownerShift }), this.engine.log);
    try {
      const layer = await this.engine.images.registerLayer(archive.source, parent);
      await archive.commit(layer.diffId);
      return layer;
    } catch (err) {
      await archive.discard();
      throw err;
    }
  }

  /** Unmounts and removes everything (idempotent). */
  async release(): Promise<void> {
    await bestEffort(this.engine.log, `unmounting build snapshot ${this.dir}`, unmountRootfs(this.dirs));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Runs `fn` on a snapshot and always releases it. */
export async function withSnapshot<T>(engine: BuildServices, dir: string, imageId: string, fn: (s: Snapshot) => Promise<T>): Promise<T> {
  const snapshot = await Snapshot.mount(engine, dir, imageId);
  try {
    return await fn(snapshot);
  } finally {
    await snapshot.release();
  }
}
