import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, statfs, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, SystemError, errorMessage, orIfMissing } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { spawnConmon } from './conmon-spawn.js';
import { ExitWatcher } from './exit-watcher.js';
import { buildOciSpec } from './oci-spec.js';
import { logWithheldCapabilities, readSecurityHost } from './oci-security.js';
import { ociConfigJson, renderResources, type ContainerResources } from './oci-resources.js';
import { normalizeSignal } from './signal-name.js';
import { Runc, RuncFailure, findExecutable } from './runc.js';
import { OciRuntimes, type OciRuntime } from './oci-runtimes.js';
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
    // A previous run of the same container may have left its exit record: it must not answer waitExit.
    await rm(this.exitFile(id), { force: true });
    await rm(persist, { recursive: true, force: true });
    await Promise.all([mkdir(persist, { recursive: true }), mkdir(bundleDir, { recursive: true })]);
    await Promise.all([
      writeFile(join(persist, 'bundle'), bundleDir),
      OciRuntimes.recordChoice(this.execRoot, id, oci),
      writeFile(join(bundleDir, 'config.json'), ociConfigJson(buildOciSpec(spec, { cgroupV2, cgroupParent: this.cgroupParent, security }))),
      // conmon creates these with mkfifo/bind, which fail when an earlier run left them.
      ...CONMON_BUNDLE_FILES.map((f) => rm(join(bundleDir, f), { force: true })),
    ]);
    try {
      const conmon = this.conmonPathOpt ??= findExecutable('conmon');
      const pid = await spawnConmon(conmon, this.conmonArgs(spec, oci), {
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
    const signalName = normalizeSignal(signal);
    await (await this.runc(id)).run(['kill', id, signalName]);
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
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const parsed = JSON.parse(out) as { status: RuntimeState['status']; pid: number };
    return { status: parsed.status, pid: parsed.pid };
  }

  async waitExit(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    checkId(id);
    const recorded = await this.readExit(id);
    if (recorded) return recorded;
    if (!(await exists(this.persistDir(id)))) throw new NotFoundError(`No such container: ${id}`);
    if ((await this.conmonPid(id)) === undefined) {
      // No monitor: it either just wrote the exit file and ended, or was killed and never will.
      const late = await this.readExit(id);
      if (late) return late;
      if (await exists(join(this.persistDir(id), 'conmon.pid'))) {
        throw new SystemError(`the monitor (conmon) of container ${id} is gone: its exit code is unknown`);
      }
    }
    return this.exits.wait(id, signal);
  }

  async readExit(id: string): Promise<ExitInfo | undefined> {
    checkId(id);
    const file = this.exitFile(id);
    let text: string;
    let finishedAt: Date;
    try {
      [text, finishedAt] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mtime)]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const exitCode = Number.parseInt(text.trim(), 10);
    if (!Number.isFinite(exitCode)) throw new SystemError(`malformed exit file ${file}: ${JSON.stringify(text)}`);
    const oomKilled = await exists(join(this.persistDir(id), 'oom'));
    return { exitCode, finishedAt, oomKilled };
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    const persist = this.persistDir(id);
    const bundleDir = await orIfMissing(readFile(join(persist, 'bundle'), 'utf8'), undefined);
    // runc keeps a container's state in <root>/<id>: without it there is nothing for runc to delete,
    // and callers that delete before each create save a spawn.
    if (await exists(join(this.runcRoot, id))) {
      // A failure keeps the persist dir (with the runtime's choice): a later delete finishes the job.
      try {
        await (await this.runc(id)).run(['delete', '--force', id]);
      } catch (err) {
        if (err instanceof RuncFailure) throw new SystemError(err.dockerMessage, { cause: err });
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    // conmon is still recording the exit of a container runc just killed: wait, so that nothing is
    // written after the cleanup below.
    await this.waitConmonDone(id);
    await rm(this.exitFile(id), { force: true });
    await rm(persist, { recursive: true, force: true });
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
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

  private conmonArgs(spec: RuntimeSpec, oci: OciRuntime): string[] {
    const persist = this.persistDir(spec.id);
    const args = [
      '--api-version', '1',
      '-c', spec.id, '-u', spec.id, '-n', spec.id,
      '-r', oci.path,
      '-b', spec.bundleDir,
      '-p', join(persist, 'pid'),
      '--conmon-pidfile', join(persist, 'conmon.pid'),
      '--exit-dir', this.exitDir,
      '--persist-dir', persist,
      '--socket-dir-path', this.socketDir,
      // The attach socket goes to <bundle>/attach whatever the path length (no sun_path truncation).
      '--full-attach',
      '-l', `k8s-file:${spec.logPath}`,
      '--log-level', 'info',
      // conmon fsyncs the log at exit before it writes the exit file, which delays every exit report;
      // Docker's log drivers do not fsync either.
      '--no-sync-log',
      // The runtime's own options (daemon.json runtimeArgs) come first, as dockerd's wrapper puts them.
      ...oci.args.flatMap((a) => ['--runtime-arg', a]),
      '--runtime-arg', '--root', '--runtime-arg', this.runcRoot,
      // runc's stderr is the container's: its warnings go to a file of their own instead. With a log
      // file runc still prints a fatal error on stderr, which conmon relays on the sync pipe.
      '--runtime-arg', '--log-format=json', '--runtime-arg', `--log=${join(persist, 'runc.log')}`,
    ];
    if (spec.terminal) args.push('-t');
    if (spec.openStdin) {
      args.push('-i');
      if (!spec.stdinOnce) args.push('--leave-stdin-open');
    }
    return args;
  }

  /**
   * Returns once the container's conmon is gone or has written the exit file (its last write to our
   * directories). A conmon that was killed never writes it, hence the liveness checks.
   */
  private async waitConmonDone(id: string): Promise<void> {
    const pid = await this.conmonPid(id);
    if (pid === undefined) return;
    const abort = new AbortController();
    const recorded = this.exits.wait(id, abort.signal).catch(() => undefined);
    const deadline = Date.now() + DELETE_WAIT_MS;
    try {
      for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
        const done = await Promise.race([recorded.then(() => true), sleep(delay).then(() => false)]);
        if (done || !isConmonOf(pid, id)) return;
        if (Date.now() > deadline) {
          this.log.warn(`conmon ${pid} of container ${id} did not record the exit in ${DELETE_WAIT_MS} ms`);
          return;
        }
      }
    } finally {
      abort.abort();
    }
  }

  private async conmonPid(id: string): Promise<number | undefined> {
    const text = await orIfMissing(readFile(join(this.persistDir(id), 'conmon.pid'), 'utf8'), undefined);
    const pid = text ? Number.parseInt(text, 10) : NaN;
    return Number.isInteger(pid) && pid > 0 && isConmonOf(pid, id) ? pid : undefined;
  }
}

/** True when `pid` is alive and is the conmon of container `id` (not a recycled pid). */
function isConmonOf(pid: number, id: string): boolean {
  const cmdline = readFileSyncSafe(`/proc/${pid}/cmdline`);
  if (!cmdline) return false; // gone, or a zombie (whose cmdline reads empty)
  const argv = cmdline.split('\0');
  return argv[0]!.endsWith('conmon') && argv.includes(id) && !isZombie(pid);
}

function readFileSyncSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  if (!stat) return true;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`invalid container id: ${JSON.stringify(id)}`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
