// A container's log on a full disk. conmon writes the log; when a write fails (ENOSPC) it drops that
// output, says so on its own stderr (which is /dev/null) and goes on: the container keeps running, as
// under Docker, and writing resumes by itself once space returns. Nobody would know, so berthd watches
// the filesystems that hold running containers' logs and says it once per container when its log can
// no longer be written, and once more when it can again (dockerd logs an error per lost line instead).
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage } from '../../lib/errors.js';

/** A running container whose output conmon writes to `logPath`. */
export interface LoggingContainer {
  id: string;
  logPath: string;
}

/** Where the watch reports (the daemon's log). */
export interface LogSpaceLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How often the free space is looked at while containers run. */
export const LOG_SPACE_INTERVAL_MS = 1000;

export class LogSpaceWatch {
  /** Running containers whose log's filesystem is full now (told once). */
  private readonly full = new Set<string>();
  /** Directories whose free space could not be read (told once). */
  private readonly unreadable = new Set<string>();
  private timer?: NodeJS.Timeout;
  private checking = false;
  /** The directories that hold running containers' logs, as of the last start (wake()). */
  private parents?: string[];

  constructor(
    private readonly running: () => LoggingContainer[],
    private readonly log: LogSpaceLog,
    private readonly intervalMs = LOG_SPACE_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref(); // it never keeps the daemon alive
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A container started: its log may live on a filesystem not looked at yet. */
  wake(): void {
    this.parents = undefined;
  }

  /**
   * One look: tells of each log that became unwritable or writable again since the last. While every
   * filesystem has room and none was full, that is one statfs per directory, without going through
   * the containers (a thousand idle containers cost a statfs a second).
   */
  async check(): Promise<void> {
    if (this.parents && this.full.size === 0) {
      let anyFull = false;
      for (const dir of this.parents) if (await this.isFull(dir) !== false) anyFull = true;
      if (!anyFull) return;
    }
    const containers = this.running();
    this.parents = [...new Set(containers.map((c) => dirname(dirname(c.logPath))))];
    const running = new Set(containers.map((c) => c.id));
    for (const id of this.full) if (!running.has(id)) this.full.delete(id); // stopped: nothing to say
    // Containers' logs live in one directory each under one parent: one statfs per parent.
    const fullDirs = new Map<string, boolean | undefined>();
    for (const c of containers) {
      const parent = dirname(dirname(c.logPath));
      if (!fullDirs.has(parent)) fullDirs.set(parent, await this.isFull(parent));
      const nowFull = fullDirs.get(parent);
      if (nowFull === undefined) continue;
      if (nowFull && !this.full.has(c.id)) {
        this.full.add(c.id);
        this.log.error(`container ${c.id}: write ${c.logPath}: no space left on device; the container keeps running and its output is lost until space returns`);
      } else if (!nowFull && this.full.delete(c.id)) {
        this.log.info(`container ${c.id}: its log ${c.logPath} is written again`);
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.check();
    } catch (err) {
      this.log.warn(`watching the free space for container logs: ${errorMessage(err)}`);
    } finally {
      this.checking = false;
    }
  }

  /**
   * Whether no block is free for conmon (root: the reserved blocks count) under `dir`; undefined when
   * that cannot be read (told once per directory).
   */
  private async isFull(dir: string): Promise<boolean | undefined> {
    try {
      const fs = await statfs(dir);
      this.unreadable.delete(dir);
      return fs.bfree === 0;
    } catch (err) {
      if (!this.unreadable.has(dir)) this.log.warn(`watching the free space for container logs in ${dir}: ${errorMessage(err)}`);
      this.unreadable.add(dir);
      return undefined;
    }
  }
}
