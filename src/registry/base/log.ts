import type { WarningSink } from '../../lib/best-effort.js';

/**
 * berth-registry's own warnings, on stderr beside its error lines (`berth-registry: ...`): what a
 * cleanup after another failure could not do (a temp file, a cancelled upload) is told, not swallowed.
 */
export const registryLog: WarningSink = {
  warn(message: string): void {
    process.stderr.write(`berth-registry: warning: ${message}\n`);
  },
};
