import type { RequestContext } from '../api/router.js';
import type { Container } from './container.js';
import { ZERO_TIME } from './container-types.js';
import { emptySample, sampleCgroup, type CgroupSample } from './cgroup-stats.js';

const INTERVAL_MS = 1000;

/**
 * GET /containers/{id}/stats: one JSON document per second while `stream`, or a single one. Without
 * `one-shot` the single answer carries two samples a second apart (cpu_stats and precpu_stats), so
 * `docker stats --no-stream` can compute a CPU percentage, as with dockerd.
 */
export async function statsStream(ctx: RequestContext, c: Container, opts: { stream: boolean; oneShot: boolean }): Promise<void> {
  const res = ctx.res!;
  let closed = false;
  res.on('close', () => (closed = true));
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let previous = await sample(c);
  if (!opts.stream && opts.oneShot) {
    res.end(JSON.stringify(document(c, previous, undefined)) + '\n');
    return;
  }
  if (opts.stream) res.write(JSON.stringify(document(c, previous, undefined)) + '\n');
  while (!closed) {
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    if (closed) return;
    const current = await sample(c);
    const doc = JSON.stringify(document(c, current, previous)) + '\n';
    previous = current;
    if (!opts.stream) {
      res.end(doc);
      return;
    }
    res.write(doc);
    if (c.removed) break;
  }
  res.end();
}

interface Timed {
  at: Date;
  data: CgroupSample;
}

async function sample(c: Container): Promise<Timed> {
  const at = new Date();
  if (!c.state.running || c.state.restarting || !c.state.pid) return { at, data: emptySample() };
  try {
    return { at, data: await sampleCgroup(c.state.pid) };
  } catch {
    return { at, data: emptySample() };
  }
}

function document(c: Container, current: Timed, previous: Timed | undefined): Record<string, unknown> {
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
