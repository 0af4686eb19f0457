import type { Logger } from '../log.js';

/**
 * Images known to the engine: content-addressed configs and layers, tags, overlay snapshots.
 * (Being built; this is the contract the rest of the engine uses.)
 */
export class ImageStore {
  private constructor(readonly root: string, readonly log: Logger) {}

  static async open(root: string, log: Logger): Promise<ImageStore> {
    return new ImageStore(root, log);
  }

  /** Number of images, for /info. */
  count(): number {
    return 0;
  }
}
