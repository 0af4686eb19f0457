import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { Engine } from '../engine.js';
import type { ContainerRuntime, ExitInfo, RuntimeSpec } from '../runtime/runtime.js';
import {
  ConflictError, InvalidArgumentError, NotFoundError, NotModifiedError, SystemError, errorMessage,
} from '../../lib/errors.js';
import { Container } from './container.js';
import { ContainerStore } from './container-store.js';
import { ZERO_TIME, type ContainerRecord } from './container-types.js';
import { initialState, setRestarting, setRunning, setStopped, stateName } from './container-state.js';
import { parseCreateBody } from './create-body.js';
import { entrypointAndArgs, mergeImageConfig, runtimeEnv } from './image-merge.js';
import { randomName, validateName } from './names.js';
import { decideExit, initialBackoff, shouldRestart, signalCancelsRestart, type LifecycleFacts } from './lifecycle-rules.js';
import { mountPoints, mountRootfs, rootfsDirs, unmountRootfs } from './rootfs.js';
import { parseSignal, SIGKILL, SIGTERM } from './signals.js';
import { resolveUser } from './user-lookup.js';
import { ensureWorkingDir } from './working-dir.js';
import {
  claimMounts, planMounts, releaseMounts, restoreMountRefs, runtimeMounts, sortParentsFirst, tmpfsFlagMounts,
  type ApiMount,
} from './mounts.js';
import { openRuntime } from './runtime-binding.js';
import { dirSize } from '../volumes/dir-size.js';
import { labelMatches } from './list-filters.js';
import { parseFilterTime } from '../../lib/time-filter.js';

export interface StopOptions {
  /** Seconds to wait after the stop signal before SIGKILL; negative waits forever. */
  timeout?: number;
  signal?: string;
}

/**
 * All containers of the engine: create -> start -> exit -> (restart) -> remove, with Docker's rules.
 *
 * Each container's record lives in memory (answers come from there) and on disk (written atomically on
 * every state change). State changes of one container run one at a time (`Container.locked`); waiting
 * for an exit happens outside the lock. Processes run under conmon, so the daemon is not needed while
 * they run: `open` reconciles records with what runc and conmon report (live restore).
 */
export class ContainerManager {
  private readonly containers = new Map<string, Container>();
  /** `/name` -> id. */
  private readonly names = new Map<string, string>();
  private closing = false;

  private constructor(
    readonly engine: Engine,
    readonly store: ContainerStore,
    readonly runtime: ContainerRuntime,
  ) {}

  static async open(engine: Engine): Promise<ContainerManager> {
    const store = new ContainerStore(join(engine.config.dataRoot, 'containers'), engine.log);
    const manager = new ContainerManager(engine, store, await openRuntime(engine));
    engine.images.setUsageCheck((imageId) => manager.containersUsingImage(imageId));
    const { records, leftovers } = await store.load();
    for (const id of leftovers) await engine.network.unregisterContainer(id).catch(() => {});
    for (const record of records) {
      const c = new Container(record);
      manager.containers.set(record.id, c);
      manager.names.set(record.name, record.id);
      restoreMountRefs(engine.volumes, record.id, record.mounts);
    }
    await manager.reconcile();
    return manager;
  }

  // ---- lookups ----

  /**
   * Finds a container as Docker does: full ID, then name (with or without the slash), then a unique ID
   * prefix. NotFoundError `No such container: x`; an ambiguous prefix is InvalidArgumentError.
   */
  get(ref: string): Container {
    const exact = this.containers.get(ref);
    if (exact) return exact;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.containers.get(byName)!;
    if (ref && /^[a-f0-9]+$/.test(ref)) {
      let found: Container | undefined;
      for (const [id, c] of this.containers) {
        if (!id.startsWith(ref)) continue;
        if (found) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
        found = c;
      }
      if (found) return found;
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  all(): Container[] {
    return [...this.containers.values()];
  }

  /** Counts for /info: a restarting container counts as stopped, as in Docker. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const out = { total: 0, running: 0, paused: 0, stopped: 0 };
    for (const c of this.containers.values()) {
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

  // ---- create ----

  /** POST /containers/create: validates everything, then writes the container's record last. */
  async create(name: string | undefined, body: unknown): Promise<{ Id: string; Warnings: string[] }> {
    const req = parseCreateBody(body);
    const wanted = name ? validateName(name) : undefined;
    const image = await this.engine.images.resolve(req.config.Image);
    const config = req.config;
    const hostConfig = req.hostConfig;
    mergeImageConfig(config, image.config.config);
    const mountPlan = planMounts({
      binds: hostConfig.Binds, mounts: (hostConfig.Mounts ?? null) as ApiMount[] | null, volumes: config.Volumes,
      tmpfs: hostConfig.Tmpfs ?? null, volumeDriver: hostConfig.VolumeDriver,
    });
    const lowerDirs = await this.engine.images.lowerDirs(image.id);

    const id = randomBytes(32).toString('hex');
    const fullName = this.reserveName(id, wanted);
    if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? osHostname() : id.slice(0, 12);
    const { path, args } = entrypointAndArgs(config);
    let registered = false;
    let claimed: ContainerRecord['mounts'] = [];
    try {
      // The directory comes first: after a crash, a directory without a record tells the next start
      // to undo what other subsystems recorded for this ID.
      await mkdir(this.store.dir(id), { recursive: true, mode: 0o710 });
      await this.engine.network.registerContainer({
        id, name: fullName.slice(1), hostname: config.Hostname, domainname: config.Domainname,
        networkMode: hostConfig.NetworkMode, portBindings: hostConfig.PortBindings ?? {},
        publishAllPorts: hostConfig.PublishAllPorts, exposedPorts: Object.keys(config.ExposedPorts ?? {}),
        links: hostConfig.Links ?? [], env: config.Env ?? [], dns: hostConfig.Dns ?? [],
        dnsSearch: hostConfig.DnsSearch ?? [], dnsOptions: hostConfig.DnsOptions ?? [],
        extraHosts: hostConfig.ExtraHosts ?? [],
        endpointsConfig: endpointsByNetwork(req.networkingConfig?.EndpointsConfig),
      });
      registered = true;
      claimed = await claimMounts(this.engine.volumes, id, mountPlan);
      const record: ContainerRecord = {
        id, name: fullName, created: new Date().toISOString(), path, args, config, hostConfig,
        networkingConfig: req.networkingConfig, image: image.id, lowerDirs, state: initialState(), restartCount: 0,
        hasBeenStartedBefore: false, hasBeenManuallyStopped: false, mounts: claimed, logPath: this.store.logPath(id),
      };
      await this.store.save(record);
      this.containers.set(id, new Container(record));
      return { Id: id, Warnings: [] };
    } catch (err) {
      this.names.delete(fullName);
      if (registered) await this.engine.network.unregisterContainer(id).catch(() => {});
      await releaseMounts(this.engine.volumes, id, claimed, true).catch(() => {});
      await this.store.removeDir(id).catch(() => {});
      throw err;
    }
  }

  /** Takes `name` (or a generated one) for `id` at once, so two creates cannot both get it. */
  private reserveName(id: string, wanted: string | undefined): string {
    if (wanted) {
      const holder = this.names.get(wanted);
      if (holder) throw nameConflict(wanted, holder);
      this.names.set(wanted, id);
      return wanted;
    }
    for (let retry = 0; ; retry++) {
      const name = `/${randomName(retry > 5 ? retry : 0)}`;
      if (!this.names.has(name)) {
        this.names.set(name, id);
        return name;
      }
    }
  }

  // ---- start / run ----

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
      await this.run(c);
    });
  }

  /**
   * Starts one run of the container (lock held): rootfs, user, working dir, network, mounts, then
   * conmon + runc create, network plumbing into the new namespace, runc start. On failure everything
   * taken is given back and the error is recorded in State.Error, as Docker does.
   */
  private async run(c: Container): Promise<void> {
    const { id, config, hostConfig } = c.record;
    const dirs = rootfsDirs(this.store.dir(id));
    let created = false;
    let networked = false;
    try {
      // Asked again at each start: the image store may lay out its layer links differently by now.
      c.record.lowerDirs = await this.engine.images.lowerDirs(c.record.image).catch(() => c.record.lowerDirs);
      await mountRootfs(dirs, c.record.lowerDirs);
      const user = await resolveUser(dirs.merged, config.User, hostConfig.GroupAdd ?? []);
      const cwd = config.WorkingDir || '/';
      await ensureWorkingDir(dirs.merged, cwd);
      // Networking's seam: it decides the namespace (new, host, or another container's) and /etc files.
      const net = await this.engine.network.prepare(id);
      networked = true;
      c.record.etcPaths = etcPathsOf(net.mounts);
      const mounts = sortParentsFirst([
        ...net.mounts,
        ...(await runtimeMounts(this.engine.volumes, c.record.mounts, dirs.merged)),
        ...tmpfsFlagMounts(hostConfig.Tmpfs),
      ]);
      const spec: RuntimeSpec = {
        id, bundleDir: this.bundleDir(id), rootfs: dirs.merged, readonlyRootfs: hostConfig.ReadonlyRootfs,
        args: [c.record.path, ...c.record.args], env: runtimeEnv(config, net.hostname, net.env), cwd,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids }, hostname: net.hostname,
        terminal: config.Tty, openStdin: config.OpenStdin, mounts, network: net.network,
        // Docker closes stdin when the (first) client's input ends only without a TTY.
        stdinOnce: config.StdinOnce && !config.Tty, consoleSize: consoleSizeOf(hostConfig.ConsoleSize),
        resources: {
          ...(hostConfig.Memory ? { memoryBytes: hostConfig.Memory } : {}),
          ...(hostConfig.Memory && hostConfig.MemorySwap ? { memorySwapBytes: hostConfig.MemorySwap } : {}),
          ...(hostConfig.NanoCpus ? { nanoCpus: hostConfig.NanoCpus } : {}),
          ...(hostConfig.PidsLimit ? { pidsLimit: hostConfig.PidsLimit } : {}),
        },
        logPath: c.record.logPath,
      };
      await mkdir(spec.bundleDir, { recursive: true, mode: 0o700 });
      await this.runtime.delete(id).catch(() => {});
      const { pid } = await this.runtime.create(spec);
      created = true;
      await this.engine.network.connect(id, pid);
      c.runId++;
      // Attach streams waiting for this run read the log from this time on.
      c.emit('start', BigInt(Date.now() - 1) * 1_000_000n);
      // The record that says "running" is written while runc starts the process: a crash in between
      // leaves a created container under a running record, which start-up reconciliation ends as an
      // exit (255); memory changes only once runc succeeded.
      const startedAt = new Date();
      const running: ContainerRecord = { ...c.record, state: { ...c.state }, hasBeenStartedBefore: true };
      setRunning(running.state, pid, startedAt);
      const [started, saved] = await Promise.allSettled([this.runtime.start(id), this.store.save(running)]);
      if (started.status === 'rejected') throw started.reason;
      setRunning(c.state, pid, startedAt);
      c.record.hasBeenStartedBefore = true;
      if (saved.status === 'rejected') throw saved.reason;
      this.monitor(c, c.runId);
    } catch (err) {
      if (created) await this.runtime.delete(id).catch(() => {});
      if (networked) await this.engine.network.disconnect(id).catch(() => {});
      await unmountRootfs(dirs).catch(() => {});
      const message = errorMessage(err);
      c.state.error = message;
      // Docker's exit codes for a process that could not be run (the CLI maps the message likewise).
      c.state.exitCode = /executable file not found|no such file or directory/i.test(message) ? 127
        : /permission denied|is a directory/i.test(message) ? 126 : 128;
      await this.store.save(c.record).catch(() => {});
      // A run that never began still ends: waiters on the next exit (docker run) get the error.
      c.endRun();
      if (hostConfig.AutoRemove) this.autoRemove(c);
      if (err instanceof SystemError && c.state.exitCode !== 128) throw new InvalidArgumentError(message);
      throw err;
    }
  }

  bundleDir(id: string): string {
    return join(this.engine.config.execRoot, 'bundles', id);
  }

  /** Follows a run until its process exits (conmon's exit file), then handles the exit. */
  private monitor(c: Container, runId: number): void {
    this.runtime.waitExit(c.id).then(
      (exit) => this.onExit(c, runId, exit),
      (err) => {
        if (this.closing) return;
        this.engine.log.error(`container ${c.id}: lost track of its process: ${errorMessage(err)}`);
        return this.onExit(c, runId, { exitCode: 255, finishedAt: new Date(), oomKilled: false });
      },
    ).catch((err) => this.engine.log.error(`container ${c.id}: exit handling failed: ${errorMessage(err)}`));
  }

  /**
   * A run ended: give back what it held, then restart it (policy + back-off) or mark it stopped.
   * Ignored while the daemon shuts down: the next daemon start reads the exit from conmon's file.
   */
  private async onExit(c: Container, runId: number, exit: ExitInfo): Promise<void> {
    if (this.closing) return;
    await c.locked(async () => {
      if (this.closing || c.removed || c.runId !== runId || !c.state.running || c.state.restarting) return;
      await this.releaseRun(c);
      const r = c.record;
      const decision = decideExit(lifecycleFacts(c), exit);
      c.backoff = decision.backoff;
      if (decision.action === 'restart') {
        setRestarting(c.state, exit);
        r.restartCount++;
        await this.store.save(r);
        c.endRun();
        this.scheduleRestart(c, decision.delayMs);
        return;
      }
      setStopped(c.state, exit);
      // An --rm container is removed right after: its stopped record would be deleted unread. A crash
      // in between leaves the running record, which reconciliation ends and removes just the same.
      if (!r.hostConfig.AutoRemove) await this.store.save(r);
      c.endRun();
      if (r.hostConfig.AutoRemove) this.autoRemove(c);
    });
  }

  /** Gives back what a run held: runc's state, the network plumbing, the rootfs mount. */
  private async releaseRun(c: Container): Promise<void> {
    // Independent of each other (the container's mount namespace keeps its own reference to the
    // rootfs): one after the other they cost a spawn each in series.
    await Promise.all([
      this.runtime.delete(c.id).catch((err) => this.engine.log.warn(`container ${c.id}: runtime delete: ${errorMessage(err)}`)),
      this.engine.network.disconnect(c.id).catch((err) => this.engine.log.warn(`container ${c.id}: network release: ${errorMessage(err)}`)),
      unmountRootfs(rootfsDirs(this.store.dir(c.id))).catch(() => {}),
    ]);
  }

  private scheduleRestart(c: Container, delayMs: number): void {
    clearTimeout(c.restartTimer);
    c.restartTimer = setTimeout(() => {
      c.restartTimer = undefined;
      void c.locked(async () => {
        if (this.closing || c.removed || !c.state.restarting) return;
        try {
          await this.run(c);
        } catch (err) {
          this.engine.log.error(`container ${c.id}: restart failed: ${errorMessage(err)}`);
          const finishedAt = new Date(c.state.finishedAt);
          setStopped(c.state, { exitCode: c.state.exitCode, finishedAt, oomKilled: c.state.oomKilled });
          await this.store.save(c.record).catch(() => {});
          c.endRun();
          if (c.record.hostConfig.AutoRemove) this.autoRemove(c);
        }
      });
    }, delayMs);
  }

  /** Removes an `--rm` container after its exit; no client needs to be connected. */
  private autoRemove(c: Container): void {
    setImmediate(() => {
      this.remove(c.id, { force: true, removeVolumes: true })
        .catch((err) => this.engine.log.warn(`container ${c.id}: auto-remove: ${errorMessage(err)}`));
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
    if (signal === SIGKILL) await waitWithTimeout((s) => c.whenNotRunning(s), 10_000);
  }

  private async sendSignal(c: Container, signal: number, ref: string): Promise<void> {
    await c.locked(async () => {
      if (!c.state.running) throw new ConflictError(`Cannot kill container: ${ref}: Container ${c.id} is not running`);
      if (signalCancelsRestart(signal, c.record.config.StopSignal)) c.backoff = { ...c.backoff, cancelled: true };
      c.record.hasBeenManuallyStopped = true;
      if (c.state.restarting) {
        // Nothing runs: cancelling the pending restart is the whole stop.
        clearTimeout(c.restartTimer);
        c.restartTimer = undefined;
        setStopped(c.state, { exitCode: c.state.exitCode, finishedAt: new Date(c.state.finishedAt), oomKilled: c.state.oomKilled });
        await this.store.save(c.record);
        c.endRun();
        if (c.record.hostConfig.AutoRemove) this.autoRemove(c);
        return;
      }
      await this.store.save(c.record);
      try {
        await this.runtime.kill(c.id, signal);
      } catch (err) {
        // The process may have ended in between; that is what was wanted.
        const st = await this.runtime.state(c.id).catch(() => undefined);
        if (st && st.status === 'running') throw new SystemError(`Cannot kill container ${c.id}: ${errorMessage(err)}`);
      }
    });
  }

  /** POST /containers/{id}/stop: stop signal, then SIGKILL after the timeout. NotModifiedError when stopped. */
  async stop(ref: string, opts: StopOptions = {}): Promise<void> {
    const c = this.get(ref);
    if (!c.state.running) throw new NotModifiedError('container already stopped');
    await this.stopContainer(c, ref, opts);
  }

  private async stopContainer(c: Container, ref: string, opts: StopOptions): Promise<void> {
    const signal = opts.signal ? parseSignal(opts.signal)
      : c.record.config.StopSignal ? safeSignal(c.record.config.StopSignal) ?? SIGTERM : SIGTERM;
    const timeout = opts.timeout ?? c.record.config.StopTimeout ?? 10;
    try {
      await this.sendSignal(c, signal, ref);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    const stopped = await waitWithTimeout((s) => c.whenNotRunning(s), timeout < 0 ? undefined : timeout * 1000);
    if (stopped) return;
    try {
      await this.sendSignal(c, SIGKILL, ref);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    await c.whenNotRunning();
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
  }

  // ---- wait ----

  /**
   * POST /containers/{id}/wait: resolves with the exit code when the condition holds. `onReady` is
   * called once the waiter is registered (the API then flushes its headers, as Docker does).
   */
  async wait(c: Container, condition: string, signal?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null } | undefined> {
    const done = condition === 'removed' ? c.whenRemoved(signal)
      : condition === 'next-exit' ? c.nextExit(signal)
        : c.whenNotRunning(signal);
    if (!(await done)) return undefined;
    return { StatusCode: c.state.exitCode, Error: c.state.error ? { Message: c.state.error } : null };
  }

  // ---- remove / rename ----

  /** DELETE /containers/{id}. A running container needs `force` (then it is killed first). */
  async remove(ref: string, opts: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> {
    const c = this.get(ref);
    if (c.state.removing) throw new ConflictError(`removal of container ${ref} is already in progress`);
    if (c.state.running) {
      if (!opts.force) {
        throw new ConflictError(`cannot remove container "${c.record.name}": container is running: stop the container before removing or force remove`);
      }
      try {
        await this.sendSignal(c, SIGKILL, ref);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
      await c.whenNotRunning();
    }
    await c.locked(async () => {
      if (c.removed) return;
      if (c.state.running) throw new ConflictError(`cannot remove container "${c.record.name}": container is running: stop the container before removing or force remove`);
      c.state.removing = true;
      try {
        clearTimeout(c.restartTimer);
        await this.runtime.delete(c.id).catch(() => {});
        await this.store.remove(c.id);
        await rm(this.bundleDir(c.id), { recursive: true, force: true });
        await this.engine.network.unregisterContainer(c.id).catch((err) => this.engine.log.warn(`container ${c.id}: network: ${errorMessage(err)}`));
        await releaseMounts(this.engine.volumes, c.id, c.record.mounts, Boolean(opts.removeVolumes));
      } catch (err) {
        c.state.removing = false;
        throw new SystemError(`unable to remove container ${c.id}: ${errorMessage(err)}`);
      }
      this.containers.delete(c.id);
      if (this.names.get(c.record.name) === c.id) this.names.delete(c.record.name);
      c.removed = true;
      c.emit('removed');
    });
    await this.engine.images.removeUnusedLayers().catch(() => {});
  }

  /**
   * POST /containers/prune: removes every container that is not running and matches the filters
   * (`until`, `label`, `label!`). Returns the IDs and the bytes their writable layers held.
   */
  async prune(filters: Map<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const until = filters.get('until')?.map((v) => parseFilterTime(v));
    const labels = filters.get('label') ?? [];
    const notLabels = filters.get('label!') ?? [];
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.all()) {
      if (c.state.running || c.state.removing) continue;
      const created = Date.parse(c.record.created);
      if (until && !until.every((t) => created < t)) continue;
      const l = c.record.config.Labels ?? {};
      if (!labels.every((f) => labelMatches(l, f)) || notLabels.some((f) => labelMatches(l, f))) continue;
      const size = await dirSize(rootfsDirs(this.store.dir(c.id)).upper);
      try {
        await this.remove(c.id, {});
      } catch (err) {
        this.engine.log.warn(`prune: container ${c.id}: ${errorMessage(err)}`);
        continue;
      }
      deleted.push(c.id);
      reclaimed += size;
    }
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
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
      const old = c.record.name;
      if (old === name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      const holder = this.names.get(name);
      if (holder) throw new ConflictError(`Error when allocating new name: ${nameConflict(name, holder).message}`);
      this.names.set(name, c.id);
      c.record.name = name;
      try {
        await this.store.save(c.record);
      } catch (err) {
        c.record.name = old;
        this.names.delete(name);
        throw err;
      }
      this.names.delete(old);
      await this.engine.network.renameContainer(c.id, name)
        .catch((err) => this.engine.log.warn(`container ${c.id}: network rename: ${errorMessage(err)}`));
    });
  }

  // ---- daemon start / stop ----

  /**
   * Brings records in line with what happened while no daemon watched: runs that still go are
   * followed again; runs that ended get their real exit code from conmon's exit file (255 when none
   * was left); then restart policies apply as on any exit, and `always` / `unless-stopped` (not
   * stopped by hand) containers are started, as dockerd does at boot. Leftovers of interrupted
   * starts (runc state of a never-started container) are cleaned.
   */
  private async reconcile(): Promise<void> {
    const toStart: Container[] = [];
    const mounted = await mountPoints();
    for (const c of this.containers.values()) {
      try {
        if (await this.reconcileOne(c, mounted)) toStart.push(c);
      } catch (err) {
        this.engine.log.error(`container ${c.id}: reconcile: ${errorMessage(err)}`);
      }
    }
    for (const c of toStart) {
      void c.locked(async () => {
        if (c.removed || c.state.running && !c.state.restarting) return;
        try {
          await this.run(c);
        } catch (err) {
          this.engine.log.error(`container ${c.id}: restart at daemon start failed: ${errorMessage(err)}`);
          if (c.state.restarting) {
            setStopped(c.state, { exitCode: c.state.exitCode, finishedAt: new Date(c.state.finishedAt), oomKilled: false });
            await this.store.save(c.record).catch(() => {});
          }
        }
      });
    }
  }

  /** Returns true when the container should be started now. */
  private async reconcileOne(c: Container, mounted: Set<string>): Promise<boolean> {
    const r = c.record;
    // The bundle dir exists from just before `runtime.create` until `runtime.delete`: without it runc
    // has nothing for this container, and one runc call per stopped container is saved at start.
    const mayHaveRuntime = r.state.running || (await stat(this.bundleDir(c.id)).then(() => true, () => false));
    const st = mayHaveRuntime ? await this.runtime.state(c.id).catch(() => undefined) : undefined;
    if (st && (st.status === 'running' || st.status === 'paused')) {
      // Still running. A record that does not say so is a start the crash cut short after `runc
      // start`: the process is adopted rather than killed.
      if (!r.state.running || r.state.restarting) {
        setRunning(r.state, st.pid, new Date());
        r.hasBeenStartedBefore = true;
      }
      r.state.pid = st.pid;
      await this.store.save(r);
      c.runId++;
      this.monitor(c, c.runId);
      return false;
    }
    if (r.state.running && !r.state.restarting) {
      const exit = (await this.runtime.readExit(c.id).catch(() => undefined))
        ?? { exitCode: 255, finishedAt: new Date(), oomKilled: false };
      await this.releaseRun(c);
      const decision = decideExit(lifecycleFacts(c), exit);
      c.backoff = decision.backoff;
      if (decision.action === 'restart') {
        setRestarting(r.state, exit);
        r.restartCount++;
        await this.store.save(r);
        return true;
      }
      setStopped(r.state, exit);
      await this.store.save(r);
      if (r.hostConfig.AutoRemove) this.autoRemove(c);
      return false;
    }
    // Not running by the record: whatever runc still knows of it is a start that a crash cut short.
    // If its process even ran and ended, that run is recorded with its exit code.
    if (st?.status === 'stopped') {
      const exit = await this.runtime.readExit(c.id).catch(() => undefined);
      if (exit && exit.finishedAt.getTime() > Date.parse(r.state.finishedAt)) {
        if (r.state.startedAt === ZERO_TIME) r.state.startedAt = exit.finishedAt.toISOString();
        setStopped(r.state, exit);
        r.hasBeenStartedBefore = true;
        await this.store.save(r);
      }
    }
    if (st) await this.releaseRun(c);
    else if (mounted.has(rootfsDirs(this.store.dir(c.id)).merged)) await unmountRootfs(rootfsDirs(this.store.dir(c.id))).catch(() => {});
    if (r.state.restarting) return true;
    if (r.hostConfig.AutoRemove && r.hasBeenStartedBefore) {
      this.autoRemove(c);
      return false;
    }
    return r.hasBeenStartedBefore && shouldRestart(r.hostConfig.RestartPolicy, r.state.exitCode, r.hasBeenManuallyStopped, r.restartCount);
  }

  /** Stops the manager's own work (watchers, timers) at daemon shutdown; containers keep running. */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const c of this.containers.values()) clearTimeout(c.restartTimer);
  }
}

function nameConflict(name: string, holder: string): ConflictError {
  return new ConflictError(`Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
}

/** The CLI keys the endpoint of `--network default` as "default": that is the default bridge. */
function endpointsByNetwork(raw: Record<string, unknown> | null | undefined): Record<string, never> {
  const out: Record<string, never> = {};
  for (const [key, value] of Object.entries(raw ?? {})) out[key === 'default' ? 'bridge' : key] = value as never;
  return out;
}

function safeSignal(name: string): number | undefined {
  try {
    return parseSignal(name);
  } catch {
    return undefined;
  }
}

/** Runs a wait that takes an AbortSignal; false when `ms` passed first. */
async function waitWithTimeout(wait: (signal: AbortSignal) => Promise<boolean>, ms: number | undefined): Promise<boolean> {
  const ac = new AbortController();
  const timer = ms === undefined ? undefined : setTimeout(() => ac.abort(), ms);
  try {
    return await wait(ac.signal);
  } finally {
    clearTimeout(timer);
  }
}

function etcPathsOf(mounts: { destination: string; source: string }[]): ContainerRecord['etcPaths'] {
  const find = (d: string) => mounts.find((m) => m.destination === d)?.source ?? '';
  return { resolvConf: find('/etc/resolv.conf'), hostname: find('/etc/hostname'), hosts: find('/etc/hosts') };
}

/** HostConfig.ConsoleSize [height, width] (the CLI sends its terminal's), when set. */
function consoleSizeOf(size: unknown): RuntimeSpec['consoleSize'] {
  if (!Array.isArray(size) || size.length !== 2) return undefined;
  const [height, width] = size.map(Number);
  return height! > 0 && width! > 0 && height! <= 0xffff && width! <= 0xffff ? { height: height!, width: width! } : undefined;
}

function lifecycleFacts(c: Container): LifecycleFacts {
  const r = c.record;
  return {
    policy: r.hostConfig.RestartPolicy, autoRemove: Boolean(r.hostConfig.AutoRemove), manuallyStopped: r.hasBeenManuallyStopped,
    restartCount: r.restartCount, hasBeenStartedBefore: r.hasBeenStartedBefore, startedAt: r.state.startedAt, backoff: c.backoff,
  };
}
