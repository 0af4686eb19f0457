import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import type { ImageStore } from '../images/image-store.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { ContainerManager } from './container-manager.js';
import type { ExecManager } from './exec-manager.js';

/**
 * What the container features beside the manager (inspect and list views, attach, docker cp, export,
 * commit) use of the daemon. The engine's composition root satisfies it; each feature reads only the
 * services it names.
 */
export interface ContainerServices {
  readonly config: DaemonConfig;
  readonly log: Logger;
  readonly images: ImageStore;
  readonly network: NetworkManager;
  readonly containers: ContainerManager;
  readonly execs: ExecManager;
}
