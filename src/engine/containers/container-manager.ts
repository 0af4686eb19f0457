import { rm } from 'node:fs/promises';
import { allOrFirstError } from '../../lib/all-settled.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import {
  ConflictError, InvalidArgumentError, NotFoundError, NotModifiedError, SystemError, errorMessage,
} from '../../lib/errors.js';
import { bestEffort } from '../../lib/best-effort.js';
import { Container } from './container.js';
import { createContainer, type CreateOptions } from './container-create.js';
import { updateContainer } from './container-update.js';
import { ContainerIndex } from './container-index.js';
import { ContainerPauser } from './container-pause.js';
import { pruneContainers, type PruneReport } from './container-prune.js';
import { letRemappedRootPass } from './userns-options.js';
import { ContainerReconciler } from './container-reconciler.js';
import { containerContext, type ContainerContext, type ContainerManagerDeps } from './container-roles.js';
import { ContainerRunner } from './container-runner.js';
import type { ContainerStore } from './container-store.js';
import { stateName } from './container-state.js';
import { ContainerSupervisor } from './container-supervisor.js';
import { ContainerTransitions, type TransitionListener } from './container-transitions.js';
import { ContainerEvents } from './container-events.js';
import { NO_EVENTS } from '../events/event-types.js';
import { ContainerLogWatches } from './log-watches.js';
import { HealthMonitor } from './health-monitor.js';
import { initialBackoff, signalCancelsRestart } from './lifecycle-rules.js';
import { releaseMounts, restoreMountRefs } from './mounts.js';
import { validateName } from './names.js';
import { removalRefusal, signalResumes } from './pause-rules.js';
import { removeContainerLink } from './container-links.js';
import { rootfsDirs } from './rootfs.js';
import { parseSignal, SIGKILL, SIGTERM } from './signals.js';
import { untilKilled, waitWithTimeout } from './bounded-wait.js';

export interface StopOptions {
  /** Seconds to wait after the stop signal before SIGKILL; negative waits forever. */
  timeout?: number;
  signal?: string;
}

/**
 * All containers of the engine: create -> start -> exit -> (restart) -> remove, with Docker's rules
 * (lifecycle-rules.ts). The facade the API uses; the work is done by its parts: the index (names and
 * lookups), the runner (one run), the supervisor (exits and restarts), the reconciler (daemon start)
 * and the transitions, through which every state change passes.
 *
 * Each container's record lives in memory (answers come from there) and on disk (written atomically on
 * every state change). State changes of one container run one at a time (`Container.locked`); waiting
 * for an exit happens outside the lock. Processes run under conmon, so the daemon is not needed while
 * they run: `open` reconciles records with what the runtime reports (live restore).
 */
export class ContainerManager {
  private readonly index = new ContainerIndex();
  private readonly transitions: ContainerTransitions;
  private readonly runner: ContainerRunner;
  private readonly supervisor: ContainerSupervisor;
  private readonly pauser: ContainerPauser;
  /** Reports container events: every transition, and the actions that are none (attach, exec, top...). */
  readonly events: ContainerEvents;
  /** Runs the health checks of running containers (health-monitor.ts). */
  private readonly health: HealthMonitor;
  /** Free space and rotation of running containers' logs (log-watches.ts). */
  private readonly logs: ContainerLogWatches;

  private constructor(private readonly ctx: ContainerContext) {
    this.transitions = new ContainerTransitions(ctx.store, this.index, ctx.log, (c) => this.autoRemove(c));
    this.events = new ContainerEvents(ctx.events ?? NO_EVENTS);
    this.transitions.onTransition(this.events.transition);
    this.runner = new ContainerRunner(ctx, this.transitions, (ref) => this.index.get(ref));
    this.supervisor = new ContainerSupervisor(ctx, this.runner, this.transitions);
    this.pauser = new ContainerPauser(ctx, this.transitions);
    // Listening before the reconciliation, so containers adopted at daemon start are probed again.
    this.health = new HealthMonitor(ctx, this.transitions);
    this.logs = new ContainerLogWatches(() => this.index.all().filter((c) => c.state.running), this.transitions, ctx.log);
  }

  /**
   * Opens the containers under `deps.dataRoot` and reconciles them with what the runtime reports
   * (processes that kept running are followed again, exits while no daemon watched are recorded,
   * restart policies apply). The engine opens it through `openContainerManager` (runtime-binding.ts).
   */
  static async open(deps: ContainerManagerDeps): Promise<ContainerManager> {
    const ctx = containerContext(deps);
    const manager = new ContainerManager(ctx);
    ctx.images.setUsageCheck((imageId) => manager.containersUsingImage(imageId));
    const { records, leftovers } = await ctx.store.load();
    await letRemappedRootPass(ctx.store.root, ctx.idMapping);
    for (const id of leftovers) {
      await bestEffort(ctx.log, `container ${id}: network leftovers`, () => ctx.network.unregisterContainer(id));
    }
    for (const record of records) {
      manager.index.add(new Container(record));
      restoreMountRefs(ctx.volumes, record.id, record.mounts);
    }
    const reconciler = new ContainerReconciler(ctx, manager.runner, manager.supervisor, manager.transitions, (c) => manager.autoRemove(c));
    await reconciler.reconcile(manager.index.all());
    manager.logs.start();
    return manager;
  }

  /** Where records, logs and writable layers are (`store.dir(id)`). */
  get store(): ContainerStore {
    return this.ctx.store;
  }

  get runtime(): ContainerRuntime {
    return this.ctx.runtime;
  }

  /** Where a run's OCI bundle (config.json, conmon's attach socket and control fifo) lives. */
  bundleDir(id: string): string {
    return this.ctx.bundleDir(id);
  }

  /**
   * Calls `listener` after every state change of any container (create, start, die, kill, stop, rename,
   * destroy...), once the record is saved. Returns a function that removes the listener.
   */
  onTransition(listener: TransitionListener): () => void {
    return this.transitions.onTransition(listener);
  }

  // ---- lookups ----

  /**
   * Finds a container as Docker does: full ID, then name (with or without the slash), then a unique ID
   * prefix. NotFoundError `No such container: x`; an ambiguous prefix is InvalidArgumentError.
   */
  get(ref: string): Container {
    return this.index.get(ref);
  }

  all(): Container[] {
    return this.index.all();
  }

  /** Counts for /info: a restarting container counts as stopped, as in Docker. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const out = { total: 0, running: 0, paused: 0, stopped: 0 };
    for (const c of this.index.all()) {
      out.total++;
      const s = stateName(c.state);
      if (s === 'running') out.running++;
      else if (s === 'paused') out.paused++;
      else out.stopped++;
    }
    return out;
  }

  /** The containers made from an image (for `docker rmi` conflicts). */
  containersUsingImage(imageId: string): { id: string; name: string; running: boolean }[] {
    return this.all().filter((c) => c.record.image === imageId)
      .map((c) => ({ id: c.id, name: c.record.name, running: c.state.running }));
  }

  // ---- create / start ----

  /** POST /containers/create: validates everything, then writes the container's record last. */
  create(name: string | undefined, body: unknown, opts?: CreateOptions): Promise<{ Id: string; Warnings: string[] }> {
    return createContainer(this.ctx, this.index, this.transitions, name, body, opts);
  }

  /** POST /containers/{id}/start. NotModifiedError when it already runs. */
  async start(ref: string): Promise<void> {
    const c = this.get(ref);
    await c.locked(async () => {
      if (c.removed) throw new NotFoundError(`No such container: ${ref}`);
      if (c.state.paused) throw new ConflictError('cannot start a paused container, try unpause instead');
      if (c.state.running) throw new NotModifiedError('container already started');
      if (c.state.removing || c.state.dead) throw new ConflictError('container is marked for removal and cannot be started');
      c.record.restartCount = 0;
      c.record.hasBeenManuallyStopped = false;
      c.backoff = initialBackoff();
      await this.supervisor.run(c);
    });
  }

  /** Removes an `--rm` container after its exit; no client needs to be connected. */
  private autoRemove(c: Container): void {
    setImmediate(() => {
      void bestEffort(this.ctx.log, `container ${c.id}: auto-remove`, () => this.remove(c.id, { force: true, removeVolumes: true }));
    });
  }

  // ---- stop / kill / restart ----

  /**
   * POST /containers/{id}/kill. A kill by the stop signal (or SIGKILL) is final: no restart follows, as
   * in Docker. SIGKILL waits until the container is down, so `kill` then `rm` works.
   */
  async kill(ref: string, signalName = 'SIGKILL'): Promise<void> {
    const signal = parseSignal(signalName);
    const c = this.get(ref);
    await this.sendSignal(c, signal, ref);
    if (signal === SIGKILL) await untilKilled(c);
  }

  private async sendSignal(c: Container, signal: number, ref: string): Promise<void> {
    await c.locked(async () => {
      if (!c.state.running) throw new ConflictError(`Cannot kill container: ${ref}: Container ${c.id} is not running`);
      if (signalCancelsRestart(signal, c.record.config.StopSignal)) c.backoff = { ...c.backoff, cancelled: true };
      await this.transitions.signalled(c, signal);
      if (c.state.restarting) {
        // Nothing runs: cancelling the pending restart is the whole stop.
        this.supervisor.cancelRestart(c);
        await this.transitions.restartCancelled(c);
        return;
      }
      try {
        await this.ctx.runtime.kill(c.id, signal);
      } catch (err) {
        // The process may have ended in between; that is what was wanted.
        const st = await bestEffort(this.ctx.log, `container ${c.id}: runtime state`, () => this.ctx.runtime.state(c.id));
        if (st && st.status === 'running') throw new SystemError(`Cannot kill container ${c.id}: ${errorMessage(err)}`);
      }
      // A paused container hears a final signal once thawed, as in Docker.
      if (signalResumes(c.state, signal, c.record.config.StopSignal)) await this.pauser.resumeAfterSignal(c);
    });
  }

  /** POST /containers/{id}/stop: stop signal, then SIGKILL after the timeout. NotModifiedError when stopped. */
  async stop(ref: string, opts: StopOptions = {}): Promise<void> {
    const c = this.get(ref);
    if (!c.state.running) throw new NotModifiedError('container already stopped');
    await this.stopContainer(c, ref, opts);
  }

  private async stopContainer(c: Container, ref: string, opts: StopOptions): Promise<void> {
    const signal = opts.signal ? parseSignal(opts.signal) : stopSignalOf(c);
    const timeout = opts.timeout ?? c.record.config.StopTimeout ?? 10;
    await this.sendSignalUnlessStopped(c, signal, ref);
    const stopped = await waitWithTimeout((s) => c.whenNotRunning(s), timeout < 0 ? undefined : timeout * 1000);
    if (!stopped) {
      await this.sendSignalUnlessStopped(c, SIGKILL, ref);
      await untilKilled(c).catch((err: Error) => {
        throw new SystemError(`cannot stop container: ${ref}: ${err.message}`);
      });
    }
    this.events.action(c, 'stop');
  }

  /** A container that stopped meanwhile is what a stop wants: its ConflictError is no failure. */
  private async sendSignalUnlessStopped(c: Container, signal: number, ref: string): Promise<void> {
    try {
      await this.sendSignal(c, signal, ref);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }

  /** POST /containers/{id}/restart: stop when running (marking it stopped by hand), then start. */
  async restart(ref: string, opts: StopOptions = {}): Promise<void> {
    const c = this.get(ref);
    if (c.state.running) await this.stopContainer(c, ref, opts);
    try {
      await this.start(c.id);
    } catch (err) {
      if (!(err instanceof NotModifiedError)) throw err;
    }
    this.events.action(c, 'restart');
  }

  // ---- pause / unpause (container-pause.ts) ----

  /** POST /containers/{id}/pause: freezes the container's processes. */
  pause(ref: string): Promise<void> {
    return this.pauser.pause(this.get(ref));
  }

  /** POST /containers/{id}/unpause. */
  unpause(ref: string): Promise<void> {
    return this.pauser.unpause(this.get(ref));
  }

  /** Runs `work` with the container paused if it runs (docker commit), unpaused afterwards. */
  whilePaused<T>(c: Container, work: () => Promise<T>): Promise<T> {
    return this.pauser.whilePaused(c, work);
  }

  // ---- wait ----

  /** POST /containers/{id}/wait: resolves with the exit code when the condition holds; undefined when `signal` aborts. */
  async wait(c: Container, condition: string, signal?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null } | undefined> {
    const done = condition === 'removed' ? c.whenRemoved(signal)
      : condition === 'next-exit' ? c.nextExit(signal)
        : c.untilRunEnds(signal);
    if (!(await done)) return undefined;
    return { StatusCode: c.state.exitCode, Error: c.state.error ? { Message: c.state.error } : null };
  }

  // ---- remove / rename ----

  /** DELETE /containers/{id}. A running container needs `force` (then it is killed first). */
  async remove(ref: string, opts: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> {
    const c = this.get(ref);
    if (c.state.removing) throw new ConflictError(`removal of container ${ref} is already in progress`);
    if (c.state.running) {
      if (!opts.force) throw runningConflict(c);
      await this.sendSignalUnlessStopped(c, SIGKILL, ref);
      await untilKilled(c).catch((err: Error) => {
        throw new SystemError(`cannot remove container "${c.record.name}": could not kill: ${err.message}`);
      });
    }
    await c.locked(async () => {
      if (c.removed) return;
      if (c.state.running) throw runningConflict(c);
      c.state.removing = true;
      try {
        this.supervisor.cancelRestart(c);
        // A runtime that cannot delete keeps the record: nothing of the container's runtime state is
        // left without an owner, and a later rm retries.
        await this.ctx.runtime.delete(c.id);
        // An `--rm` container that ran and comes back after a machine crash is removed again at daemon
        // start (lifecycle-rules.ts): its removal needs no fsync.
        await this.ctx.store.remove(c.id, { durable: !(c.record.hostConfig.AutoRemove && c.record.hasBeenStartedBefore) });
        await allOrFirstError([
          rm(this.bundleDir(c.id), { recursive: true, force: true }),
          bestEffort(this.ctx.log, `container ${c.id}: network`, () => this.ctx.network.unregisterContainer(c.id)),
          releaseMounts(this.ctx.volumes, c.id, c.record.mounts, Boolean(opts.removeVolumes), this.ctx.log),
        ]);
      } catch (err) {
        c.state.removing = false;
        throw new SystemError(`unable to remove container ${c.id}: ${errorMessage(err)}`);
      }
      this.transitions.destroyed(c);
    });
    await bestEffort(this.ctx.log, 'removing unused layers', () => this.ctx.images.removeUnusedLayers());
  }

  /** POST /containers/prune (container-prune.ts). */
  prune(filters: Map<string, string[]>): Promise<PruneReport> {
    return pruneContainers(this.all(), filters, {
      upperDir: (id) => rootfsDirs(this.ctx.store.dir(id)).upper, remove: (id) => this.remove(id, {}), log: this.ctx.log,
    });
  }

  /** POST /containers/{id}/rename. */
  async rename(ref: string, newName: string): Promise<void> {
    if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
    const c = this.get(ref);
    const slashed = newName.startsWith('/') ? newName : `/${newName}`;
    let name: string;
    try {
      name = validateName(slashed);
    } catch (err) {
      throw new InvalidArgumentError(`Error when allocating new name: ${errorMessage(err)}`);
    }
    await c.locked(async () => {
      if (c.record.name === name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      try {
        await this.transitions.renamed(c, name);
      } catch (err) {
        if (err instanceof ConflictError) throw new ConflictError(`Error when allocating new name: ${err.message}`);
        throw err;
      }
      await bestEffort(this.ctx.log, `container ${c.id}: network rename`, () => this.ctx.network.renameContainer(c.id, name));
    });
  }

  /** POST /containers/{id}/update: new limits (live, when it runs) and restart policy, kept in the record. */
  async update(ref: string, body: unknown): Promise<{ Warnings: string[] }> {
    const c = this.get(ref);
    const result = await updateContainer(this.ctx.runtime, this.ctx.store, c, body);
    this.events.action(c, 'update');
    return result;
  }

  /** DELETE /containers/{parent}/{alias}?link=1 (`docker rm --link`): container-links.ts. */
  removeLink(ref: string): Promise<void> {
    return removeContainerLink(ref, (r) => this.get(r), this.ctx);
  }

  // ---- daemon stop ----

  /** Stops the manager's own work (watchers, timers) at daemon shutdown; containers keep running. */
  async close(): Promise<void> {
    await this.health.close();
    this.logs.close();
    this.supervisor.close(this.index.all());
  }
}

/** dockerd's refusal to remove a running (or paused, or restarting) container without force. */
function runningConflict(c: Container): ConflictError {
  return removalRefusal(c.state, c.id) ?? new ConflictError(`You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
}

/** The container's own stop signal (an unparseable one falls back to SIGTERM), else SIGTERM. */
function stopSignalOf(c: Container): number {
  const configured = c.record.config.StopSignal;
  if (!configured) return SIGTERM;
  try {
    return parseSignal(configured);
  } catch {
    return SIGTERM;
  }
}
