import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import type { ContainerManager } from './container-manager.js';
import { ConflictError, NotFoundError, errorMessage } from '../../lib/errors.js';
import { ExecRuntime, type ExecProcess } from '../runtime/exec-runtime.js';
import type { OciRuntimes } from '../runtime/oci-runtimes.js';
import { containerNotRunning, resizeTerminal } from './attach-resize.js';
import { parseExecConfig, type ExecConfig } from './exec-config.js';
import type { Container } from './container.js';
import { rootfsDirs } from './rootfs.js';
import { resolveUser } from './user-lookup.js';
import { execAction } from './container-events.js';

/** One `docker exec`: created, then started once; kept in memory only, as Docker keeps them. */
export class ExecInstance {
  running = false;
  started = false;
  exitCode: number | null = null;
  pid = 0;
  /** Settles when the process has ended and its exit code is recorded. */
  ended?: Promise<void>;

  constructor(readonly id: string, readonly container: Container, readonly config: ExecConfig) {}
}

/** How long an ended exec stays inspectable (the CLI asks for the exit code right after the stream ends). */
const KEEP_ENDED_MS = 5 * 60_000;

/** What the exec instances use of the daemon. */
export interface ExecManagerDeps {
  readonly config: Pick<DaemonConfig, 'execRoot'>;
  readonly log: Logger;
  readonly containers: ContainerManager;
  /** Where each container's runtime binary is found; default: runc only. */
  readonly runtimes?: OciRuntimes;
}

/**
 * The exec instances of all containers: create (validated, nothing runs), start (conmon --exec), the
 * exit recorded for inspect (`ExitCode`, `Running`, `Pid`), resize. Lives beside the container manager
 * and reaches it through ExecManagerDeps.
 */
export class ExecManager {
  private readonly execs = new Map<string, ExecInstance>();
  /** Timers that forget ended instances (they keep nothing alive, but close() ends them). */
  private readonly forgetTimers = new Set<NodeJS.Timeout>();
  readonly runtime: ExecRuntime;

  constructor(private readonly deps: ExecManagerDeps) {
    this.runtime = new ExecRuntime({ execRoot: deps.config.execRoot, log: deps.log, runtimes: deps.runtimes });
  }

  /**
   * At daemon shutdown: exec processes run under conmon and outlive the daemon (as containers do);
   * only the bookkeeping of this process ends.
   */
  async close(): Promise<void> {
    for (const timer of this.forgetTimers) clearTimeout(timer);
    this.forgetTimers.clear();
  }

  /** POST /containers/{id}/exec. */
  create(ref: string, body: unknown): { Id: string } {
    const config = parseExecConfig(body);
    const c = this.deps.containers.get(ref);
    if (!c.state.running || c.state.restarting) throw containerNotRunning(c.id);
    if (c.state.paused) throw new ConflictError(`Container ${ref} is paused, unpause the container before exec`);
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, new ExecInstance(id, c, config));
    this.deps.containers.events.action(c, execAction('exec_create', config.Cmd), { execID: id });
    return { Id: id };
  }

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** Exec IDs of a container's running processes (inspect's ExecIDs; null when none, as Docker). */
  runningIds(containerId: string): string[] | null {
    const ids = [...this.execs.values()].filter((e) => e.container.id === containerId && e.running).map((e) => e.id);
    return ids.length ? ids : null;
  }

  /** Checks that `id` can start now (before a hijack), and claims it. */
  claim(id: string): ExecInstance {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const c = e.container;
    if (!c.state.running || c.state.restarting || c.removed) throw containerNotRunning(c.id);
    e.started = true;
    return e;
  }

  /**
   * Runs a claimed exec. Resolves once the process runs; a process that cannot start rejects with
   * runc's reason and is recorded with exit code 126, as Docker does.
   */
  async start(e: ExecInstance, consoleSize?: { height: number; width: number }): Promise<void> {
    const c = e.container;
    this.deps.containers.events.action(c, execAction('exec_start', e.config.Cmd), { execID: e.id });
    try {
      const process = await this.processFor(e, consoleSize);
      const { pid } = await this.runtime.start(c.id, e.id, process, e.config.AttachStdin);
      e.pid = pid;
      e.running = true;
    } catch (err) {
      e.exitCode = 126;
      this.execDied(e);
      this.forgetLater(e);
      await this.runtime.remove(e.id);
      throw err;
    }
    e.ended = this.runtime.waitExit(c.id, e.id).then(
      (code) => { e.exitCode = code; },
      (err) => {
        this.deps.log.warn(`exec ${e.id}: ${errorMessage(err)}`);
        e.exitCode = 255;
      },
    ).finally(() => {
      e.running = false;
      this.execDied(e);
      this.forgetLater(e);
    });
  }

  private execDied(e: ExecInstance): void {
    this.deps.containers.events.action(e.container, 'exec_die', { execID: e.id, exitCode: String(e.exitCode) });
  }

  /** Removes the exec's files once its output has been read. */
  async cleanup(e: ExecInstance): Promise<void> {
    await e.ended;
    await this.runtime.remove(e.id);
  }

  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    const e = this.get(id);
    if (!e.running) throw new ConflictError(`Exec ${id} is not running`);
    await resizeTerminal(this.runtime.dir(id), e.config.Tty, size, () => new ConflictError(`Exec ${id} is not running`));
  }

  /** GET /exec/{id}/json: Docker's ExecInspectResponse. */
  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const [entrypoint, ...args] = e.config.Cmd;
    return {
      ID: e.id, Running: e.running, ExitCode: e.exitCode,
      ProcessConfig: {
        tty: e.config.Tty, entrypoint, arguments: args, privileged: e.config.Privileged,
        ...(e.config.User ? { user: e.config.User } : {}),
      },
      OpenStdin: e.config.AttachStdin, OpenStderr: e.config.AttachStderr, OpenStdout: e.config.AttachStdout,
      CanRemove: false, ContainerID: e.container.id, DetachKeys: e.config.DetachKeys, Pid: e.pid,
    };
  }

  /**
   * The process as Docker builds it: the container's environment (from its running config) with the
   * exec's Env over it (TERM=xterm with a TTY), the exec's user and working dir or the container's.
   */
  private async processFor(e: ExecInstance, consoleSize?: { height: number; width: number }): Promise<ExecProcess> {
    const c = e.container;
    const bundle = this.deps.containers.bundleDir(c.id);
    const running = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as {
      process: {
        env: string[]; cwd: string; user: ExecProcess['user'];
        capabilities?: { bounding: string[] }; noNewPrivileges?: boolean;
      };
    };
    const env = [...running.process.env];
    const set = (entry: string) => {
      const key = entry.split('=')[0];
      const i = env.findIndex((x) => x.split('=')[0] === key);
      if (i >= 0) env[i] = entry;
      else env.push(entry);
    };
    if (e.config.Tty) set('TERM=xterm');
    for (const entry of e.config.Env) set(entry);
    let user = running.process.user;
    if (e.config.User) {
      const merged = rootfsDirs(this.deps.containers.store.dir(c.id)).merged;
      const u = await resolveUser(merged, e.config.User, c.record.hostConfig.GroupAdd ?? []);
      user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    }
    return {
      args: e.config.Cmd, env, cwd: e.config.WorkingDir || running.process.cwd || '/', user,
      terminal: e.config.Tty, consoleSize: consoleSize ?? e.config.ConsoleSize,
      // The container's privileges, as Docker copies them from the container's process.
      capabilities: running.process.capabilities?.bounding, noNewPrivileges: running.process.noNewPrivileges,
      privileged: e.config.Privileged,
    };
  }

  private forgetLater(e: ExecInstance): void {
    const timer = setTimeout(() => {
      this.forgetTimers.delete(timer);
      this.execs.delete(e.id);
    }, KEEP_ENDED_MS).unref();
    this.forgetTimers.add(timer);
  }
}

