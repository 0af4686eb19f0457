// The engine's distribution state, shared by every pull and push of one daemon: registry hosts and their
// connection pools, the downloads in flight, the layer extractions in flight, and where layers came from.
// Opened at daemon start, when its temp directory is emptied, so a download cut off by a crash leaves nothing.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import type { ImageStore } from '../images/image-store.js';
import { BlobDownloads } from './blob-download.js';
import { LayerOrigins } from '../layers/layer-origins.js';
import { RegistryHosts } from './registry-hosts.js';
import { layerOriginsRoot } from '../layers/kept-archive.js';
import { sweepLeftovers } from '../store/leftovers.js';

export class Distribution {
  /** chainID -> the extraction registering it now, so concurrent pulls unpack a layer once. */
  readonly extractions = new Map<string, Promise<void>>();

  private constructor(
    readonly hosts: RegistryHosts,
    readonly downloads: BlobDownloads,
    readonly origins: LayerOrigins,
    readonly tmpDir: string,
  ) {}

  static async open(deps: { config: DaemonConfig; log: Logger; images: ImageStore }): Promise<Distribution> {
    const root = join(deps.config.dataRoot, 'distribution');
    const tmpDir = join(root, 'tmp');
    await sweepLeftovers(deps.log, tmpDir, () => true, 'a download that did not finish');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const hosts = new RegistryHosts(deps.config, deps.log);
    // Kept archives of layers that are gone were dropped by the image store's start-up sweep.
    const origins = await LayerOrigins.open(layerOriginsRoot(deps.config.dataRoot), deps.log);
    return new Distribution(hosts, new BlobDownloads(tmpDir), origins, tmpDir);
  }

  /** Closes the registry connection pools (at daemon shutdown, after the API stopped taking requests). */
  async close(): Promise<void> {
    await this.hosts.close();
  }
}

/** What pull, push, login and search use of the daemon. */
export interface RegistryServices {
  readonly config: DaemonConfig;
  readonly log: Logger;
  readonly images: ImageStore;
  readonly distribution: Distribution;
}
