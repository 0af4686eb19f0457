import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { DaemonConfig } from './base/config.js';
import { Logger } from './base/log.js';
import { ImageStore } from './images/image-store.js';
import type { ContainerManager } from './containers/container-manager.js';
import { openContainerManager } from './containers/runtime-binding.js';
import { VolumeStore } from './volumes/volume-store.js';
import { NetworkManager } from './network/network-manager.js';
import { Distribution } from './distribution/distribution.js';

export const BERTH_VERSION = '0.1.0';
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

/**
 * The daemon's state: its configuration and the subsystems that own images, containers, networks
 * and volumes. API handlers reach everything through this object.
 */
export class Engine {
  readonly version = BERTH_VERSION;
  readonly apiVersion = API_VERSION;
  readonly minApiVersion = MIN_API_VERSION;
  readonly startedAt = new Date();
  images!: ImageStore;
  containers!: ContainerManager;
  volumes!: VolumeStore;
  network!: NetworkManager;
  distribution!: Distribution;

  private constructor(readonly config: DaemonConfig, readonly log: Logger) {}

  /** Opens every store under the data root and reconciles with what ran while the daemon was down. */
  static async start(config: DaemonConfig, log: Logger): Promise<Engine> {
    const engine = new Engine(config, log);
    await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
    await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
    engine.images = await ImageStore.open(join(config.dataRoot, 'image'), log);
    engine.volumes = await VolumeStore.open(join(config.dataRoot, 'volumes'), log);
    engine.network = await NetworkManager.open(config, log);
    engine.containers = await openContainerManager(engine);
    // Empties the download area now, so that a pull cut off by a crash leaves nothing behind.
    engine.distribution = await Distribution.open(engine);
    return engine;
  }

  /** Stops the daemon's own work. Containers keep running (live restore); the next start picks them up. */
  async shutdown(): Promise<void> {
    await this.containers.shutdown();
    await this.distribution.close();
    await this.network.shutdown();
  }
}
