import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One sample of a container's resource use, in Docker's stats JSON shapes. */
export interface CgroupSample {
  cpu_stats: Record<string, unknown>;
  memory_stats: Record<string, unknown>;
  pids_stats: Record<string, unknown>;
  networks?: Record<string, Record<string, number>>;
}

const UNIFIED = existsSync('/sys/fs/cgroup/cgroup.controllers');
const CLOCK_TICKS = 100;
const NS_PER_TICK = 1e9 / CLOCK_TICKS;

/**
 * Reads the cgroup counters of the process `pid` (the container's init): cgroup v1 controllers when the
 * host has them (this machine: hybrid, v1 for memory/cpu/pids), the unified v2 files otherwise. The
 * cgroup is found from /proc/<pid>/cgroup, so it works whatever cgroupsPath the runtime chose.
 */
export async function sampleCgroup(pid: number): Promise<CgroupSample> {
  const paths = parseProcCgroup(await readFile(`/proc/${pid}/cgroup`, 'utf8'));
  const systemCpu = await systemCpuUsage();
  const networks = await netDev(pid);
  return UNIFIED ? { ...(await sampleV2(paths.get('') ?? '/', systemCpu)), networks } : { ...(await sampleV1(paths, systemCpu)), networks };
}

/** An empty sample (a stopped container), as Docker sends. */
export function emptySample(): CgroupSample {
  return {
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {},
    pids_stats: {},
  };
}

function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const controller of m[1].split(',')) out.set(controller.replace(/^name=/, ''), m[2]);
  }
  return out;
}

async function sampleV1(paths: Map<string, string>, systemCpu: number): Promise<CgroupSample> {
  const dir = (controller: string) => join('/sys/fs/cgroup', controller, paths.get(controller) ?? '/');
  const cpuacct = dir('cpuacct');
  const total = await readNumber(join(cpuacct, 'cpuacct.usage'));
  const percpu = (await readText(join(cpuacct, 'cpuacct.usage_percpu'))).trim().split(/\s+/).filter(Boolean).map(Number);
  const acct = parseKeyValues(await readText(join(cpuacct, 'cpuacct.stat')));
  const throttle = parseKeyValues(await readText(join(dir('cpu'), 'cpu.stat')));
  const mem = dir('memory');
  const memStat = parseKeyValues(await readText(join(mem, 'memory.stat')));
  const pidsMax = (await readText(join(dir('pids'), 'pids.max'))).trim();
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: total, percpu_usage: percpu,
        usage_in_kernelmode: (acct.system ?? 0) * NS_PER_TICK, usage_in_usermode: (acct.user ?? 0) * NS_PER_TICK,
      },
      system_cpu_usage: systemCpu,
      online_cpus: cpus().length,
      throttling_data: {
        periods: throttle.nr_periods ?? 0, throttled_periods: throttle.nr_throttled ?? 0, throttled_time: throttle.throttled_time ?? 0,
      },
    },
    memory_stats: {
      usage: await readNumber(join(mem, 'memory.usage_in_bytes')),
      max_usage: await readNumber(join(mem, 'memory.max_usage_in_bytes')),
      stats: memStat,
      limit: Math.min(await readNumber(join(mem, 'memory.limit_in_bytes')), totalmem()),
    },
    pids_stats: {
      current: await readNumber(join(dir('pids'), 'pids.current')),
      ...(/^\d+$/.test(pidsMax) ? { limit: Number(pidsMax) } : {}),
    },
  };
}

async function sampleV2(path: string, systemCpu: number): Promise<CgroupSample> {
  const dir = join('/sys/fs/cgroup', path);
  const cpu = parseKeyValues(await readText(join(dir, 'cpu.stat')));
  const memMax = (await readText(join(dir, 'memory.max'))).trim();
  const pidsMax = (await readText(join(dir, 'pids.max'))).trim();
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: (cpu.usage_usec ?? 0) * 1000,
        usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000, usage_in_usermode: (cpu.user_usec ?? 0) * 1000,
      },
      system_cpu_usage: systemCpu,
      online_cpus: cpus().length,
      throttling_data: {
        periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000,
      },
    },
    memory_stats: {
      usage: await readNumber(join(dir, 'memory.current')),
      stats: parseKeyValues(await readText(join(dir, 'memory.stat'))),
      limit: /^\d+$/.test(memMax) ? Math.min(Number(memMax), totalmem()) : totalmem(),
    },
    pids_stats: {
      current: await readNumber(join(dir, 'pids.current')),
      ...(/^\d+$/.test(pidsMax) ? { limit: Number(pidsMax) } : {}),
    },
  };
}

/** Host CPU time in nanoseconds, from the first line of /proc/stat (what Docker reports). */
async function systemCpuUsage(): Promise<number> {
  const line = (await readText('/proc/stat')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + (b || 0), 0);
  return ticks * NS_PER_TICK;
}

/** Interfaces of the container's network namespace (loopback left out, as Docker does). */
async function netDev(pid: number): Promise<Record<string, Record<string, number>> | undefined> {
  const text = await readText(`/proc/${pid}/net/dev`);
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = {
      rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3],
      tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11],
    };
  }
  return Object.keys(out).length ? out : undefined;
}

function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

async function readNumber(path: string): Promise<number> {
  const n = Number((await readText(path)).trim());
  return Number.isFinite(n) ? n : 0;
}
