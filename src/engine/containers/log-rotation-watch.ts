// Looks at the logs of running containers whose logs rotate (log-rotation.ts), often while a log
// grows (conmon may replace it at any write) and seldom while it is quiet, so a daemon with many
// idle containers does not stat their logs fifty times a second. A quiet log is watched (inotify on
// its directory) so that its first write makes it busy at once; a busy one is not (the watch would
// wake berthd for every write), it is looked at every BUSY_LOOK_MS. With no rotating log running,
// nothing is looked at until a container starts (wake()): a thousand containers without rotation
// cost nothing here.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../../lib/errors.js';
import { rotateIfReplaced, rotationPolicy } from './log-rotation.js';
import type { LogConfig } from './log-drivers.js';
import type { ContainerRecord } from './container-types.js';

/** A running container whose log keeps `maxFile` files. */
export interface RotatingLog {
  id: string;
  logPath: string;
  maxFile: number;
}

export interface RotationWatchLog {
  warn(message: string): void;
}

/** How often a growing log is looked at, and a quiet one. */
export const BUSY_LOOK_MS = 20;
export const QUIET_LOOK_MS = 1000;

export class LogRotationWatch {
  private readonly seen = new Map<string, { size: number; next: number; watcher?: FSWatcher }>();
  private readonly failing = new Set<string>();
  private timer?: NodeJS.Timeout;
  private checking = false;
  private running = false;
  /** A container started during a look: look again after it. */
  private again = false;

  constructor(private readonly rotating: () => RotatingLog[], private readonly log: RotationWatchLog) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** A container started: look now, in case its log rotates. */
  wake(): void {
    if (!this.running) return;
    if (this.checking) this.again = true;
    else this.schedule(0);
  }

  close(): void {
    this.running = false;
    for (const st of this.seen.values()) st.watcher?.close();
    this.seen.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref(); // it never keeps the daemon alive
  }

  /**
   * Looks at every log whose time has come (all of them with `all`, e.g. when a container stopped);
   * false when no running container's log rotates.
   */
  async check(all = false): Promise<boolean> {
    const now = Date.now();
    const logs = this.rotating();
    const ids = new Set(logs.map((l) => l.id));
    for (const [id, st] of this.seen) if (!ids.has(id)) { st.watcher?.close(); this.seen.delete(id); }
    for (const l of logs) {
      const last = this.seen.get(l.id);
      if (!all && last && last.next > now) continue;
      try {
        const size = await rotateIfReplaced(l.logPath, l.maxFile);
        const busy = size !== undefined && size !== last?.size;
        const st = last ?? { size: 0, next: 0 };
        st.size = size ?? 0;
        st.next = now + (busy ? BUSY_LOOK_MS : QUIET_LOOK_MS);
        if (busy) { st.watcher?.close(); st.watcher = undefined; }
        else if (!st.watcher) {
          // The first event makes the log due; the watch ends, and is armed again when it is quiet again.
          const wake = () => { st.next = 0; w.close(); if (st.watcher === w) st.watcher = undefined; };
          const w = watch(dirname(l.logPath), { persistent: false }, wake);
          w.on('error', wake);
          st.watcher = w;
        }
        this.seen.set(l.id, st);
        this.failing.delete(l.id);
      } catch (err) {
        if (!this.failing.has(l.id)) this.log.warn(`container ${l.id}: rotating its log ${l.logPath}: ${errorMessage(err)}`);
        this.failing.add(l.id);
      }
    }
    return logs.length > 0;
  }

  /** One look at the log of a container that just stopped (the watch only looks at running ones). */
  async checkOne(record: Pick<ContainerRecord, 'id' | 'logPath' | 'hostConfig'>): Promise<void> {
    for (const l of rotatingLogs([record])) {
      await rotateIfReplaced(l.logPath, l.maxFile).catch((err) => this.log.warn(`container ${l.id}: rotating its log ${l.logPath}: ${errorMessage(err)}`));
    }
  }

  private async tick(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    this.again = false;
    let any = true;
    try {
      any = await this.check();
    } finally {
      this.checking = false;
      if (this.running && (any || this.again)) this.schedule(this.again ? 0 : BUSY_LOOK_MS);
    }
  }
}

/** The logs of these containers that keep rotated files (their options were checked when they started). */
export function rotatingLogs(records: Pick<ContainerRecord, 'id' | 'logPath' | 'hostConfig'>[]): RotatingLog[] {
  const out: RotatingLog[] = [];
  for (const r of records) {
    let maxFile = 1;
    try {
      maxFile = rotationPolicy(r.hostConfig.LogConfig as LogConfig)?.maxFile ?? 1;
    } catch {
      continue; // options that do not parse never started a container
    }
    if (maxFile > 1) out.push({ id: r.id, logPath: r.logPath, maxFile });
  }
  return out;
}
