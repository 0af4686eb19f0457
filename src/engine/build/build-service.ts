import { join } from 'node:path';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import type { ContainerServices } from '../containers/container-services.js';
import type { RegistryServices } from '../distribution/distribution.js';
import { BuildCache } from './build-cache.js';
import type { ImageStore } from '../images/image-store.js';
import { removeLeftovers, type ContextArea } from './build-context.js';

/**
 * The daemon's builds: the layer cache and the area where contexts are unpacked, opened at daemon
 * start (which also removes contexts a crash left behind and cache entries of images that are gone).
 */
export class BuildService implements ContextArea {
  private constructor(readonly cache: BuildCache, readonly tmpRoot: string, readonly log: Logger) {}

  static async open(deps: { config: DaemonConfig; log: Logger; images: Pick<ImageStore, 'has'> }): Promise<BuildService> {
    const root = join(deps.config.dataRoot, 'build');
    const tmpRoot = join(root, 'tmp');
    await removeLeftovers(tmpRoot, deps.log);
    const cache = await BuildCache.open(join(root, 'cache.json'), deps.log);
    // Entries of images that are gone (removed, or never recorded whole before a crash) are dropped.
    await cache.compact(deps.images);
    return new BuildService(cache, tmpRoot, deps.log);
  }

  /** At daemon shutdown (builds ended with the API server): waits until the cache index is on disk. */
  async close(): Promise<void> {
    await this.cache.idle();
  }
}

/** What a build uses of the daemon: images and pulls, and containers for RUN steps. */
export type BuildServices = RegistryServices & ContainerServices;
