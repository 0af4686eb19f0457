// `health.storagedriver`, as distribution runs it: the storage is checked every `interval` (a stat of
// its root; a root not there yet is healthy); after `threshold` failures in a row every request is
// answered 503 UNAVAILABLE until a check passes again.
import { errorMessage } from '../lib/errors.js';
import { PathNotFoundError, RegistryError } from './base/errors.js';
import type { Registry } from './content/registry.js';

export interface HealthChecks {
  /** The error every request gets while a check fails; undefined while healthy. */
  failure(): RegistryError | undefined;
  stop(): void;
}

/** Starts the checks of `registry.config.health`; undefined when none is enabled. */
export function startHealthChecks(registry: Registry, log: (line: string) => void): HealthChecks | undefined {
  const check = registry.config.health.storageDriver;
  if (!check) return undefined;
  let failures = 0;
  let lastError = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    try {
      await registry.driver.stat('/');
      if (failures >= check.threshold) log(`health: storagedriver check passes again`);
      failures = 0;
    } catch (err) {
      if (err instanceof PathNotFoundError) { failures = 0; return; }
      failures++;
      lastError = errorMessage(err);
      if (failures === check.threshold) log(`health: storagedriver check failed ${failures} times: ${lastError}`);
    }
  };
  const next = () => {
    timer = setTimeout(() => { void run().finally(() => { if (!stopped) next(); }); }, check.intervalMs);
    timer.unref();
  };
  next();
  return {
    failure() {
      if (failures < check.threshold) return undefined;
      return new RegistryError('UNAVAILABLE', 'service unavailable', `health check failed: storagedriver: ${lastError}`);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
