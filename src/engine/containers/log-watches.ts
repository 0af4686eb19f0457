import type { Logger } from '../base/log.js';
import type { Container } from './container.js';
import type { ContainerTransitions } from './container-transitions.js';
import { LogRotationWatch, rotatingLogs } from './log-rotation-watch.js';
import { LogSpaceWatch } from './log-space-watch.js';

/**
 * What looks after running containers' logs while conmon writes them: the free space of their
 * filesystem (log-space-watch.ts: told once when full, and again when written) and max-file rotation
 * of the logs whose options rotate (log-rotation-watch.ts).
 */
export class ContainerLogWatches {
  private readonly space: LogSpaceWatch;
  private readonly rotation: LogRotationWatch;

  constructor(running: () => Container[], transitions: ContainerTransitions, log: Logger) {
    this.space = new LogSpaceWatch(() => running().map((c) => ({ id: c.id, logPath: c.record.logPath })), log);
    this.rotation = new LogRotationWatch(() => rotatingLogs(running().map((c) => c.record)), log);
    // conmon may have replaced the log between the last look and the exit: one more look.
    transitions.onTransition((c, t) => {
      if (t.kind === 'die') void this.rotation.checkOne(c.record);
      else if (t.kind === 'start') { this.rotation.wake(); this.space.wake(); }
    });
  }

  start(): void {
    this.space.start();
    this.rotation.start();
  }

  close(): void {
    this.space.close();
    this.rotation.close();
  }
}
