import { allOrFirstError } from '../../lib/all-settled.js';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import { bestEffort } from '../../lib/best-effort.js';
import type { RuntimeSpec } from '../runtime/runtime.js';
import { startFailureExitCode } from '../runtime/start-failure.js';
import type { PreparedNetwork } from '../network/network-manager.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-roles.js';
import type { ContainerTransitions } from './container-transitions.js';
import type { ContainerRecord } from './container-types.js';
import { runtimeEnv } from './image-merge.js';
import { runtimeMounts, sortParentsFirst, tmpfsFlagMounts } from './mounts.js';
import { rootfsDirs } from './rootfs.js';
import { runtimeSecurity } from './security-options.js';
import { isolationFor, releaseIsolation, type ContainerLookup, type IsolationDeps } from './namespace-options.js';
import { resolveUser, type ResolvedUser } from './user-lookup.js';
import { hostResourceFacts } from './host-resources.js';
import { effectiveUlimits, runtimeResources } from './resource-options.js';
import { ensureWorkingDir } from './working-dir.js';
import { usernsOf } from './userns-options.js';
import { prepareRotatedLog, rotationPolicy } from './log-rotation.js';
import type { LogConfig } from './log-drivers.js';

/**
 * One run of a container: everything a run takes (rootfs mount, network plumbing, the runtime's
 * container) is taken in `run` and given back in `releaseRun`, or given back at once when the
 * start fails.
 */
export class ContainerRunner {
  constructor(
    private readonly ctx: ContainerContext, private readonly transitions: ContainerTransitions,
    /** Finds the containers whose namespaces a container joins (--pid, --ipc container:X). */
    private readonly lookup: ContainerLookup,
  ) {}

  /**
   * Starts one run (lock held): rootfs, user, working dir, network, mounts, then the runtime's create,
   * network plumbing into the new namespace, the runtime's start. On failure everything taken is
   * given back and the error is recorded in State.Error with Docker's exit code (127 command not
   * found, 126 not runnable, 128 otherwise); a failure of the command is the caller's
   * (InvalidArgumentError), others keep their kind.
   */
  async run(c: Container): Promise<void> {
    const { id } = c.record;
    const { ctx } = this;
    const dirs = rootfsDirs(ctx.store.dir(id));
    let created = false;
    let networked = false;
    try {
      // The log options' values are checked at start, as dockerd checks them (create checks the names).
      const rotation = rotationPolicy(c.record.hostConfig.LogConfig as LogConfig);
      const cwd = c.record.config.WorkingDir || '/';
      // Three independent preparations at once: the rootfs (and what is read from it), the network
      // namespace and /etc files, and the runtime state an earlier run may have left.
      const rootfsReady = (async () => {
        // Asked again at each start: the image store may lay out its layer links differently by now.
        c.record.lowerDirs = await ctx.images.lowerDirs(c.record.image)
          .catch((err) => {
            ctx.log.warn(`container ${id}: image layers: ${errorMessage(err)}; using the recorded ones`);
            return c.record.lowerDirs;
          });
        await ctx.rootfs.mount(dirs, c.record.lowerDirs);
        const user = await resolveUser(dirs.merged, c.record.config.User, c.record.hostConfig.GroupAdd ?? []);
        await ensureWorkingDir(dirs.merged, cwd, this.ctx.idMapping);
        return user;
      })();
      // Networking's seam: it decides the namespace (new, host, or another container's) and /etc files.
      const netReady = ctx.network.prepare(id).then((prepared) => {
        networked = true;
        return prepared;
      });
      const earlierRunCleared = bestEffort(ctx.log, `container ${id}: runtime state of an earlier run`, () => ctx.runtime.delete(id));
      const [user, net] = await allOrFirstError([rootfsReady, netReady, earlierRunCleared]);
      const spec = await this.runtimeSpec(c, dirs.merged, user, cwd, net);
      if (rotation) {
        await prepareRotatedLog(spec.logPath, rotation);
        spec.logSizeMax = rotation.maxSize;
      }
      const { pid } = await ctx.runtime.create(spec);
      created = true;
      await ctx.network.connect(id, pid);
      c.runId++;
      // Attach streams waiting for this run read the log from this time on.
      c.emit('start', BigInt(Date.now() - 1) * 1_000_000n);
      await this.transitions.started(c, pid, () => ctx.runtime.start(id));
    } catch (err) {
      if (created) await bestEffort(ctx.log, `container ${id}: undo runtime create`, () => ctx.runtime.delete(id));
      if (networked) await bestEffort(ctx.log, `container ${id}: undo network prepare`, () => ctx.network.disconnect(id));
      await bestEffort(ctx.log, `container ${id}: undo rootfs mount`, () => ctx.rootfs.unmount(dirs));
      await bestEffort(ctx.log, `container ${id}: undo shm mount`, () => releaseIsolation(c.record, this.isolationDeps()));
      const message = errorMessage(err);
      const exitCode = startFailureExitCode(err);
      await this.transitions.startFailed(c, message, exitCode);
      if (exitCode !== 128) throw new InvalidArgumentError(message);
      throw err;
    }
  }

  /** Gives back what a run held: the runtime's state, the network plumbing, the rootfs mount. */
  async releaseRun(c: Container): Promise<void> {
    const { ctx } = this;
    // Independent of each other (the container's mount namespace keeps its own reference to the
    // rootfs): one after the other they cost a spawn each in series.
    await Promise.all([
      bestEffort(ctx.log, `container ${c.id}: runtime delete`, () => ctx.runtime.delete(c.id)),
      bestEffort(ctx.log, `container ${c.id}: network release`, () => ctx.network.disconnect(c.id)),
      bestEffort(ctx.log, `container ${c.id}: rootfs unmount`, () => ctx.rootfs.unmount(rootfsDirs(ctx.store.dir(c.id)))),
      bestEffort(ctx.log, `container ${c.id}: shm unmount`, () => releaseIsolation(c.record, this.isolationDeps())),
    ]);
  }

  private isolationDeps(): IsolationDeps {
    return { lookup: this.lookup, containerDir: (id) => this.ctx.store.dir(id), defaultInit: this.ctx.defaultInit ?? false, idMapping: this.ctx.idMapping };
  }

  /** The runtime's view of the run. */
  private async runtimeSpec(c: Container, rootfs: string, user: ResolvedUser, cwd: string, net: PreparedNetwork): Promise<RuntimeSpec> {
    const { id, config, hostConfig } = c.record;
    c.record.etcPaths = etcPathsOf(net.mounts);
    const mounts = sortParentsFirst([
      ...net.mounts,
      ...(await runtimeMounts(this.ctx.volumes, c.record.mounts, rootfs, usernsOf(hostConfig, this.ctx.idMapping))),
      ...tmpfsFlagMounts(hostConfig.Tmpfs),
    ]);
    return {
      id, bundleDir: this.ctx.bundleDir(id), rootfs, readonlyRootfs: hostConfig.ReadonlyRootfs,
      args: [c.record.path, ...c.record.args], env: runtimeEnv(config, net.hostname, net.env), cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids }, hostname: net.hostname,
      ...(config.Domainname ? { domainname: config.Domainname } : {}),
      terminal: config.Tty, openStdin: config.OpenStdin, mounts, network: net.network,
      // Docker closes stdin when the (first) client's input ends only without a TTY.
      stdinOnce: config.StdinOnce && !config.Tty, consoleSize: consoleSizeOf(hostConfig.ConsoleSize),
      resources: await runtimeResources(hostConfig),
      rlimits: effectiveUlimits(hostConfig.Ulimits, this.ctx.defaultUlimits, hostResourceFacts()),
      security: runtimeSecurity(hostConfig),
      isolation: await isolationFor(c.record, this.isolationDeps()),
      logPath: c.record.logPath,
      ...(typeof hostConfig.Runtime === 'string' && hostConfig.Runtime ? { runtime: hostConfig.Runtime } : {}),
    };
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
