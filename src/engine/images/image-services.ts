import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import type { ImageStore } from './image-store.js';

/** What docker save, load and the layer spooling use of the daemon: its settings, its log and the images. */
export interface ImageServices {
  readonly config: DaemonConfig;
  readonly log: Logger;
  readonly images: ImageStore;
}
