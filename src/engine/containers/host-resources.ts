/**
 * What this host's cgroups and the daemon's own limits allow, read once: which controller files
 * exist (cgroup v1, or the v2 controllers), the online CPUs and memory nodes, the real-time budget of
 * the containers' parent cgroup, and the daemon's hard rlimits. The checks of resource-options.ts take
 * these facts as an argument, so they are unit-tested with any host's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ULIMIT_ROWS } from '../../lib/ulimit.js';

export interface HostResourceFacts {
  cgroupV2: boolean;
  numCpus: number;
  /** Online CPUs and memory nodes as the cpuset cgroup lists them ("0-1"). */
  cpus: string;
  mems: string;
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  memorySwappiness: boolean;
  oomKillDisable: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuRealtime: boolean;
  /** cpu.rt_runtime_us of the containers' parent cgroup: the real-time budget containers can share. */
  realtimeBudget: number;
  cpuset: boolean;
  pids: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBps: boolean;
  blkioWriteBps: boolean;
  blkioReadIOps: boolean;
  blkioWriteIOps: boolean;
  /** The daemon's hard limit per ulimit name (-1 unlimited); containers cannot be given more. */
  hardLimits: Record<string, number>;
  /** The daemon holds CAP_SYS_RESOURCE, so it may raise hard limits (up to fs.nr_open for nofile). */
  canRaiseLimits: boolean;
  nrOpen: number;
}

const CGROUP = '/sys/fs/cgroup';
const CAP_SYS_RESOURCE = 24n;
/** The cgroup ConmonRuntime puts containers under (its default). */
const CGROUP_PARENT = 'berth';

let cached: HostResourceFacts | undefined;

/** This host's facts, read on first use. */
export function hostResourceFacts(): HostResourceFacts {
  cached ??= probe();
  return cached;
}

function probe(): HostResourceFacts {
  const v2 = existsSync(join(CGROUP, 'cgroup.controllers'));
  const limits = daemonLimits();
  const base = {
    numCpus: cpus().length, ...limits,
    cpus: firstLine([join(CGROUP, 'cpuset', 'cpuset.cpus'), join(CGROUP, 'cpuset.cpus.effective'), '/sys/devices/system/cpu/online']) || `0-${cpus().length - 1}`,
    mems: firstLine([join(CGROUP, 'cpuset', 'cpuset.mems'), join(CGROUP, 'cpuset.mems.effective'), '/sys/devices/system/node/online']) || '0',
  };
  if (v2) {
    const controllers = new Set(firstLine([join(CGROUP, 'cgroup.subtree_control'), join(CGROUP, 'cgroup.controllers')]).split(/\s+/));
    const io = controllers.has('io');
    return {
      ...base, cgroupV2: true,
      memoryLimit: controllers.has('memory'), swapLimit: controllers.has('memory'), memoryReservation: controllers.has('memory'),
      memorySwappiness: false, oomKillDisable: false,
      cpuShares: controllers.has('cpu'), cpuCfs: controllers.has('cpu'), cpuRealtime: false, realtimeBudget: 0,
      cpuset: controllers.has('cpuset'), pids: controllers.has('pids'),
      blkioWeight: io && (existsSync(join(CGROUP, 'io.weight')) || existsSync(join(CGROUP, 'io.bfq.weight'))),
      blkioWeightDevice: io && existsSync(join(CGROUP, 'io.bfq.weight')),
      blkioReadBps: io, blkioWriteBps: io, blkioReadIOps: io, blkioWriteIOps: io,
    };
  }
  const has = (controller: string, file: string) => existsSync(join(CGROUP, controller, file));
  const realtimeBudget = Number(firstLine([join(CGROUP, 'cpu', CGROUP_PARENT, 'cpu.rt_runtime_us')]) || 0);
  return {
    ...base, cgroupV2: false,
    memoryLimit: has('memory', 'memory.limit_in_bytes'), swapLimit: has('memory', 'memory.memsw.limit_in_bytes'),
    memoryReservation: has('memory', 'memory.soft_limit_in_bytes'), memorySwappiness: has('memory', 'memory.swappiness'),
    oomKillDisable: has('memory', 'memory.oom_control'),
    cpuShares: has('cpu', 'cpu.shares'), cpuCfs: has('cpu', 'cpu.cfs_quota_us'), cpuRealtime: has('cpu', 'cpu.rt_runtime_us'),
    realtimeBudget: Number.isFinite(realtimeBudget) ? realtimeBudget : 0,
    cpuset: has('cpuset', 'cpuset.cpus'), pids: existsSync(join(CGROUP, 'pids')),
    blkioWeight: has('blkio', 'blkio.weight'), blkioWeightDevice: has('blkio', 'blkio.weight_device'),
    blkioReadBps: has('blkio', 'blkio.throttle.read_bps_device'), blkioWriteBps: has('blkio', 'blkio.throttle.write_bps_device'),
    blkioReadIOps: has('blkio', 'blkio.throttle.read_iops_device'), blkioWriteIOps: has('blkio', 'blkio.throttle.write_iops_device'),
  };
}

/** The daemon's hard limits from /proc/self/limits, its CAP_SYS_RESOURCE, and fs.nr_open. */
function daemonLimits(): Pick<HostResourceFacts, 'hardLimits' | 'canRaiseLimits' | 'nrOpen'> {
  const hardLimits: Record<string, number> = {};
  const rows = readText('/proc/self/limits').split('\n');
  for (const [name, label] of Object.entries(ULIMIT_ROWS)) {
    const row = rows.find((r) => r.startsWith(label + ' '));
    const hard = row?.slice(label.length).trim().split(/\s+/)[1];
    hardLimits[name] = hard === undefined || hard === 'unlimited' ? -1 : Number(hard);
  }
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readText('/proc/self/status'))?.[1];
  const canRaiseLimits = capEff ? ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n : false;
  const nrOpen = Number(readText('/proc/sys/fs/nr_open').trim()) || 1_048_576;
  return { hardLimits, canRaiseLimits, nrOpen };
}

function firstLine(paths: string[]): string {
  for (const p of paths) {
    const text = readText(p).trim();
    if (text) return text.split('\n')[0]!;
  }
  return '';
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
