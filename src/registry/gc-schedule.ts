// Garbage collection in the background of a serving registry (`gc.interval` in config.yml): one run
// at a time in this process, the next `interval` after the last ended. Several registry processes on
// one storage may each run theirs: the collection is safe against pushes and against other
// collectors (gc.ts), only the work is repeated. The hub learns of the manifests a run deleted.
import { errorMessage } from '../lib/errors.js';
import type { Registry } from './content/registry.js';
import { garbageCollect, type GcResult } from './gc.js';
import type { Hub } from './hub/hub.js';

export interface GcSchedule {
  /** Stops the schedule; a run in progress stops at its next deletion and is awaited. */
  stop(): Promise<void>;
}

/** Starts the schedule of `registry.config.gc`; undefined when no interval is configured. */
export function scheduleGarbageCollection(registry: Registry, hub: Hub | undefined, log: (line: string) => void): GcSchedule | undefined {
  const gc = registry.config.gc;
  if (!gc) return undefined;
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    timer = setTimeout(() => { running = runOnce().finally(() => { running = undefined; if (!abort.signal.aborted) next(); }); }, gc.intervalMs);
    timer.unref();
  };
  const runOnce = async () => {
    const started = Date.now();
    let result: GcResult;
    try {
      result = await garbageCollect(registry, {
        dryRun: gc.dryRun, deleteUntagged: gc.deleteUntagged, gracePeriodMs: gc.graceMs, signal: abort.signal,
      });
    } catch (err) {
      log(`gc: run failed: ${errorMessage(err)}`);
      return;
    }
    if (!gc.dryRun) for (const m of result.deletedManifests) await hub?.deleted(m.repository, m.digest);
    const verb = gc.dryRun ? 'would delete' : 'deleted';
    log(`gc: ${verb} ${result.deletedBlobs.length} blobs, ${result.deletedManifests.length} manifests, ${result.deletedLinks.length} layer links` +
      ` and ${result.purgedUploads.length} abandoned uploads; ${result.rescued.length} kept for pushes during the run; ${Date.now() - started} ms`);
  };
  next();
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
