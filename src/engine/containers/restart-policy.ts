import { InvalidArgumentError } from '../../lib/errors.js';
import type { RestartPolicy } from './container-types.js';

const NAMES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

/** Validates HostConfig.RestartPolicy with Docker's messages; returns it normalised. */
export function validateRestartPolicy(raw: { Name?: unknown; MaximumRetryCount?: unknown } | null | undefined): RestartPolicy {
  const name = (raw?.Name ?? '') as string;
  const max = (raw?.MaximumRetryCount ?? 0) as number;
  if (!NAMES.includes(name)) throw new InvalidArgumentError(`invalid restart policy '${name}'`);
  if (name === 'on-failure') {
    if (max < 0) throw new InvalidArgumentError('maximum retry count cannot be negative');
  } else if (max !== 0) {
    throw new InvalidArgumentError(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: max };
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run this long resets the back-off: the container is considered healthy again. */
const RESET_AFTER_MS = 10_000;

/**
 * Docker's restart manager: decides whether an exited container runs again and after what delay
 * (100 ms, doubling up to a minute while runs stay short). One per container run sequence; `start`
 * by the user makes a new one.
 */
export class RestartBackoff {
  private delayMs = 0;
  /** Set by stop/kill: the next exit is final. */
  cancelled = false;

  /**
   * Whether to restart after an exit, and the delay. `restartCount` is the container's count so far;
   * `ranMs` how long the run lasted.
   */
  next(policy: RestartPolicy, exitCode: number, manuallyStopped: boolean, restartCount: number, ranMs: number): number | undefined {
    if (this.cancelled) return undefined;
    if (ranMs >= RESET_AFTER_MS) this.delayMs = 0;
    this.delayMs = this.delayMs === 0 ? FIRST_DELAY_MS : Math.min(this.delayMs * 2, MAX_DELAY_MS);
    return shouldRestart(policy, exitCode, manuallyStopped, restartCount) ? this.delayMs : undefined;
  }
}

/** The policy's answer alone (no back-off): also what daemon start uses for stopped containers. */
export function shouldRestart(policy: RestartPolicy, exitCode: number, manuallyStopped: boolean, restartCount: number): boolean {
  switch (policy.Name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !manuallyStopped;
    case 'on-failure':
      return exitCode !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}
