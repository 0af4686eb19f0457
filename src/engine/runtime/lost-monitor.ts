import { readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import { errorMessage, isErrno, orIfMissing } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { exitCodeOfWaitStatus, isAlive, isLiveState, readProcStat, type ProcStat } from './monitor-watch.js';
import type { Runc } from './runc.js';
import type { ExitInfo } from './runtime.js';

/**
 * What the daemon does when a container's monitor (conmon) is gone without having recorded an exit
 * (killed, OOM-killed, crashed), and when runc has lost a container that conmon still runs. The
 * container's process is never left behind: one that outlived its monitor is ended, as Docker ends
 * the task of a dead shim, and its exit is recorded where conmon would have written it, so the
 * supervisor, the reconciler at daemon start and `docker inspect` all read the same code.
 */

/** Where the runtime keeps a container's state (conmon-runtime.ts owns the layout). */
export interface RuntimeFiles {
  runcRoot: string;
  persistDir(id: string): string;
  exitFile(id: string): string;
  /** The cgroup under which each container has `<parent>/<id>`. */
  cgroupParent: string;
}

/** What became of the process of a container whose monitor died. */
export type LostProcess =
  /** It still ran and was killed (SIGKILL) by the daemon. */
  | { kind: 'killed' }
  /** It had ended and was not reaped yet: the kernel still holds its wait status. */
  | { kind: 'ended'; waitStatus: number }
  /** It is gone and nothing recorded how it ended. */
  | { kind: 'gone' };

/**
 * The exit code recorded for a run whose monitor died: 137 when the daemon killed the process; the
 * process's own status when the kernel still holds it; else 137 too, as containerd reports the task
 * of a dead shim (128 + SIGKILL) and dockerd shows it ("Exited (137)").
 */
export function lostMonitorExitCode(p: LostProcess): number {
  return p.kind === 'ended' ? exitCodeOfWaitStatus(p.waitStatus) : 128 + 9;
}

/** How long a killed process may take to die before the exit is recorded anyway. */
const KILL_WAIT_MS = 5_000;

/**
 * The container's init process, live or a zombie: the pid and start time runc recorded (so a reused
 * pid is not taken for it), or, when runc has lost its state, conmon's pid file checked against the
 * container's cgroup. Undefined when no such process exists.
 */
export async function findContainerProcess(files: RuntimeFiles, id: string): Promise<{ pid: number; stat: ProcStat } | undefined> {
  const state = await orIfMissing(readFile(join(files.runcRoot, id, 'state.json'), 'utf8'), undefined);
  if (state !== undefined) {
    const { init_process_pid: pid, init_process_start: startTime } = JSON.parse(state) as { init_process_pid?: number; init_process_start?: number };
    if (!pid || startTime === undefined) return undefined;
    const stat = readProcStat(pid);
    return stat && stat.startTime === startTime ? { pid, stat } : undefined;
  }
  return processFromPidFile(join(files.persistDir(id), 'pid'), id);
}

/**
 * The process a conmon pid file names, if it still exists (live or a zombie) and belongs to container
 * `containerId` (its cgroup ends in the id), so that a recycled pid is not taken for it.
 */
export async function processFromPidFile(pidFile: string, containerId: string): Promise<{ pid: number; stat: ProcStat } | undefined> {
  const pid = Number.parseInt((await orIfMissing(readFile(pidFile, 'utf8'), '')).trim(), 10);
  if (!(pid > 0)) return undefined;
  const stat = readProcStat(pid);
  if (!stat) return undefined;
  const cgroups = await orIfMissing(readFile(`/proc/${pid}/cgroup`, 'utf8'), '');
  return cgroups.split('\n').some((line) => line.endsWith(`/${containerId}`)) ? { pid, stat } : undefined;
}

/**
 * Ends a process whose monitor died (`kill`, then up to KILL_WAIT_MS for it to die) and says what
 * became of it, for `lostMonitorExitCode`. `what` names it in the log.
 */
export async function endOrphan(
  found: { pid: number; stat: ProcStat } | undefined, kill: () => Promise<void>, log: Logger, what: string,
): Promise<LostProcess> {
  if (!found) return { kind: 'gone' };
  if (!isLiveState(found.stat.state)) {
    return found.stat.waitStatus === undefined ? { kind: 'gone' } : { kind: 'ended', waitStatus: found.stat.waitStatus };
  }
  const p = { pid: found.pid, startTime: found.stat.startTime };
  await kill();
  for (const deadline = Date.now() + KILL_WAIT_MS; isAlive(p);) {
    if (Date.now() > deadline) {
      log.warn(`${what}: process ${p.pid} still runs ${KILL_WAIT_MS} ms after SIGKILL`);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { kind: 'killed' };
}

/**
 * Sends `signal` to the container's process itself, for when runc no longer knows the container (its
 * state dir was removed) but the process runs. False when there is no such process.
 */
export async function signalDirectly(files: RuntimeFiles, id: string, signal: NodeJS.Signals | number): Promise<boolean> {
  const found = await findContainerProcess(files, id);
  if (!found || !isLiveState(found.stat.state)) return false;
  try {
    process.kill(found.pid, signal);
    return true;
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return false;
    throw err;
  }
}

/**
 * Records the exit of a container whose monitor died without recording one: its process is killed
 * if it still runs (runc first, which also reaches a frozen container; the process itself when runc
 * cannot), then the code chosen by `lostMonitorExitCode` is written as conmon writes it (by rename,
 * mtime the finish time), and returned.
 */
export async function settleLostMonitor(files: RuntimeFiles, runc: Runc, log: Logger, id: string): Promise<ExitInfo> {
  const found = await findContainerProcess(files, id);
  const lost = await endOrphan(found, () => killContainer(runc, log, id, found!), log, `container ${id}`);
  const exitCode = lostMonitorExitCode(lost);
  log.warn(`container ${id}: its monitor (conmon) died without recording an exit; ${
    lost.kind === 'killed' ? `its process ${found!.pid} outlived it and was killed` : lost.kind === 'ended' ? 'its process had ended' : 'its process is gone'
  }: exit code ${exitCode}`);
  await writeFileAtomic(files.exitFile(id), String(exitCode), { durable: false });
  const oomKilled = await orIfMissing(readFile(join(files.persistDir(id), 'oom')).then(() => true), false);
  // As readExit will read it: the file's mtime is the finish time.
  return { exitCode, finishedAt: (await stat(files.exitFile(id))).mtime, oomKilled };
}

/** runc first, which also reaches a frozen container and every process of it; the init itself when runc cannot. */
async function killContainer(runc: Runc, log: Logger, id: string, found: { pid: number; stat: ProcStat }): Promise<void> {
  try {
    await runc.run(['kill', '--all', id, 'KILL']);
  } catch (err) {
    log.warn(`container ${id}: runc kill: ${errorMessage(err)}; killing process ${found.pid} itself`);
    if (isAlive({ pid: found.pid, startTime: found.stat.startTime })) process.kill(found.pid, 'SIGKILL');
  }
}

/**
 * Removes the container's cgroups (`<hierarchy>/<parent>/<id>` in every hierarchy), which `runc
 * delete` would have removed had runc still known the container. A cgroup that still holds a
 * process is left and reported.
 */
export async function removeCgroups(files: RuntimeFiles, log: Logger, id: string): Promise<void> {
  const root = '/sys/fs/cgroup';
  const hierarchies = ['', ...(await orIfMissing(readdir(root), []))];
  for (const h of hierarchies) {
    const dir = join(root, h, files.cgroupParent, id);
    try {
      await rmdir(dir);
    } catch (err) {
      if (!isErrno(err, 'ENOENT', 'ENOTDIR')) log.warn(`container ${id}: removing cgroup ${dir}: ${errorMessage(err)}`);
    }
  }
}
