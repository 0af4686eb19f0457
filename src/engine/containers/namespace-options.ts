import { execFile } from 'node:child_process';
import { accessSync, constants, statfsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConflictError, InvalidArgumentError, NotFoundError, SystemError } from '../../lib/errors.js';
import { isIpcSysctl, sysctlAllowed } from '../../lib/isolation-rules.js';
import type { IsolationSpec } from '../runtime/oci-namespaces.js';
import type { Container } from './container.js';
import type { ContainerConfig, HostConfig } from './container-types.js';
import { checkDeviceMappings, grantDevices, parseDeviceCgroupRule } from './device-options.js';
import { unmountPath } from './rootfs.js';
import { checkUsernsOptions, usernsOf } from './userns-options.js';
import type { IdMapping } from '../../lib/id-mapping.js';

const execFileAsync = promisify(execFile);

/**
 * The namespace and isolation options of a container (--pid, --ipc, --uts, --userns, --cgroupns,
 * --shm-size, --sysctl, --init, --device, --device-cgroup-rule, --oom-score-adj, --cgroup-parent,
 * annotations, --runtime): checked at create with dockerd's words, resolved into the runtime's
 * IsolationSpec at each start (the containers to join must run then).
 */

/** Finds a container by ID, name or ID prefix (NotFoundError otherwise). */
export type ContainerLookup = (ref: string) => Container;

const CGROUP2_SUPER_MAGIC = 0x63677270;
let cgroupV2Host: boolean | undefined;

/** dockerd's default cgroup namespace mode: private on a cgroup v2 host, host on v1 (and hybrid). */
export function defaultCgroupnsMode(): 'host' | 'private' {
  if (cgroupV2Host === undefined) {
    try {
      cgroupV2Host = statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
    } catch {
      cgroupV2Host = false; // no cgroup filesystem to look at: runc's v1 fallback
    }
  }
  return cgroupV2Host ? 'private' : 'host';
}

/** `container:<ref>` -> ref (empty when the mode names no container). */
function joined(mode: string): string | undefined {
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function checkJoinTarget(ref: string, lookup: ContainerLookup): void {
  try {
    lookup(ref);
  } catch (err) {
    if (err instanceof NotFoundError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** Checks a sysctl against Docker's allowlist and the namespaces the container shares with the host. */
export function checkSysctl(key: string, value: string, hc: { NetworkMode: string; IpcMode?: unknown }): void {
  if (!sysctlAllowed(key)) {
    throw new InvalidArgumentError(`sysctl '${key}=${value}' is not allowed`);
  }
  if (key.startsWith('net.') && hc.NetworkMode === 'host') {
    throw new InvalidArgumentError(`sysctl "${key}" not allowed in host network namespace`);
  }
  if (isIpcSysctl(key) && hc.IpcMode === 'host') {
    throw new InvalidArgumentError(`sysctl "${key}" is not allowed in the hosts ipc namespace`);
  }
}

/**
 * Checks the isolation options of a create body before anything is made: InvalidArgumentError with
 * dockerd's message (the docker CLI's where dockerd checks nothing). A container to join must exist.
 */
export function checkIsolationOptions(hc: HostConfig, config: ContainerConfig, lookup: ContainerLookup, idMapping?: IdMapping): void {
  const pid = str(hc.PidMode);
  if (pid && pid !== 'host' && !joined(pid)) throw new InvalidArgumentError(`invalid PID mode: ${pid}`);
  const ipc = str(hc.IpcMode);
  if (ipc && !['host', 'private', 'shareable', 'none'].includes(ipc) && !joined(ipc)) {
    throw new InvalidArgumentError(`invalid IPC mode: ${ipc}`);
  }
  for (const mode of [pid, ipc]) {
    const ref = joined(mode);
    if (ref !== undefined) checkJoinTarget(ref, lookup);
  }
  const uts = str(hc.UTSMode);
  if (uts && uts !== 'host') throw new InvalidArgumentError(`invalid UTS mode: ${uts}`);
  if (uts === 'host' && config.Hostname) throw new InvalidArgumentError('conflicting options: hostname and the UTS mode');
  checkUsernsOptions(hc, idMapping);
  const cgroupns = str(hc.CgroupnsMode);
  if (cgroupns && cgroupns !== 'host' && cgroupns !== 'private') {
    throw new InvalidArgumentError(`invalid cgroup namespace mode: ${cgroupns}`);
  }
  if (typeof hc.ShmSize === 'number' && hc.ShmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  for (const [key, value] of Object.entries((hc.Sysctls ?? {}) as Record<string, string>)) checkSysctl(key, value, hc);
  const oom = typeof hc.OomScoreAdj === 'number' ? hc.OomScoreAdj : 0;
  if (oom < -1000 || oom > 1000) throw new InvalidArgumentError(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (Object.keys((hc.Annotations ?? {}) as object).includes('')) {
    throw new InvalidArgumentError('invalid Annotations: the empty string is not permitted as an annotation key');
  }
  for (const rule of (hc.DeviceCgroupRules ?? []) as string[]) parseDeviceCgroupRule(rule);
  checkDeviceMappings((hc.Devices ?? []) as unknown[]);
}

/** A running container to join: its init's pid. ConflictError in dockerd's words when it is not running. */
function runningPid(lookup: ContainerLookup, ref: string, notRunning: (id: string) => string): { c: Container; pid: number } {
  const c = lookup(ref);
  if (!c.state.running || !c.state.pid) throw new ConflictError(notRunning(c.id));
  return { c, pid: c.state.pid };
}

/** What a start needs besides the record: other containers, their directories, the daemon's init default. */
export interface IsolationDeps {
  lookup: ContainerLookup;
  /** A container's directory under the data root (a shareable /dev/shm is mounted at `<dir>/shm`). */
  containerDir: (id: string) => string;
  defaultInit: boolean;
  /** The daemon's `--userns-remap` maps, when it remaps. */
  idMapping?: IdMapping;
}

/** Docker's default /dev/shm size. */
const SHM_SIZE = 64 * 1024 * 1024;

/** Where a shareable container's /dev/shm is mounted on the host, so that others can join it. */
function shmDir(deps: IsolationDeps, id: string): string {
  return join(deps.containerDir(id), 'shm');
}

async function mountShm(dir: string, sizeBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await unmountPath(dir); // a run before a crash may have left it
  try {
    await execFileAsync('mount', ['-t', 'tmpfs', '-o', `nosuid,nodev,noexec,mode=1777,size=${sizeBytes}`, 'shm', dir]);
  } catch (err) {
    throw new SystemError(`mounting shm tmpfs: ${(err as { stderr?: string }).stderr?.trim() || err}`);
  }
}

async function ipcOf(record: Container['record'], deps: IsolationDeps): Promise<IsolationSpec['ipc']> {
  const mode = str(record.hostConfig.IpcMode);
  if (mode === 'host' || mode === 'none') return mode;
  if (mode === 'shareable') {
    const dir = shmDir(deps, record.id);
    const size = typeof record.hostConfig.ShmSize === 'number' && record.hostConfig.ShmSize > 0 ? record.hostConfig.ShmSize : SHM_SIZE;
    await mountShm(dir, size);
    return { shm: dir };
  }
  const ref = joined(mode);
  if (ref === undefined) return undefined;
  const cannot = (id: string) => `can't join IPC of container ${id}`;
  const { c, pid } = runningPid(deps.lookup, ref, (id) => `${cannot(id)}: container ${id} is not running`);
  const donor = str(c.record.hostConfig.IpcMode);
  if (donor !== 'shareable' && donor !== 'host') {
    throw new InvalidArgumentError(`${cannot(c.id)}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
  }
  return { path: `/proc/${pid}/ns/ipc`, shm: donor === 'host' ? '/dev/shm' : shmDir(deps, c.id) };
}

/** Gives back what a run's isolation took on the host: a shareable container's /dev/shm mount. */
export async function releaseIsolation(record: Container['record'], deps: Pick<IsolationDeps, 'containerDir'>): Promise<void> {
  if (record.hostConfig.IpcMode === 'shareable') await unmountPath(join(deps.containerDir(record.id), 'shm'));
}

/** Docker's docker-init: Debian's tini, the static build when it is installed. */
export function findInit(): string {
  for (const path of ['/usr/bin/tini-static', '/usr/bin/tini', '/usr/local/bin/tini', '/sbin/tini']) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not this one
    }
  }
  throw new SystemError('exec: "docker-init": executable file not found in $PATH (install the Debian package tini)');
}

/**
 * What a run of the container shares and may reach, resolved when it starts: the containers it joins
 * must be running, the host's devices are read now. `defaultInit` is the daemon's `init` setting.
 */
export async function isolationFor(record: Container['record'], deps: IsolationDeps): Promise<IsolationSpec> {
  const { lookup } = deps;
  const hc = record.hostConfig;
  const iso: IsolationSpec = {};
  const pid = str(hc.PidMode);
  if (pid === 'host') iso.pid = 'host';
  const pidRef = joined(pid);
  if (pidRef !== undefined) {
    iso.pid = { path: `/proc/${runningPid(lookup, pidRef, (id) => `container ${id} is not running`).pid}/ns/pid` };
  }
  const ipc = await ipcOf(record, deps);
  if (ipc) iso.ipc = ipc;
  if (hc.UTSMode === 'host') iso.uts = 'host';
  const cgroupns = str(hc.CgroupnsMode);
  if (cgroupns === 'host' || cgroupns === 'private') iso.cgroupns = cgroupns;
  if (typeof hc.ShmSize === 'number' && hc.ShmSize > 0) iso.shmSizeBytes = hc.ShmSize;
  if (hc.Sysctls && Object.keys(hc.Sysctls).length) iso.sysctls = { ...(hc.Sysctls as Record<string, string>) };
  if (typeof hc.OomScoreAdj === 'number' && hc.OomScoreAdj !== 0) iso.oomScoreAdj = hc.OomScoreAdj;
  if (str(hc.CgroupParent)) iso.cgroupParent = str(hc.CgroupParent);
  if (hc.Annotations && Object.keys(hc.Annotations).length) iso.annotations = { ...(hc.Annotations as Record<string, string>) };
  if (typeof hc.Init === 'boolean' ? hc.Init : deps.defaultInit) iso.init = findInit();
  const devices = checkDeviceMappings((hc.Devices ?? []) as unknown[]);
  if (devices.length) iso.devices = await grantDevices(devices);
  const rules = ((hc.DeviceCgroupRules ?? []) as string[]).map(parseDeviceCgroupRule);
  if (rules.length) iso.deviceRules = rules;
  const user = usernsOf(hc, deps.idMapping);
  if (user) iso.user = user;
  return iso;
}
