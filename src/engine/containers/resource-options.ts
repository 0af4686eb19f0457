/**
 * The resource part of HostConfig (CPU, memory, pids, block I/O, ulimits): checked with dockerd's rules
 * and messages (daemon_unix.go verifyPlatformContainerResources) against what this host offers, and
 * turned into the runtime's limits. A limit the host cannot apply is refused with a 400 naming the
 * field, where dockerd would warn and drop it.
 */
import { stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { InvalidArgumentError } from '../../lib/errors.js';
import { checkUlimit, type Ulimit } from '../../lib/ulimit.js';
import type { ContainerResources, DeviceLimit } from '../runtime/oci-resources.js';
import { splitDev } from '../layers/archive-pack.js';
import type { HostConfig } from './container-types.js';
import type { HostResourceFacts } from './host-resources.js';

const MIN_MEMORY = 6 * 1024 * 1024;
const MIN_CPU_SHARES = 2;
const MAX_CPU_SHARES = 262_144;

/** The block device lists of HostConfig, with the host feature each needs and its flag. */
const DEVICE_LISTS = [
  { field: 'BlkioWeightDevice', key: 'Weight', fact: 'blkioWeightDevice', flag: '--blkio-weight-device', what: 'Block I/O weight_device' },
  { field: 'BlkioDeviceReadBps', key: 'Rate', fact: 'blkioReadBps', flag: '--device-read-bps', what: 'BPS Block I/O read limit' },
  { field: 'BlkioDeviceWriteBps', key: 'Rate', fact: 'blkioWriteBps', flag: '--device-write-bps', what: 'BPS Block I/O write limit' },
  { field: 'BlkioDeviceReadIOps', key: 'Rate', fact: 'blkioReadIOps', flag: '--device-read-iops', what: 'IOPS Block read limit' },
  { field: 'BlkioDeviceWriteIOps', key: 'Rate', fact: 'blkioWriteIOps', flag: '--device-write-iops', what: 'IOPS Block write limit' },
] as const;

type Resources = Record<string, unknown>;

function num(r: Resources, field: string): number {
  const v = r[field];
  return typeof v === 'number' ? v : 0;
}

function refused(field: string, flag: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`HostConfig.${field} is refused: ${reason}, so ${flag} cannot take effect`);
}

/**
 * Checks the resource fields of a create (or of an update, `update`: a swap limit may then come
 * without a memory limit) and returns dockerd's warnings. Throws InvalidArgumentError with dockerd's
 * message, or one that names the field the host cannot honour.
 */
export function checkResources(r: Resources, host: HostResourceFacts, update = false): string[] {
  const warnings: string[] = [];
  const memory = num(r, 'Memory');
  const swap = num(r, 'MemorySwap');
  const reservation = num(r, 'MemoryReservation');
  if (memory < 0 || num(r, 'NanoCpus') < 0) throw new InvalidArgumentError('resource limits cannot be negative');
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (memory > 0 && !host.memoryLimit) throw refused('Memory', '--memory', 'the kernel has no memory cgroup here');
  if (swap > 0 && !host.swapLimit) throw refused('MemorySwap', '--memory-swap', 'the kernel does not account swap here');
  if (memory > 0 && swap > 0 && swap < memory) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap !== 0 && !update) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  const swappiness = r.MemorySwappiness;
  if (typeof swappiness === 'number' && swappiness !== -1) {
    if (!host.memorySwappiness) throw refused('MemorySwappiness', '--memory-swappiness', 'the kernel has no memory swappiness control here (cgroup v2 has none)');
    if (swappiness < 0 || swappiness > 100) throw new InvalidArgumentError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (reservation > 0 && !host.memoryReservation) throw refused('MemoryReservation', '--memory-reservation', 'the kernel has no memory soft limit here');
  if (reservation !== 0 && reservation < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.OomKillDisable === true) {
    if (!host.oomKillDisable) throw refused('OomKillDisable', '--oom-kill-disable', 'the kernel cannot disable the OOM killer of a cgroup here (cgroup v2 cannot)');
    if (memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  checkCpu(r, host);
  checkBlkio(r, host);
  return warnings;
}

function checkCpu(r: Resources, host: HostResourceFacts): void {
  const nano = num(r, 'NanoCpus');
  const period = num(r, 'CpuPeriod');
  const quota = num(r, 'CpuQuota');
  const shares = num(r, 'CpuShares');
  if (nano > 0 && period > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !host.cpuCfs) throw new InvalidArgumentError('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  if (nano > host.numCpus * 1e9) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${host.numCpus}.00, as there are only ${host.numCpus} CPUs available`);
  }
  if (shares !== 0) {
    if (!host.cpuShares) throw refused('CpuShares', '--cpu-shares', 'the kernel has no CPU shares control here');
    if (shares < MIN_CPU_SHARES) throw new InvalidArgumentError(`the minimum allowed cpu-shares is ${MIN_CPU_SHARES}`);
    if (shares > MAX_CPU_SHARES) throw new InvalidArgumentError(`the maximum allowed cpu-shares is ${MAX_CPU_SHARES}`);
  }
  if ((period !== 0 || quota !== 0) && !host.cpuCfs) throw refused(period ? 'CpuPeriod' : 'CpuQuota', '--cpu-period/--cpu-quota', 'the kernel has no CFS bandwidth control here');
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const rtPeriod = num(r, 'CpuRealtimePeriod');
  const rtRuntime = num(r, 'CpuRealtimeRuntime');
  if (rtPeriod > 0 && !host.cpuRealtime) throw new InvalidArgumentError('Your kernel does not support cgroup cpu real-time period');
  if (rtRuntime > 0 && !host.cpuRealtime) throw new InvalidArgumentError('Your kernel does not support cgroup cpu real-time runtime');
  if (rtPeriod !== 0 && rtRuntime !== 0 && rtRuntime > rtPeriod) throw new InvalidArgumentError('cpu real-time runtime cannot be higher than cpu real-time period');
  if (rtRuntime > host.realtimeBudget) {
    throw refused('CpuRealtimeRuntime', '--cpu-rt-runtime', `the containers' parent cgroup has a real-time budget of ${host.realtimeBudget} µs (cpu.rt_runtime_us), less than the ${rtRuntime} µs asked`);
  }
  for (const [field, what, available] of [['CpusetCpus', 'CPUs', host.cpus], ['CpusetMems', 'memory nodes', host.mems]] as const) {
    const value = r[field];
    if (typeof value !== 'string' || value === '') continue;
    if (!host.cpuset) throw refused(field, field === 'CpusetCpus' ? '--cpuset-cpus' : '--cpuset-mems', 'the kernel has no cpuset cgroup here');
    const label = field === 'CpusetCpus' ? 'cpus' : 'mems';
    let wanted: Set<number>;
    try {
      wanted = parseList(value);
    } catch (err) {
      throw new InvalidArgumentError(`Invalid value ${value} for cpuset ${label}: ${(err as Error).message}`);
    }
    const have = parseList(available);
    if ([...wanted].some((n) => !have.has(n))) {
      throw new InvalidArgumentError(`Requested ${what} are not available - requested ${value}, available: ${available}`);
    }
  }
}

function checkBlkio(r: Resources, host: HostResourceFacts): void {
  const weight = num(r, 'BlkioWeight');
  if (weight > 0 && !host.blkioWeight) throw refused('BlkioWeight', '--blkio-weight', 'the kernel has no Block I/O weight (no CFQ/BFQ scheduler) here');
  if (weight !== 0 && (weight < 10 || weight > 1000)) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  for (const list of DEVICE_LISTS) {
    const entries = deviceEntries(r, list.field, list.key);
    if (!entries.length) continue;
    if (!host[list.fact]) throw refused(list.field, list.flag, `the kernel has no ${list.what} here`);
    for (const e of entries) {
      if (list.key === 'Weight' && (e.value < 10 || e.value > 1000)) throw new InvalidArgumentError(`invalid weight for device: ${e.path}:${e.value}`);
      blockDevice(e.path, list.field, () => statSync(e.path));
    }
  }
}

/** `0-3,5` (Docker's parsers.ParseUintList). */
export function parseList(text: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${text}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`invalid range: ${part}`);
    for (let n = from; n <= to; n++) out.add(n);
  }
  return out;
}

function deviceEntries(r: Resources, field: string, key: 'Weight' | 'Rate'): { path: string; value: number }[] {
  const list = r[field];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new InvalidArgumentError(`json: cannot unmarshal ${typeof list} into Go struct field HostConfig.${field} of type array`);
  return list.map((e: unknown) => {
    const d = (e ?? {}) as Record<string, unknown>;
    if (typeof d.Path !== 'string' || typeof d[key] !== 'number' || !Number.isInteger(d[key]) || (d[key] as number) < 0) {
      throw new InvalidArgumentError(`HostConfig.${field}: each entry needs a Path and a non-negative ${key}`);
    }
    return { path: d.Path, value: d[key] as number };
  });
}

function blockDevice<T extends { isBlockDevice(): boolean; rdev: number }>(path: string, field: string, statFn: () => T): T {
  let st: T;
  try {
    st = statFn();
  } catch (err) {
    throw new InvalidArgumentError(`HostConfig.${field}: ${(err as Error).message}`);
  }
  if (!st.isBlockDevice()) throw new InvalidArgumentError(`HostConfig.${field}: ${path} is not a block device`);
  return st;
}

/** Docker's defaults a new container's record gets: swap twice the memory limit, "not set" as null. */
export function applyResourceDefaults(hc: HostConfig, host: HostResourceFacts): void {
  if (hc.Memory > 0 && hc.MemorySwap === 0 && host.swapLimit) hc.MemorySwap = hc.Memory * 2;
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = null;
  if (typeof hc.PidsLimit === 'number' && hc.PidsLimit <= 0) hc.PidsLimit = null;
}

/** The runtime's limits for a run of a container with this HostConfig (block devices by number). */
export async function runtimeResources(hc: Resources): Promise<ContainerResources> {
  const devices = async (field: string, key: 'Weight' | 'Rate'): Promise<DeviceLimit[] | undefined> => {
    const entries = deviceEntries(hc, field, key);
    if (!entries.length) return undefined;
    const out: DeviceLimit[] = [];
    for (const e of entries) {
      const { rdev } = blockDevice(e.path, field, await stat(e.path).then((st) => () => st, (err) => () => { throw err; }));
      out.push({ ...splitDev(rdev), value: e.value });
    }
    return out;
  };
  const pids = hc.PidsLimit;
  const swappiness = hc.MemorySwappiness;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const out: ContainerResources = {
    memoryBytes: num(hc, 'Memory') || undefined,
    memorySwapBytes: num(hc, 'Memory') ? num(hc, 'MemorySwap') || undefined : undefined,
    memoryReservationBytes: num(hc, 'MemoryReservation') || undefined,
    memorySwappiness: typeof swappiness === 'number' && swappiness >= 0 ? swappiness : undefined,
    oomKillDisable: hc.OomKillDisable === true || undefined,
    nanoCpus: num(hc, 'NanoCpus') || undefined,
    cpuShares: num(hc, 'CpuShares') || undefined,
    cpuPeriod: num(hc, 'CpuPeriod') || undefined,
    cpuQuota: num(hc, 'CpuQuota') || undefined,
    cpuRealtimePeriod: num(hc, 'CpuRealtimePeriod') || undefined,
    cpuRealtimeRuntime: num(hc, 'CpuRealtimeRuntime') || undefined,
    cpusetCpus: str(hc.CpusetCpus),
    cpusetMems: str(hc.CpusetMems),
    pidsLimit: typeof pids === 'number' ? pids : undefined,
    blkioWeight: num(hc, 'BlkioWeight') || undefined,
    blkioWeightDevice: await devices('BlkioWeightDevice', 'Weight'),
    blkioReadBps: await devices('BlkioDeviceReadBps', 'Rate'),
    blkioWriteBps: await devices('BlkioDeviceWriteBps', 'Rate'),
    blkioReadIOps: await devices('BlkioDeviceReadIOps', 'Rate'),
    blkioWriteIOps: await devices('BlkioDeviceWriteIOps', 'Rate'),
  };
  for (const key of Object.keys(out) as (keyof ContainerResources)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Checks HostConfig.Ulimits' shape and each ulimit (go-units' rules, then the daemon's hard limits). */
export function checkUlimits(raw: unknown, host: HostResourceFacts, where = 'HostConfig.Ulimits'): Ulimit[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InvalidArgumentError(`${where} must be a list of {"Name", "Soft", "Hard"}`);
  return raw.map((e: unknown) => {
    const u = (e ?? {}) as Record<string, unknown>;
    if (typeof u.Name !== 'string' || !Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)) {
      throw new InvalidArgumentError(`${where}: each ulimit needs a Name and integer Soft and Hard limits`);
    }
    // In Go's field order, as inspect shows them.
    const ulimit = { Name: u.Name, Hard: u.Hard as number, Soft: u.Soft as number };
    checkUlimit(ulimit);
    checkAgainstDaemon(ulimit, host);
    return ulimit;
  });
}

/**
 * Without CAP_SYS_RESOURCE no process may raise a hard limit, and runc fails with EPERM when a
 * container asks for more than its monitor (the daemon's child) has: refused here, naming the ulimit.
 */
function checkAgainstDaemon(u: Ulimit, host: HostResourceFacts): void {
  const have = host.hardLimits[u.Name] ?? -1;
  const above = (n: number) => have !== -1 && (n === -1 || n > have);
  if (u.Name === 'nofile' && (u.Hard === -1 || u.Hard > host.nrOpen)) {
    throw new InvalidArgumentError(`ulimit nofile: the hard limit ${fmt(u.Hard)} is above the kernel's maximum of open files (fs.nr_open ${host.nrOpen})`);
  }
  if (!host.canRaiseLimits && (above(u.Hard) || above(u.Soft))) {
    throw new InvalidArgumentError(`ulimit ${u.Name}=${fmt(u.Soft)}:${fmt(u.Hard)} is above the daemon's own hard limit of ${have}, which it cannot raise (no CAP_SYS_RESOURCE)`);
  }
}

function fmt(n: number): string {
  return n === -1 ? 'unlimited' : String(n);
}

/** The ulimits a run gets: the daemon's defaults (`--default-ulimit`), overridden by name by the container's. */
export function effectiveUlimits(own: unknown, defaults: Record<string, Ulimit> | undefined, host: HostResourceFacts): Ulimit[] {
  const mine = checkUlimits(own, host);
  const names = new Set(mine.map((u) => u.Name));
  const inherited = Object.values(defaults ?? {}).filter((u) => !names.has(u.Name));
  return [...inherited.map((u) => { checkAgainstDaemon(u, host); return u; }), ...mine];
}
