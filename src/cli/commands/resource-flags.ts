/**
 * The resource flags of `run`/`create` and `update` (CPU, memory, pids, block I/O, ulimits) -> the
 * HostConfig fields docker sends, with the docker CLI's parsing and its error words.
 */
import type { Command } from 'commander';
import { CliError } from '../base/errors.js';
import { parseUlimit, type Ulimit } from '../../lib/ulimit.js';
import { collect, intFlag, ramInBytes } from './flags.js';

export interface ResourceFlags {
  cpus?: string;
  cpuShares?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  blkioWeight?: string;
  /** run/create only. */
  memorySwappiness?: string;
  oomKillDisable?: boolean;
  blkioWeightDevice?: string[];
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIops?: string[];
  deviceWriteIops?: string[];
  ulimit?: string[];
}

/** The flags `docker update` and `docker run` share. */
export function addUpdatableResourceFlags(cmd: Command): Command {
  return cmd
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds')
    .option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)');
}

/** The resource flags only `run` and `create` have. */
export function addCreateResourceFlags(cmd: Command): Command {
  return addUpdatableResourceFlags(cmd)
    .option('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100)', '-1')
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--blkio-weight-device <list>', 'Block IO weight (relative device weight)', collect, [])
    .option('--device-read-bps <list>', 'Limit read rate (bytes per second) from a device', collect, [])
    .option('--device-write-bps <list>', 'Limit write rate (bytes per second) to a device', collect, [])
    .option('--device-read-iops <list>', 'Limit read rate (IO per second) from a device', collect, [])
    .option('--device-write-iops <list>', 'Limit write rate (IO per second) to a device', collect, [])
    .option('--ulimit <ulimit>', 'Ulimit options', collect, []);
}

/** The HostConfig fields of the flags given (`exitCode`: 125 for run/create, as docker). */
export function resourceFields(f: ResourceFlags, exitCode = 1): Record<string, unknown> {
  const int = (flag: string, v: string | undefined) => (v === undefined ? undefined : intFlag(flag, v, exitCode));
  const out: Record<string, unknown> = {
    BlkioWeight: int('--blkio-weight', f.blkioWeight),
    CpuPeriod: int('--cpu-period', f.cpuPeriod),
    CpuQuota: int('--cpu-quota', f.cpuQuota),
    CpuRealtimePeriod: int('--cpu-rt-period', f.cpuRtPeriod),
    CpuRealtimeRuntime: int('--cpu-rt-runtime', f.cpuRtRuntime),
    CpuShares: int('-c, --cpu-shares', f.cpuShares),
    CpusetCpus: f.cpusetCpus,
    CpusetMems: f.cpusetMems,
    MemoryReservation: f.memoryReservation === undefined ? undefined : ramInBytes('--memory-reservation', f.memoryReservation, exitCode),
    MemorySwap: f.memorySwap === undefined ? undefined : ramInBytes('--memory-swap', f.memorySwap, exitCode),
    PidsLimit: int('--pids-limit', f.pidsLimit),
  };
  if (f.cpus !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(f.cpus)) throw new CliError(`invalid argument "${f.cpus}" for "--cpus" flag: failed to parse ${f.cpus} as a rational number`, exitCode);
    out.NanoCpus = Math.round(Number(f.cpus) * 1e9);
  }
  if (f.memorySwappiness !== undefined && f.memorySwappiness !== '-1') {
    const n = int('--memory-swappiness', f.memorySwappiness)!;
    if (n < 0 || n > 100) throw new CliError(`invalid value: ${n}. Valid memory swappiness range is 0-100`, exitCode);
    out.MemorySwappiness = n;
  }
  if (f.oomKillDisable) out.OomKillDisable = true;
  const devices = (flag: string, list: string[] | undefined, key: 'Weight' | 'Rate', bytes: boolean) => {
    if (!list?.length) return undefined;
    return list.map((item) => {
      const [path, value, ...rest] = item.split(':');
      if (rest.length || value === undefined) throw new CliError(`invalid argument "${item}" for "${flag}" flag: bad format: ${item}`, exitCode);
      if (!path!.startsWith('/dev/')) throw new CliError(`invalid argument "${item}" for "${flag}" flag: bad format for device path: ${item}`, exitCode);
      const n = bytes ? ramInBytes(flag, value, exitCode) : /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n) || n < 0 || (key === 'Weight' && n > 0 && (n < 10 || n > 1000))) {
        throw new CliError(`invalid argument "${item}" for "${flag}" flag: invalid ${key === 'Weight' ? 'weight' : 'rate'} for device: ${item}`, exitCode);
      }
      return { Path: path, [key]: n };
    });
  };
  out.BlkioWeightDevice = devices('--blkio-weight-device', f.blkioWeightDevice, 'Weight', false);
  out.BlkioDeviceReadBps = devices('--device-read-bps', f.deviceReadBps, 'Rate', true);
  out.BlkioDeviceWriteBps = devices('--device-write-bps', f.deviceWriteBps, 'Rate', true);
  out.BlkioDeviceReadIOps = devices('--device-read-iops', f.deviceReadIops, 'Rate', false);
  out.BlkioDeviceWriteIOps = devices('--device-write-iops', f.deviceWriteIops, 'Rate', false);
  if (f.ulimit?.length) {
    const byName = new Map<string, Ulimit>();
    for (const text of f.ulimit) {
      try {
        const u = parseUlimit(text);
        byName.set(u.Name, u);
      } catch (err) {
        throw new CliError(`invalid argument "${text}" for "--ulimit" flag: ${(err as Error).message}`, exitCode);
      }
    }
    out.Ulimits = [...byName.values()];
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}
