/**
 * A container's cgroup limits and rlimits as the OCI runtime spec writes them (`linux.resources`,
 * `process.rlimits`), for cgroup v1 and v2. Pure: the unit tests render both versions.
 *
 * The OCI keys are the same on both versions (runc translates shares to cpu.weight, blkio weight to
 * io.weight, memory+swap to memory.swap.max on v2); what v2 lacks altogether (swappiness, the OOM
 * killer switch, real-time scheduling budgets) is refused here rather than left for runc to ignore.
 */
import { InvalidArgumentError } from '../../lib/errors.js';

/** One block device's rate or weight, by device number. */
export interface DeviceLimit {
  major: number;
  minor: number;
  /** Bytes or I/O operations per second (throttles) or a weight 10-1000. */
  value: number;
}

/** What the container layer asks of the cgroups; a field left out (or 0) leaves the kernel default. */
export interface ContainerResources {
  memoryBytes?: number;
  /** Memory plus swap, as Docker's MemorySwap; -1 unlimited. */
  memorySwapBytes?: number;
  memoryReservationBytes?: number;
  /** 0-100 (cgroup v1 only). */
  memorySwappiness?: number;
  /** cgroup v1 only. */
  oomKillDisable?: boolean;
  /** CPUs in billionths; becomes a CFS quota over a 100 ms period. */
  nanoCpus?: number;
  cpuShares?: number;
  /** CFS period and quota in microseconds (quota -1: unlimited). */
  cpuPeriod?: number;
  cpuQuota?: number;
  /** Real-time scheduling budget in microseconds (cgroup v1 only). */
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** > 0 a limit; 0 or -1 unlimited. */
  pidsLimit?: number;
  blkioWeight?: number;
  blkioWeightDevice?: DeviceLimit[];
  blkioReadBps?: DeviceLimit[];
  blkioWriteBps?: DeviceLimit[];
  blkioReadIOps?: DeviceLimit[];
  blkioWriteIOps?: DeviceLimit[];
}

/** One process rlimit: `type` as OCI names it (RLIMIT_NOFILE); -1 is unlimited (RLIM_INFINITY). */
export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

type OciRate = { major: number; minor: number; rate: number };

/** `linux.resources` without the device rules (oci-spec.ts owns those). */
export interface OciLinuxResources {
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: {
    shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number;
    cpus?: string; mems?: string;
  };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    weightDevice?: { major: number; minor: number; weight: number }[];
    throttleReadBpsDevice?: OciRate[];
    throttleWriteBpsDevice?: OciRate[];
    throttleReadIOPSDevice?: OciRate[];
    throttleWriteIOPSDevice?: OciRate[];
  };
}

/** The kernel's and Docker's CFS period for --cpus, in microseconds. */
export const CPU_PERIOD = 100_000;

/**
 * Renders the limits. `update` is for `runc update --resources`, which leaves a field it is not given
 * as it is: there an unlimited pids count must be said (-1), where a new container simply has none.
 */
export function renderResources(r: ContainerResources | undefined, cgroupV2: boolean, mode: 'create' | 'update' = 'create'): OciLinuxResources {
  const out: OciLinuxResources = {};
  if (!r) return out;
  if (cgroupV2) refuseV1Only(r);

  const memory: NonNullable<OciLinuxResources['memory']> = {};
  if (r.memoryBytes && r.memoryBytes > 0) {
    memory.limit = r.memoryBytes;
    if (r.memorySwapBytes) memory.swap = r.memorySwapBytes;
  }
  if (r.memoryReservationBytes && r.memoryReservationBytes > 0) memory.reservation = r.memoryReservationBytes;
  if (r.memorySwappiness !== undefined && r.memorySwappiness >= 0) memory.swappiness = r.memorySwappiness;
  if (r.oomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length) out.memory = memory;

  const cpu: NonNullable<OciLinuxResources['cpu']> = {};
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.nanoCpus && r.nanoCpus > 0) {
    cpu.period = CPU_PERIOD;
    cpu.quota = Math.round((r.nanoCpus * CPU_PERIOD) / 1e9);
  } else {
    if (r.cpuPeriod) cpu.period = r.cpuPeriod;
    if (r.cpuQuota) cpu.quota = r.cpuQuota;
  }
  if (r.cpuRealtimePeriod) cpu.realtimePeriod = r.cpuRealtimePeriod;
  if (r.cpuRealtimeRuntime) cpu.realtimeRuntime = r.cpuRealtimeRuntime;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;

  if (r.pidsLimit !== undefined && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  else if (mode === 'update' && r.pidsLimit !== undefined) out.pids = { limit: -1 };

  const blockIO: NonNullable<OciLinuxResources['blockIO']> = {};
  if (r.blkioWeight) blockIO.weight = r.blkioWeight;
  if (r.blkioWeightDevice?.length) blockIO.weightDevice = r.blkioWeightDevice.map((d) => ({ major: d.major, minor: d.minor, weight: d.value }));
  const rates = (list: DeviceLimit[] | undefined) => list?.length ? list.map((d) => ({ major: d.major, minor: d.minor, rate: d.value })) : undefined;
  const throttles = {
    throttleReadBpsDevice: rates(r.blkioReadBps), throttleWriteBpsDevice: rates(r.blkioWriteBps),
    throttleReadIOPSDevice: rates(r.blkioReadIOps), throttleWriteIOPSDevice: rates(r.blkioWriteIOps),
  };
  for (const [key, list] of Object.entries(throttles)) if (list) blockIO[key as keyof typeof throttles] = list;
  if (Object.keys(blockIO).length) out.blockIO = blockIO;
  return out;
}

function refuseV1Only(r: ContainerResources): void {
  const v1Only: [boolean, string][] = [
    [r.memorySwappiness !== undefined && r.memorySwappiness >= 0, 'memory swappiness'],
    [Boolean(r.oomKillDisable), 'disabling the OOM killer'],
    [Boolean(r.cpuRealtimePeriod || r.cpuRealtimeRuntime), 'real-time CPU scheduling budgets'],
  ];
  for (const [set, what] of v1Only) {
    if (set) throw new InvalidArgumentError(`${what} is not supported with cgroup v2`);
  }
}

/** The rlimits of the container's process, from Docker's ulimit names (nofile -> RLIMIT_NOFILE). */
export function renderRlimits(ulimits: { Name: string; Soft: number; Hard: number }[]): OciRlimit[] {
  return ulimits.map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard }));
}

/**
 * config.json's text. An unlimited rlimit is RLIM_INFINITY, 2^64-1, which a JavaScript number cannot
 * hold exactly: it is written as those digits in place of -1 (the only negative value rlimits take).
 */
export function ociConfigJson(spec: object): string {
  return JSON.stringify(spec).replace(/"(soft|hard)":-1(?=[,}])/g, '"$1":18446744073709551615');
}
