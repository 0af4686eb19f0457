import { EventEmitter } from 'node:events';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { ContainerRecord } from './container-types.js';
import { initialBackoff, type Backoff } from './lifecycle-rules.js';

/**
 * One container in memory: its record (the source of truth for API answers, so listing never touches
 * the disk), a lock that orders its state changes, its restart back-off and the events that waiters
 * and attach streams follow.
 *
 * Events: `start` (the time a run's output begins, nanoseconds since the epoch), `exit` (a run ended:
 * stopped, restarting, or its start failed), `removed`.
 */
export class Container extends EventEmitter {
  /** The restart back-off of the current run sequence. */
  backoff: Backoff = initialBackoff();
  restartTimer?: NodeJS.Timeout;
  /** Increases with each run, so a late exit report of an earlier run is ignored. */
  runId = 0;
  /** The last run whose end was reported (`endRun`). */
  lastEndedRun = 0;
  removed = false;
  private readonly queue = new SerialQueue();

  constructor(public record: ContainerRecord) {
    super();
    this.setMaxListeners(0);
  }

  get id(): string {
    return this.record.id;
  }

  get state() {
    return this.record.state;
  }

  /** Reports the end of the current run (stopped, restarting, or a start that failed). */
  endRun(): void {
    this.lastEndedRun = this.runId;
    this.emit('exit');
  }

  /** Runs `fn` after every earlier locked operation of this container has finished. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  /** Resolves once the container is not running (at once if it is not); false when `signal` aborts first. */
  whenNotRunning(signal?: AbortSignal): Promise<boolean> {
    return this.waitFor(() => !this.state.running || this.removed, 'exit', signal);
  }

  /**
   * `docker wait`'s not-running: at once when the container is not running, else at the end of the
   * current run, even when a restart policy starts it again (dockerd wakes its waiters on each exit).
   */
  untilRunEnds(signal?: AbortSignal): Promise<boolean> {
    return this.waitFor(() => !this.state.running || this.removed, 'exit', signal, true);
  }

  /** Resolves at the next end of a run (a stop or a restart). */
  nextExit(signal?: AbortSignal): Promise<boolean> {
    return this.waitFor(() => false, 'exit', signal, true);
  }

  whenRemoved(signal?: AbortSignal): Promise<boolean> {
    return this.waitFor(() => this.removed, 'removed', signal);
  }

  private waitFor(done: () => boolean, event: string, signal?: AbortSignal, once = false): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!once && !done() && !this.removed) return;
        cleanup();
        resolve(true);
      };
      const onRemoved = () => {
        cleanup();
        resolve(true);
      };
      const onAbort = () => {
        cleanup();
        resolve(false);
      };
      const cleanup = () => {
        this.off(event, check);
        if (event !== 'removed') this.off('removed', onRemoved);
        signal?.removeEventListener('abort', onAbort);
      };
      this.on(event, check);
      if (event !== 'removed') this.on('removed', onRemoved);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  }
}
