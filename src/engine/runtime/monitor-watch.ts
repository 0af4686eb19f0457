import { readFileSync } from 'node:fs';
import { pidfdExits, type ExitWatchHandle, type ProcessExits } from './pidfd-watch.js';

/**
 * Notices the death of processes the daemon did not start as its children (conmon double-forks, and
 * a daemon restarted later is nobody's parent), which Node cannot wait for. The kernel tells of each
 * end through a pidfd (pidfd-watch.ts), so a thousand idle containers cost no CPU; without pidfds,
 * one shared timer looks at /proc every `intervalMs` while anything is watched and stops when nothing
 * is. A process counts as the same one only with the same start time, so a reused pid is never
 * mistaken for the monitor it replaced.
 */

/** What /proc/<pid>/stat says of a process. */
export interface ProcStat {
  /** R, S, D, T, t, Z (zombie), X (dead)... */
  state: string;
  /** Clock ticks after boot (field 22): with the pid, names one process for the life of the machine. */
  startTime: number;
  /** A zombie's wait status as waitpid(2) would report it (field 52, Linux 3.5+); 0 while it lives. */
  waitStatus: number | undefined;
}

/** A process named so that a recycled pid does not pass for it. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

/** Parses /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // fields[0] is field 3 (state), fields[19] field 22 (starttime), fields[49] field 52 (exit_code).
  const fields = text.slice(close + 2).trim().split(' ');
  const startTime = Number(fields[19]);
  if (!fields[0] || !Number.isSafeInteger(startTime)) return undefined;
  const exit = fields[49] === undefined ? NaN : Number(fields[49]);
  return { state: fields[0], startTime, waitStatus: Number.isInteger(exit) ? exit : undefined };
}

/** The process's /proc/<pid>/stat, or undefined once it is gone (reaped). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // ENOENT or ESRCH: no such process any more
  }
}

/** The identity of a live process, or undefined when there is none by that pid. */
export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readProcStat(pid);
  return stat && isLiveState(stat.state) ? { pid, startTime: stat.startTime } : undefined;
}

/** Whether a process state is a live one (anything but zombie or dead). */
export function isLiveState(state: string): boolean {
  return state !== 'Z' && state !== 'X' && state !== 'x';
}

/** Whether the process is still the one named: present, started at the same tick, not a zombie. */
export function isAlive(p: ProcessIdentity, stat: ProcStat | undefined = readProcStat(p.pid)): boolean {
  return !!stat && stat.startTime === p.startTime && isLiveState(stat.state);
}

/** True when `pid` is alive and is the conmon of container `id` (not a recycled pid, not a zombie). */
export function isConmonOf(pid: number, id: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // gone
  }
  if (!cmdline) return false; // a zombie's cmdline reads empty
  const argv = cmdline.split('\0');
  const stat = readProcStat(pid);
  return argv[0]!.endsWith('conmon') && argv.includes(id) && !!stat && isLiveState(stat.state);
}

/** Docker's exit code for a wait status: the process's own code, or 128 + the signal that ended it. */
export function exitCodeOfWaitStatus(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

/** How often the shared timer looks: the death of a monitor is seen within this (plus one /proc read). */
export const MONITOR_POLL_MS = 250;

interface Watcher {
  process: ProcessIdentity;
  resolve: () => void;
  /** The kernel's watch of it; without one, the timer looks at it. */
  pidfd?: ExitWatchHandle;
}

export interface MonitorWatchOptions {
  /** How often the timer looks at the processes that have no pidfd. */
  intervalMs?: number;
  /** Whether a watched process still lives (injected by unit tests). */
  alive?: (p: ProcessIdentity) => boolean;
  /** The kernel's exit notices; null: look at /proc on the timer. */
  exits?: ProcessExits | null;
  /** Told, once, when a pidfd cannot be had and the timer looks at a process instead. */
  warn?: (message: string) => void;
}

export class MonitorWatch {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly alive: (p: ProcessIdentity) => boolean;
  private readonly exits: ProcessExits | null;
  private warn: ((message: string) => void) | undefined;

  constructor(options: MonitorWatchOptions = {}) {
    this.intervalMs = options.intervalMs ?? MONITOR_POLL_MS;
    this.alive = options.alive ?? ((p) => isAlive(p));
    this.exits = options.exits === undefined ? pidfdExits() : options.exits;
    this.warn = options.warn;
  }

  /**
   * Resolves once `process` is gone (a zombie counts as gone): at once when it already is, else at
   * the first look that finds it gone. Rejects with `signal.reason` when the signal aborts first.
   */
  whenGone(process: ProcessIdentity, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.alive(process)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const watcher: Watcher = {
        process,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.drop(watcher);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.watchers.add(watcher);
      let pidfd: ExitWatchHandle | null | undefined;
      try {
        pidfd = this.exits?.watch(process.pid, () => this.told(watcher));
      } catch (err) {
        // No descriptor to be had (EMFILE...): the timer looks at this one. Said once, not per process.
        this.warn?.(`watching process ${process.pid} by reading /proc every ${this.intervalMs} ms: no pidfd: ${(err as Error).message}`);
        this.warn = undefined;
        pidfd = undefined;
      }
      if (pidfd !== undefined) {
        // The pidfd names whichever process had the pid when it was opened: the one meant only if
        // that one still lives now, with its start time.
        if (pidfd && this.alive(process)) { watcher.pidfd = pidfd; return; }
        if (pidfd) this.exits!.unwatch(pidfd);
        this.gone(watcher);
        return;
      }
      this.poll();
    });
  }

  /** The kernel told of the end (or of a failed poll): trusted only once /proc agrees. */
  private told(w: Watcher): void {
    w.pidfd = undefined;
    if (this.alive(w.process)) this.poll();
    else this.gone(w);
  }

  /** Starts the timer for the watchers without a pidfd. */
  private poll(): void {
    // Like the exit watch, it keeps the process alive only while someone waits.
    this.timer ??= setInterval(() => this.look(), this.intervalMs);
  }

  /** Number of processes watched (for tests and diagnostics); the timer runs only while one has no pidfd. */
  get size(): number {
    return this.watchers.size;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private look(): void {
    for (const w of [...this.watchers]) {
      if (w.pidfd || this.alive(w.process)) continue;
      this.gone(w);
    }
  }

  private gone(w: Watcher): void {
    if (!this.watchers.has(w)) return;
    this.drop(w);
    w.resolve();
  }

  private drop(w: Watcher): void {
    this.watchers.delete(w);
    if (w.pidfd) this.exits!.unwatch(w.pidfd);
    if (this.timer && ![...this.watchers].some((x) => !x.pidfd)) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
