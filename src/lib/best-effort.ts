import { errorMessage } from './errors.js';

/** Where a best-effort step reports the failure it did not let through. */
export interface WarningSink {
  warn(message: string): void;
}

/**
 * Runs a step whose failure must not stop the caller (cleanup after another error, undoing half-done
 * work, tidying a cache), and reports that failure instead of swallowing it. Resolves with the step's
 * result, or with undefined when it failed. Use it only where going on is right; a failure that
 * changes what the caller may answer is thrown, not passed here.
 */
export async function bestEffort<T>(
  log: WarningSink, what: string, step: Promise<T> | (() => Promise<T> | T),
): Promise<T | undefined> {
  try {
    return await (typeof step === 'function' ? step() : step);
  } catch (err) {
    log.warn(`${what}: ${errorMessage(err)}`);
    return undefined;
  }
}
