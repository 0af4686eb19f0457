import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, SystemError, errorMessage, orIfMissing } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { conmonArgs, spawnConmon } from './conmon-spawn.js';
import { ExitWatcher } from './exit-watcher.js';
import { findContainerProcess, removeCgroups, settleLostMonitor, signalDirectly, type RuntimeFiles } from './lost-monitor.js';
import { MONITOR_POLL_MS, MonitorWatch, identify, isConmonOf, type ProcessIdentity } from './monitor-watch.js';
import { pidfdUnavailable } from './pidfd-watch.js';
import { buildOciSpec } from './oci-spec.js';
import { logWithheldCapabilities, readSecurityHost } from './oci-security.js';
import { ociConfigJson, renderResources, type ContainerResources } from './oci-resources.js';
import { normalizeSignal } from './signal-name.js';
import { Runc, RuncFailure, findExecutable } from './runc.js';
import { OciRuntimes } from './oci-runtimes.js';
import type { ContainerRuntime, ExitInfo, RuntimeSpec, RuntimeState } from './runtime.js';
import { ContainerStartError, RuntimeCreateError } from './start-failure.js';

export { RuntimeCreateError };

export interface ConmonRuntimeOptions {
  /** The daemon's exec root: all runtime state lives under it. */
  execRoot: string;
  log: Logger;
  /** The OCI runtimes a container may choose (RuntimeSpec.runtime); default: runc only. */
  runtimes?: OciRuntimes;
  /** conmon binary (default: `conmon` found on PATH). */
  conmonPath?: string;
  /** Cgroup under which each container gets `<parent>/<id>` (default /berth). */
  cgroupParent?: string;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;
/** conmon 2.1's files in the bundle: attach socket, terminal control fifo, window size fifo. */
const CONMON_BUNDLE_FILES = ['attach', 'ctl', 'winsz'];
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** How long delete() waits for conmon to record the exit of a container it killed. */
const DELETE_WAIT_MS = 10_000;

/**
 * Runs containers with runc, each supervised by its own conmon (the design of Podman and CRI-O).
 *
 * Layout under the exec root:
 *   runc/           runc's state (--root)
 *   conmon/         conmon's --socket-dir-path (must exist before conmon starts)
 *   exits/<id>      exit code, written by conmon when the container ends (mtime = finish time)
 *   persist/<id>/   conmon's --persist-dir (`exit`, `oom`), the container pidfile `pid`, `conmon.pid`,
 *                   and `bundle` (the bundle path, so delete() finds it from the id alone)
 *
 * conmon is started in its own session and double-forks, so containers outlive the daemon; create()
 * returns when conmon reports on the sync pipe that `runc create` succeeded (or why it failed).
 */
export class ConmonRuntime implements ContainerRuntime {
  readonly runcRoot: string;
  readonly socketDir: string;
  readonly exitDir: string;
  readonly persistRoot: string;
  private readonly log: Logger;
  private readonly cgroupParent: string;
  private readonly execRoot: string;
  private readonly runtimes: OciRuntimes;
  private conmonPathOpt?: string;
  private prepared?: Promise<{ cgroupV2: boolean }>;
  private readonly exits: ExitWatcher<ExitInfo>;
  /** Notices a conmon that dies (killed, crashed) without writing the exit file. */
  private readonly monitors = new MonitorWatch({ warn: (m) => this.log.warn(m) });
  /** Exits being recorded for monitors that died, so concurrent waiters record one. */
  private readonly settling = new Map<string, Promise<ExitInfo>>();
  private readonly files: RuntimeFiles;

  constructor(options: ConmonRuntimeOptions) {
    this.runcRoot = join(options.execRoot, 'runc');
    this.socketDir = join(options.execRoot, 'conmon');
    this.exitDir = join(options.execRoot, 'exits');
    this.persistRoot = join(options.execRoot, 'persist');
    this.log = options.log;
    this.cgroupParent = options.cgroupParent ?? '/berth';
    this.execRoot = options.execRoot;
    this.runtimes = options.runtimes ?? new OciRuntimes();
    this.conmonPathOpt = options.conmonPath;
    this.exits = new ExitWatcher(this.exitDir, (id) => this.readExit(id), this.log);
    this.files = {
      runcRoot: this.runcRoot, cgroupParent: this.cgroupParent,
      persistDir: (id) => this.persistDir(id), exitFile: (id) => this.exitFile(id),
    };
  }

  /** Path of conmon's attach socket (SOCK_SEQPACKET; first byte of each packet names the stream). */
  attachSocketPath(bundleDir: string): string {
    return join(bundleDir, 'attach');
  }

  /** Path of conmon's control fifo: write `1 <rows> <cols>\n` to resize the terminal. */
  controlFifoPath(bundleDir: string): string {
    return join(bundleDir, 'ctl');
  }

  async create(spec: RuntimeSpec): Promise<{ pid: number }> {
    checkId(spec.id);
    const { cgroupV2 } = await this.prepare();
    const { id, bundleDir } = spec;
    const oci = this.runtimes.resolve(spec.runtime);
    const security = await readSecurityHost(spec.security?.privileged ?? false);
    logWithheldCapabilities(this.log, `container ${id}`, spec.security, security);
    const persist = this.persistDir(id);
    const config = ociConfigJson(buildOciSpec(spec, { cgroupV2, cgroupParent: this.cgroupParent, security }));
    await Promise.all([
      // A previous run of the same container may have left its exit record: it must not answer waitExit.
      rm(this.exitFile(id), { force: true }),
      rm(persist, { recursive: true, force: true }).then(() => mkdir(persist, { recursive: true })).then(() => Promise.all([
        writeFile(join(persist, 'bundle'), bundleDir), OciRuntimes.recordChoice(this.execRoot, id, oci),
      ])),
      mkdir(bundleDir, { recursive: true, mode: 0o700 }).then(() => Promise.all([
        writeFile(join(bundleDir, 'config.json'), config),
        // conmon creates these with mkfifo/bind, which fail when an earlier run left them.
        ...CONMON_BUNDLE_FILES.map((f) => rm(join(bundleDir, f), { force: true })),
      ])),
    ]);
    try {
      const conmon = this.conmonPathOpt ??= findExecutable('conmon');
      const pid = await spawnConmon(conmon, conmonArgs(spec, oci, { persistDir: this.persistDir(spec.id), exitDir: this.exitDir, socketDir: this.socketDir, runcRoot: this.runcRoot }), {
        cwd: bundleDir,
        runtimeError: (message) => new RuntimeCreateError(message || 'runc create failed'),
      });
      return { pid };
    } catch (err) {
      await this.delete(id).catch((e) => this.log.warn(`container ${id}: cleanup after failed create: ${errorMessage(e)}`));
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    checkId(id);
    const runc = await this.runc(id);
    try {
      await runc.run(['start', id]);
    } catch (err) {
      // runc's words on why the process could not start, in containerd's wording: classified once, here.
      if (err instanceof RuncFailure) throw new ContainerStartError(err.dockerMessage);
      if (err instanceof SystemError) throw new ContainerStartError(err.message);
      throw err;
    }
  }

  async kill(id: string, signal: string | number): Promise<void> {
    checkId(id);
    const name = normalizeSignal(signal);
    try {
      await (await this.runc(id)).run(['kill', id, name]);
    } catch (err) {
      // runc lost the container (its state dir is gone) while conmon still runs it: the process is
      // signalled directly, so that it can still be stopped and its exit recorded by conmon.
      if (!(err instanceof NotFoundError) || (await this.monitorOf(id)) === undefined) throw err;
      const sent = await signalDirectly(this.files, id, /^\d+$/.test(name) ? Number(name) : name as NodeJS.Signals);
      if (!sent) throw err;
      this.log.warn(`container ${id}: runc has no state for it; ${name} sent to its process directly`);
    }
  }

  async pause(id: string): Promise<void> {
    checkId(id);
    await (await this.runc(id)).run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    checkId(id);
    await (await this.runc(id)).run(['resume', id]);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    checkId(id);
    let out: string;
    try {
      out = await (await this.runc(id)).run(['state', id]);
    } catch (err) {
      if (err instanceof NotFoundError) return this.stateWithoutRunc(id);
      throw err;
    }
    const parsed = JSON.parse(out) as { status: RuntimeState['status']; pid: number };
    return { status: parsed.status, pid: parsed.pid };
  }

  async states(): Promise<Map<string, RuntimeState>> {
    await this.prepare();
    const stock = this.runtimes.resolve();
    const out = await new Runc(stock.path, this.runcRoot, stock.args).run(['list', '--format', 'json']);
    const listed = (JSON.parse(out) ?? []) as { id: string; status: RuntimeState['status']; pid: number }[];
    const all = new Map<string, RuntimeState>();
    await Promise.all(listed.map(async ({ id, status, pid }) => {
      // Only the containers whose run chose the default runtime: another one's state is its own to tell.
      if (ID_PATTERN.test(id) && (await this.runtimes.ofContainer(this.execRoot, id)).path === stock.path) all.set(id, { status, pid });
    }));
    return all;
  }

  async waitExit(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    checkId(id);
    const recorded = await this.readExit(id);
    if (recorded) return recorded;
    if (!exists(this.persistDir(id))) throw new NotFoundError(`No such container: ${id}`);
    const monitor = await this.monitorOf(id);
    if (monitor === undefined) {
      // No monitor: it either just wrote the exit file and ended, or died and never will.
      const late = await this.readExit(id);
      if (late) return late;
      if (exists(join(this.persistDir(id), 'conmon.pid'))) return this.settleLost(id);
      return this.exits.wait(id, signal);
    }
    // The exit file, or the monitor's death (noticed within MONITOR_POLL_MS), whichever comes first.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([
        this.exits.wait(id, stop.signal),
        this.monitors.whenGone(monitor, stop.signal).then(async () => (await this.readExit(id)) ?? this.settleLost(id)),
      ]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  /** Records the exit of a container whose conmon died without recording one (lost-monitor.ts). */
  private settleLost(id: string): Promise<ExitInfo> {
    let settling = this.settling.get(id);
    if (!settling) {
      settling = this.runc(id)
        .then((runc) => settleLostMonitor(this.files, runc, this.log, id))
        .finally(() => this.settling.delete(id));
      this.settling.set(id, settling);
    }
    return settling;
  }

  /**
   * runc has no state for the container: it is still running when its conmon lives and so does its
   * process (runc's state dir was removed under it), else unknown to the runtime.
   */
  private async stateWithoutRunc(id: string): Promise<RuntimeState | undefined> {
    if ((await this.monitorOf(id)) === undefined) return undefined;
    const found = await findContainerProcess(this.files, id);
    return found && identify(found.pid) ? { status: 'running', pid: found.pid } : undefined;
  }

  async readExit(id: string): Promise<ExitInfo | undefined> {
    checkId(id);
    const file = this.exitFile(id);
    if (!exists(file)) return undefined;
    const found = await orIfMissing(Promise.all([readFile(file, 'utf8'), stat(file)]), undefined);
    if (!found) return undefined;
    const [text, { mtime: finishedAt }] = found;
    const exitCode = Number.parseInt(text.trim(), 10);
    if (!Number.isFinite(exitCode)) throw new SystemError(`malformed exit file ${file}: ${JSON.stringify(text)}`);
    const oomKilled = exists(join(this.persistDir(id), 'oom'));
    return { exitCode, finishedAt, oomKilled };
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    const persist = this.persistDir(id);
    // runc keeps a container's state in <root>/<id>: without it there is nothing for runc to delete.
    const runcKnows = exists(join(this.runcRoot, id));
    // The persist dir goes last: without it and runc's state, an earlier delete finished (or no run
    // began), and the delete before each create or at removal costs no spawn and no cgroup look.
    if (!runcKnows && !exists(persist)) return;
    const bundleDir = await orIfMissing(readFile(join(persist, 'bundle'), 'utf8'), undefined);
    if (runcKnows) {
      // A failure keeps the persist dir (with the runtime's choice): a later delete finishes the job.
      try {
        await (await this.runc(id)).run(['delete', '--force', id]);
      } catch (err) {
        if (err instanceof RuncFailure) throw new SystemError(err.dockerMessage, { cause: err });
        if (!(err instanceof NotFoundError)) throw err;
      }
    } else if ((await this.monitorOf(id)) !== undefined) {
      // runc lost the container while conmon still runs it: end the process, as `delete --force` would.
      await signalDirectly(this.files, id, 'SIGKILL');
    }
    // conmon is still recording the exit of a container runc just killed: wait, so that nothing is
    // written after the cleanup below.
    await this.waitConmonDone(id);
    if (!runcKnows) await removeCgroups(this.files, this.log, id);
    await Promise.all([rm(this.exitFile(id), { force: true }), bundleDir && rm(bundleDir, { recursive: true, force: true })]);
    await rm(persist, { recursive: true, force: true });
  }

  async update(id: string, resources: ContainerResources): Promise<void> {
    checkId(id);
    const { cgroupV2 } = await this.prepare();
    // runc reads the new limits (OCI LinuxResources) from a file; the persist dir is the container's own.
    const file = join(this.persistDir(id), 'resources.json');
    await writeFile(file, JSON.stringify(renderResources(resources, cgroupV2, 'update'))).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new NotFoundError(`No such container: ${id}`) : err;
    });
    try {
      await (await this.runc(id)).run(['update', '--resources', file, id]);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Stops waiting (daemon shutdown): pending waitExit calls reject; containers keep running. */
  close(): void {
    this.exits.close(new SystemError('container runtime closed'));
  }

  private exitFile(id: string): string {
    return join(this.exitDir, id);
  }

  private persistDir(id: string): string {
    return join(this.persistRoot, id);
  }

  /** The runtime binary of container `id`'s current run (runc unless it chose another). */
  private async runc(id: string): Promise<Runc> {
    const oci = await this.runtimes.ofContainer(this.execRoot, id);
    return new Runc(oci.path, this.runcRoot, oci.args);
  }

  private prepare(): Promise<{ cgroupV2: boolean }> {
    this.prepared ??= (async () => {
      // conmon exits silently when its socket dir is missing: create every directory up front.
      for (const dir of [this.runcRoot, this.socketDir, this.exitDir, this.persistRoot]) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
      }
      const noPidfd = pidfdUnavailable();
      if (noPidfd) this.log.warn(`a dead conmon is noticed by reading /proc every ${MONITOR_POLL_MS} ms: ${noPidfd}`);
      // No cgroup filesystem to look at: the v1 layout, which runc also falls back to.
      const fs = await statfs('/sys/fs/cgroup').catch((err) => {
        this.log.warn(`statfs /sys/fs/cgroup: ${errorMessage(err)}`);
        return undefined;
      });
      return { cgroupV2: fs?.type === CGROUP2_SUPER_MAGIC };
    })();
    this.prepared.catch(() => { this.prepared = undefined; });
    return this.prepared;
  }

  /**
   * Returns once the container's conmon is gone or has written the exit file (its last write to our
   * directories). A conmon that was killed never writes it, hence the liveness checks.
   */
  private async waitConmonDone(id: string): Promise<void> {
    const pid = (await this.monitorOf(id))?.pid;
    if (pid === undefined) return;
    const abort = new AbortController();
    const recorded = this.exits.wait(id, abort.signal).catch(() => undefined);
    const deadline = Date.now() + DELETE_WAIT_MS;
    try {
      for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
        const done = await Promise.race([recorded.then(() => true), sleep(delay).then(() => false)]);
        if (done || !isConmonOf(pid, id)) return;
        if (Date.now() > deadline) {
          // A monitor that neither records the exit nor ends (stopped, stuck) is ended: the container
          // is being deleted, and nothing may hold its files afterwards.
          this.log.warn(`conmon ${pid} of container ${id} did not record the exit in ${DELETE_WAIT_MS} ms: killing it`);
          if (isConmonOf(pid, id)) process.kill(pid, 'SIGKILL');
          return;
        }
      }
    } finally {
      abort.abort();
    }
  }

  /** The container's live conmon, named with its start time; undefined when it is gone. */
  private async monitorOf(id: string): Promise<ProcessIdentity | undefined> {
    const text = await orIfMissing(readFile(join(this.persistDir(id), 'conmon.pid'), 'utf8'), undefined);
    const pid = text ? Number.parseInt(text, 10) : NaN;
    if (!(Number.isInteger(pid) && pid > 0 && isConmonOf(pid, id))) return undefined;
    return identify(pid);
  }
}

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`invalid container id: ${JSON.stringify(id)}`);
}

/**
 * Whether a path under the exec root (the runtime's state, on tmpfs under /run by default) exists:
 * asked synchronously, it answers in microseconds, without a trip through the thread pool or the
 * error object that a failed asynchronous look costs.
 */
function exists(path: string): boolean {
  return existsSync(path);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
