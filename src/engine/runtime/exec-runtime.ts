import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemError, errorMessage, orIfMissing } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { spawnConmon } from './conmon-spawn.js';
import { ExitWatcher } from './exit-watcher.js';
import { DEFAULT_CAPABILITIES, capabilitiesFor, logWithheldCapabilities, readSecurityHost } from './oci-security.js';
import { OciRuntimes, findExecutable } from './oci-runtimes.js';
import { endOrphan, lostMonitorExitCode, processFromPidFile } from './lost-monitor.js';
import { MonitorWatch, identify, isConmonOf } from './monitor-watch.js';

/**
 * Processes run inside a running container (`docker exec`), each under a conmon of its own started
 * with `--exec` (as Podman does): conmon runs `runc exec --detach --process <spec>`, holds the process's
 * stdio (a terminal when asked), writes its output to a k8s-file log, offers an attach socket for
 * input and a control fifo for resizing, and records the exit code. Like containers, exec processes
 * do not depend on the daemon while they run.
 *
 * Each exec has one directory, `<exec-root>/execs/<exec id>/`: process.json, log, attach, ctl, pid, and
 * `exits/<container id>` (conmon names the exit file after the container, hence a directory per exec).
 */
export interface ExecProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  /** The container's capabilities (its config.json's); left out, Docker's default set. */
  capabilities?: string[];
  /** `docker exec --privileged`: every capability the daemon holds, whatever the container's. */
  privileged?: boolean;
  /** The container's no_new_privs. */
  noNewPrivileges?: boolean;
}

export interface ExecRuntimeOptions {
  execRoot: string;
  log: Logger;
  /** Where each container's runtime is found (the one its run was created with); default: runc only. */
  runtimes?: OciRuntimes;
  conmonPath?: string;
}

/** runc could not start the process (missing binary, bad cwd...): Docker's wording, exit code 126. */
export class ExecStartError extends SystemError {
  constructor(readonly runtimeMessage: string) {
    super(`OCI runtime exec failed: ${runtimeMessage}: unknown`);
  }
}

export class ExecRuntime {
  private readonly root: string;
  private readonly runcRoot: string;
  private readonly log: Logger;
  private readonly execRoot: string;
  private readonly runtimes: OciRuntimes;
  private conmonPath?: string;
  private readonly monitors = new MonitorWatch({ warn: (m) => this.log.warn(m) });

  constructor(options: ExecRuntimeOptions) {
    this.root = join(options.execRoot, 'execs');
    this.runcRoot = join(options.execRoot, 'runc');
    this.log = options.log;
    this.execRoot = options.execRoot;
    this.runtimes = options.runtimes ?? new OciRuntimes();
    this.conmonPath = options.conmonPath;
  }

  dir(execId: string): string {
    return join(this.root, execId);
  }

  logPath(execId: string): string {
    return join(this.dir(execId), 'log');
  }

  attachSocketPath(execId: string): string {
    return join(this.dir(execId), 'attach');
  }

  /**
   * Starts the process in container `containerId` and resolves with its pid once runc has started it,
   * or rejects with ExecStartError carrying runc's reason.
   */
  async start(containerId: string, execId: string, process: ExecProcess, openStdin: boolean): Promise<{ pid: number }> {
    const dir = this.dir(execId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'exits'), { recursive: true, mode: 0o700 });
    let caps = process.capabilities ?? DEFAULT_CAPABILITIES;
    if (process.privileged) {
      const host = await readSecurityHost(false);
      const asked = { privileged: true, capAdd: [], capDrop: [], noNewPrivileges: false, seccomp: 'default' as const };
      logWithheldCapabilities(this.log, `exec ${execId}`, asked, host);
      caps = capabilitiesFor(asked, host).granted;
    }
    await writeFile(join(dir, 'process.json'), JSON.stringify(processSpec(process, caps)));
    const oci = await this.runtimes.ofContainer(this.execRoot, containerId);
    this.conmonPath ??= findExecutable('conmon');
    const args = [
      '--api-version', '1', '-c', containerId, '-u', execId, '-n', execId, '-r', oci.path, '-b', dir,
      '-p', join(dir, 'pid'), '--conmon-pidfile', join(dir, 'conmon.pid'), '--exit-dir', join(dir, 'exits'), '--persist-dir', dir,
      '--socket-dir-path', join(this.root, '..', 'conmon'), '--full-attach',
      '-l', `k8s-file:${this.logPath(execId)}`, '--log-level', 'info',
      ...oci.args.flatMap((a) => ['--runtime-arg', a]),
      '--runtime-arg', '--root', '--runtime-arg', this.runcRoot,
      '--runtime-arg', '--log-format=json', '--runtime-arg', `--log=${join(dir, 'runc.log')}`,
      '--exec', '--exec-process-spec', join(dir, 'process.json'),
    ];
    if (process.terminal) args.push('-t');
    if (openStdin) args.push('-i');
    const pid = await spawnConmon(this.conmonPath, args, {
      cwd: dir,
      runtimeError: (message) => new ExecStartError(message || 'runc exec failed'),
    });
    return { pid };
  }

  /**
   * The exit code once the process has ended (waits), 128 + signal for a signal, as Docker reports.
   * A conmon that dies without recording it is noticed (monitor-watch.ts): the process it leaves is
   * killed (137), as for a container's.
   */
  async waitExit(containerId: string, execId: string, signal?: AbortSignal): Promise<number> {
    const watcher = new ExitWatcher<number>(join(this.dir(execId), 'exits'), (id) => this.readExit(id, execId), this.log);
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const conmonPid = Number.parseInt((await orIfMissing(readFile(join(this.dir(execId), 'conmon.pid'), 'utf8'), '')).trim(), 10);
    const monitor = conmonPid > 0 && isConmonOf(conmonPid, execId) ? identify(conmonPid) : undefined;
    const waits = [watcher.wait(containerId, stop.signal)];
    // No live conmon: it recorded the exit before it ended, or it died. (No pid file: conmon died
    // before writing it, which its sync pipe reported; the exit watch alone is left.)
    if (conmonPid > 0) {
      waits.push(this.monitors.whenGone(monitor ?? { pid: conmonPid, startTime: -1 }, stop.signal)
        .then(() => this.lostExit(containerId, execId)));
    }
    try {
      return await Promise.race(waits);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
      watcher.close();
    }
  }

  /** The exit of an exec whose conmon is gone: the one it recorded, else its process ended (lost-monitor.ts). */
  private async lostExit(containerId: string, execId: string): Promise<number> {
    const recorded = await this.readExit(containerId, execId);
    if (recorded !== undefined) return recorded;
    const found = await processFromPidFile(join(this.dir(execId), 'pid'), containerId);
    const what = `exec ${execId}`;
    const lost = await endOrphan(found, async () => { process.kill(found!.pid, 'SIGKILL'); }, this.log, what);
    const code = lostMonitorExitCode(lost);
    this.log.warn(`${what}: its monitor (conmon) died without recording an exit: exit code ${code}`);
    return code;
  }

  async readExit(containerId: string, execId: string): Promise<number | undefined> {
    const text = await orIfMissing(readFile(join(this.dir(execId), 'exits', containerId), 'utf8'), undefined);
    if (text === undefined) return undefined;
    const code = Number.parseInt(text.trim(), 10);
    return Number.isFinite(code) ? code : 255;
  }

  /** Removes what the exec left (after its exit and its output were read). */
  async remove(execId: string): Promise<void> {
    await rm(this.dir(execId), { recursive: true, force: true }).catch((err) => this.log.warn(`exec ${execId}: cleanup: ${errorMessage(err)}`));
  }
}

/** The OCI process runc execs, with the capabilities and no_new_privs of the container's own process. */
function processSpec(p: ExecProcess, caps: readonly string[]): Record<string, unknown> {
  return {
    terminal: p.terminal,
    ...(p.terminal && p.consoleSize ? { consoleSize: p.consoleSize } : {}),
    user: { uid: p.user.uid, gid: p.user.gid, ...(p.user.additionalGids?.length ? { additionalGids: p.user.additionalGids } : {}) },
    args: p.args,
    env: p.env,
    cwd: p.cwd || '/',
    capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
    noNewPrivileges: p.noNewPrivileges ?? false,
  };
}
