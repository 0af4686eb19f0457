/**
 * `stats` rows computed from the daemon's stats JSON exactly as docker computes them (CPU % from the
 * deltas against precpu_stats, memory without the inactive page cache, block I/O from
 * io_service_bytes_recursive) and printed in docker's units.
 */
import { bytesSize, humanSize, truncateId } from '../base/units.js';

export interface ApiStats {
  name?: string;
  id?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }> | null;
  pids_stats?: { current?: number };
}

export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  isInvalid: boolean;
}

export function cpuPercent(s: ApiStats): number {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  let online = s.cpu_stats?.online_cpus ?? 0;
  if (online === 0) online = s.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Usage minus inactive file pages (total_inactive_file on cgroup v1, inactive_file on v2). */
export function memoryUsage(mem: ApiStats['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function statsEntry(container: string, s: ApiStats): StatsEntry {
  const memory = memoryUsage(s.memory_stats);
  const limit = s.memory_stats?.limit ?? 0;
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op?.[0];
    if (op === 'r' || op === 'R') blockRead += e.value;
    else if (op === 'w' || op === 'W') blockWrite += e.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  return {
    container, name: s.name ?? '', id: s.id ?? '', cpuPercentage: cpuPercent(s), memory, memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (memory / limit) * 100 : 0, networkRx: rx, networkTx: tx, blockRead, blockWrite,
    pidsCurrent: s.pids_stats?.current ?? 0, isInvalid: false,
  };
}

export class StatsContext {
  constructor(private readonly s: StatsEntry, private readonly trunc = true) {}
  Container(): string { return this.s.container; }
  Name(): string { return this.s.name.length > 1 ? this.s.name.slice(1) : '--'; }
  ID(): string { return this.trunc ? truncateId(this.s.id) : this.s.id; }
  CPUPerc(): string { return this.s.isInvalid ? '--' : `${this.s.cpuPercentage.toFixed(2)}%`; }
  MemUsage(): string { return this.s.isInvalid ? '-- / --' : `${bytesSize(this.s.memory)} / ${bytesSize(this.s.memoryLimit)}`; }
  MemPerc(): string { return this.s.isInvalid ? '--' : `${this.s.memoryPercentage.toFixed(2)}%`; }
  NetIO(): string { return this.s.isInvalid ? '--' : `${humanSize(this.s.networkRx)} / ${humanSize(this.s.networkTx)}`; }
  BlockIO(): string { return this.s.isInvalid ? '--' : `${humanSize(this.s.blockRead)} / ${humanSize(this.s.blockWrite)}`; }
  PIDs(): string { return this.s.isInvalid ? '--' : String(this.s.pidsCurrent); }
  toGoJSON(): Record<string, unknown> {
    return {
      BlockIO: this.BlockIO(), CPUPerc: this.CPUPerc(), Container: this.Container(), ID: this.ID(), MemPerc: this.MemPerc(),
      MemUsage: this.MemUsage(), Name: this.Name(), NetIO: this.NetIO(), PIDs: this.PIDs(),
    };
  }
}

export const STATS_HEADER = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

export const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
