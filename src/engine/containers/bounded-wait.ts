import { SystemError } from '../../lib/errors.js';
import type { Container } from './container.js';

/** How long a SIGKILL may take to end a container before the kill is reported as failed (dockerd's 10 s). */
export const KILL_WAIT_MS = 10_000;

/** Runs a wait that takes an AbortSignal; false when `ms` passed first (undefined: no bound). */
export async function waitWithTimeout(wait: (signal: AbortSignal) => Promise<boolean>, ms: number | undefined): Promise<boolean> {
  const ac = new AbortController();
  const timer = ms === undefined ? undefined : setTimeout(() => ac.abort(), ms);
  try {
    return await wait(ac.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits, after a SIGKILL, until the container's exit is recorded, as long as dockerd does; a container
 * whose runtime never reports it (a monitor stopped or stuck) gets dockerd's error, not a wait
 * without end. The caller adds what it was doing (`cannot stop container: ...`).
 */
export async function untilKilled(c: Container, ms = KILL_WAIT_MS): Promise<void> {
  if (!(await waitWithTimeout((s) => c.whenNotRunning(s), ms))) {
    throw new SystemError('tried to kill container, but did not receive an exit event');
  }
}
