import type { Engine } from '../engine.js';
import { ConmonRuntime } from '../runtime/conmon-runtime.js';
import { ContainerManager } from './container-manager.js';

/**
 * The engine's container manager: conmon + runc with state under the daemon's exec root, and the
 * engine's own image store, volume store and network manager in their roles.
 */
export function openContainerManager(engine: Engine): Promise<ContainerManager> {
  return ContainerManager.open({
    dataRoot: engine.config.dataRoot, execRoot: engine.config.execRoot, log: engine.log,
    runtime: new ConmonRuntime({ execRoot: engine.config.execRoot, log: engine.log }),
    images: engine.images, volumes: engine.volumes, network: engine.network,
  });
}
