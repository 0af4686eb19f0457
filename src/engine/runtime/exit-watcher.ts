import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../base/log.js';

/**
 * Waits for conmon's exit files (`<exit-dir>/<id>`, written by rename when the container ends) with one
 * inotify watch on the whole directory, however many containers are waited for. The watch exists only
 * while someone waits, so it never keeps an idle daemon (or a test) alive.
 *
 * A waiter first arms the watch and then looks for the file, so an exit that happens in between is
 * seen either by the look or by the event: containers that ended while the daemon was down, or
 * before wait() was called, resolve at once.
 */
export class ExitWatcher<T> {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<{ resolve: (v: T) => void; reject: (e: unknown) => void }>>();

  constructor(
    private readonly dir: string,
    /** Reads the exit record of `id`, or undefined while there is none. */
    private readonly read: (id: string) => Promise<T | undefined>,
    private readonly log: Logger,
  ) {}

  /** Resolves with the exit record of `id` once there is one; rejects with signal.reason on abort. */
  wait(id: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const waiter = {
        resolve: (v: T) => { signal?.removeEventListener('abort', onAbort); resolve(v); },
        reject: (e: unknown) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      };
      const onAbort = () => {
        const current = this.waiters.get(id);
        current?.delete(waiter);
        if (current?.size === 0) this.waiters.delete(id);
        if (this.waiters.size === 0) this.disarm();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
      try {
        this.arm();
      } catch (err) {
        this.settle(id, undefined, err);
        return;
      }
      this.check(id);
    });
  }

  /** Number of containers waited for (for tests and diagnostics). */
  get size(): number {
    return this.waiters.size;
  }

  /** Rejects every waiter and drops the watch (daemon shutdown). */
  close(reason: Error = new Error('exit watcher closed')): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, undefined, reason);
    this.disarm();
  }

  private arm(): void {
    if (this.watcher) return;
    const watcher = watch(this.dir, { persistent: true }, (_event, filename) => {
      if (filename == null) {
        for (const id of this.waiters.keys()) this.check(id);
      } else if (this.waiters.has(filename)) {
        this.check(filename);
      }
    });
    watcher.on('error', (err) => {
      // The directory went away or inotify failed: re-arm and look again rather than hang.
      this.log.warn(`exit watcher on ${this.dir}: ${err.message}`);
      this.disarm();
      setImmediate(() => {
        try {
          if (this.waiters.size) this.arm();
          for (const id of this.waiters.keys()) this.check(id);
        } catch (e) {
          for (const id of [...this.waiters.keys()]) this.settle(id, undefined, e);
        }
      });
    });
    this.watcher = watcher;
  }

  private disarm(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private check(id: string): void {
    this.read(id).then(
      (value) => { if (value !== undefined) this.settle(id, value); },
      (err) => this.settle(id, undefined, err),
    );
  }

  private settle(id: string, value: T | undefined, err?: unknown): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const w of set) {
      if (err !== undefined) w.reject(err);
      else w.resolve(value as T);
    }
    if (this.waiters.size === 0) this.disarm();
  }
}
