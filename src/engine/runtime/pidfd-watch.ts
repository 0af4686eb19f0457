// The end of a process told by the kernel (native/pidfd.c, built by scripts/build-native.sh): a pidfd
// becomes readable once its process has ended, and libuv polls it on the event loop. Node has no
// pidfd. Without the addon (or on a kernel before 5.3), monitor-watch.ts reads /proc on a timer.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { errorMessage } from '../../lib/errors.js';

/** An open watch; pass it back to unwatch(). */
export type ExitWatchHandle = object;

export interface ProcessExits {
  /**
   * Calls `onExit` once, on the event loop, when the process `pid` has ended (a zombie has ended).
   * Null when there is no process by that pid. The watch names the process that had the pid when it
   * was opened: the caller checks afterwards that this is the one it means.
   */
  watch(pid: number, onExit: () => void): ExitWatchHandle | null;
  /** Stops a watch that has not fired; a fired one is already stopped. */
  unwatch(handle: ExitWatchHandle): void;
}

/** dist/engine/runtime or src/engine/runtime -> the repository's native/build. */
const ADDON_PATH = resolve(import.meta.dirname, '..', '..', '..', 'native', 'build', 'pidfd.node');

let loaded: ProcessExits | Error | undefined;

function load(): ProcessExits | Error {
  if (!loaded) {
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as ProcessExits;
      // A kernel without pidfd_open(2) (before 5.3) fails here, not at the first container.
      const probe = addon.watch(process.pid, () => {});
      if (probe) addon.unwatch(probe);
      loaded = addon;
    } catch (err) {
      loaded = new Error(`the pidfd addon ${ADDON_PATH} cannot be used (build it with scripts/build-native.sh, which needs gcc; ` +
        `pidfd_open needs Linux 5.3): ${errorMessage(err)}`);
    }
  }
  return loaded;
}

/** The kernel's exit notices, or null when they cannot be had (see pidfdUnavailable()). */
export function pidfdExits(): ProcessExits | null {
  const addon = load();
  return addon instanceof Error ? null : addon;
}

/** Why exits are noticed by reading /proc on a timer instead, or undefined when pidfds are used. */
export function pidfdUnavailable(): string | undefined {
  const addon = load();
  return addon instanceof Error ? addon.message : undefined;
}
