import type { RequestContext } from './router.js';
import type { Container } from '../containers/container.js';
import { sampleStats, statsDocument } from '../containers/stats.js';

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
  let previous = await sampleStats(c);
  if (!opts.stream && opts.oneShot) {
    res.end(JSON.stringify(statsDocument(c, previous, undefined)) + '\n');
    return;
  }
  if (opts.stream) res.write(JSON.stringify(statsDocument(c, previous, undefined)) + '\n');
  while (!closed) {
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    if (closed) return;
    const current = await sampleStats(c);
    const doc = JSON.stringify(statsDocument(c, current, previous)) + '\n';
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
