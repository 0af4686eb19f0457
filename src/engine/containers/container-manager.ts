import type { Engine } from '../engine.js';

/**
 * All containers of the engine: their state machine, runtime, logs and restart policies.
 * (Being built; this is the contract the rest of the engine uses.)
 */
export class ContainerManager {
  private constructor(readonly engine: Engine) {}

  static async open(engine: Engine): Promise<ContainerManager> {
    return new ContainerManager(engine);
  }

  /** Counts for /info. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    return { total: 0, running: 0, paused: 0, stopped: 0 };
  }

  /** Stops the manager's own work (watchers, timers) at daemon shutdown; containers keep running. */
  async shutdown(): Promise<void> {}
}
