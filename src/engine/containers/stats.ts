import type { Container } from './container.js';
import { ZERO_TIME } from './container-types.js';
import { emptySample, sampleCgroup, type CgroupSample } from './cgroup-stats.js';

/** One reading of a container's cgroup, with when it was taken. */
export interface StatsSample {
  at: Date;
  data: CgroupSample;
}

/** Reads the container's cgroup now; a container that does not run (or just ended) reads as empty. */
export async function sampleStats(c: Container): Promise<StatsSample> {
  const at = new Date();
  if (!c.state.running || c.state.restarting || !c.state.pid) return { at, data: emptySample() };
  try {
    return { at, data: await sampleCgroup(c.state.pid) };
  } catch {
    // The process ended between the state check and the read: that is an empty reading, as dockerd's.
    return { at, data: emptySample() };
  }
}

/** Docker's stats document: `current`, with `previous` as the precpu sample (empty for the first). */
export function statsDocument(c: Container, current: StatsSample, previous: StatsSample | undefined): Record<string, unknown> {
  const empty = emptySample();
  return {
    read: current.at.toISOString(),
    preread: previous ? previous.at.toISOString() : ZERO_TIME,
    pids_stats: current.data.pids_stats,
    blkio_stats: {
      io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
      io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: current.data.cpu_stats,
    precpu_stats: previous ? previous.data.cpu_stats : empty.cpu_stats,
    memory_stats: current.data.memory_stats,
    name: c.record.name,
    id: c.id,
    ...(current.data.networks ? { networks: current.data.networks } : {}),
  };
}
