// `storage.maintenance.uploadpurging`, as distribution runs it: uploads idle for longer than `age` are
// deleted in the background, first after a random delay of up to an hour (at most `interval`, so that
// several instances started together do not purge together), then every `interval`. On by default.
import { errorMessage } from '../lib/errors.js';
import type { UploadPurgingConfig } from './base/config-background.js';
import { listRepositories } from './content/catalog.js';
import type { Registry } from './content/registry.js';
import { purgeIdleUploads } from './content/upload-purge.js';

export interface UploadPurger {
  /** Stops the schedule; a purge in progress is awaited. */
  stop(): Promise<void>;
}

/** One purge over every repository; the number of uploads purged (or that would be, with dryRun). */
export async function purgeUploads(registry: Registry, config: UploadPurgingConfig, log: (line: string) => void,
  signal?: AbortSignal): Promise<number> {
  let count = 0;
  for (const name of await listRepositories(registry.driver, ['_uploads'])) {
    if (signal?.aborted) break;
    const { purged } = await purgeIdleUploads(registry.driver, name, { maxAgeMs: config.ageMs, dryRun: config.dryRun, log });
    count += purged.length;
  }
  return count;
}

/** Starts the purge of `registry.config.uploadPurging`; undefined when it is disabled. */
export function scheduleUploadPurging(registry: Registry, log: (line: string) => void): UploadPurger | undefined {
  const config = registry.config.uploadPurging;
  if (!config.enabled) return undefined;
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runOnce = async () => {
    try {
      const count = await purgeUploads(registry, config, (line) => log(`uploadpurging: ${line}`), abort.signal);
      if (count > 0) log(`uploadpurging: ${config.dryRun ? 'would delete' : 'deleted'} ${count} uploads idle for longer than ${config.age}`);
    } catch (err) {
      log(`uploadpurging: run failed: ${errorMessage(err)}`);
    }
  };
  const next = (delay: number) => {
    timer = setTimeout(() => {
      running = runOnce().finally(() => { running = undefined; if (!abort.signal.aborted) next(config.intervalMs); });
    }, delay);
    timer.unref();
  };
  next(Math.random() * Math.min(config.intervalMs, 3600_000));
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
