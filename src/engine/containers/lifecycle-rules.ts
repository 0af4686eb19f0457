import type { ContainerState, RestartPolicy } from './container-types.js';
import { parseSignal, SIGKILL } from './signals.js';

/**
 * Docker's rules for what happens to a container when its process ends and when the daemon starts,
 * as pure functions: facts in, a decision out. The manager's modules carry the decisions out (state,
 * record, runtime, auto-remove); nothing here touches a container, a file or a clock.
 */

/** An ended run: its exit code, when it ended, and whether the kernel's OOM killer ended it. */
export interface ExitFacts {
  exitCode: number;
  finishedAt: Date;
  oomKilled: boolean;
}

/** Docker's code for a run whose end nobody recorded (the runtime knows nothing of it, as after a reboot). */
export const UNKNOWN_EXIT_CODE = 255;

/** The exit recorded when no exit is known: 255, now. */
export function unknownExit(now: Date): ExitFacts {
  return { exitCode: UNKNOWN_EXIT_CODE, finishedAt: now, oomKilled: false };
}

/**
 * The restart back-off of one run sequence (Docker's restart manager): the last delay, and whether a
 * stop or kill by hand made the next exit final. A `start` by the user begins a new one.
 */
export interface Backoff {
  delayMs: number;
  cancelled: boolean;
}

export const FIRST_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
/** A run this long resets the back-off: the container is considered healthy again. */
export const RESET_AFTER_MS = 10_000;

export function initialBackoff(): Backoff {
  return { delayMs: 0, cancelled: false };
}

/** The next delay: 100 ms, doubling up to a minute while runs stay short, 100 ms again after a long run. */
export function nextDelay(previousMs: number, ranMs: number): number {
  const base = ranMs >= RESET_AFTER_MS ? 0 : previousMs;
  return base === 0 ? FIRST_DELAY_MS : Math.min(base * 2, MAX_DELAY_MS);
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

/** What the rules read of a container's record. */
export interface LifecycleFacts {
  policy: RestartPolicy;
  autoRemove: boolean;
  manuallyStopped: boolean;
  restartCount: number;
  hasBeenStartedBefore: boolean;
  /** RFC 3339 start of the current (or last) run. */
  startedAt: string;
  backoff: Backoff;
}

/** After an exit: run again after `delayMs`, or stay stopped (and be removed when `autoRemove`). */
export type ExitDecision =
  | { action: 'restart'; delayMs: number; backoff: Backoff }
  | { action: 'stop'; autoRemove: boolean; backoff: Backoff };

/**
 * A run ended. A stop or kill by hand (a cancelled back-off) is final; otherwise the policy decides,
 * with the back-off's delay. The back-off advances on every exit it sees, restarted or not.
 */
export function decideExit(facts: LifecycleFacts, exit: ExitFacts): ExitDecision {
  if (facts.backoff.cancelled) return { action: 'stop', autoRemove: facts.autoRemove, backoff: facts.backoff };
  const ranMs = exit.finishedAt.getTime() - Date.parse(facts.startedAt);
  const backoff = { ...facts.backoff, delayMs: nextDelay(facts.backoff.delayMs, ranMs) };
  if (shouldRestart(facts.policy, exit.exitCode, facts.manuallyStopped, facts.restartCount)) {
    return { action: 'restart', delayMs: backoff.delayMs, backoff };
  }
  return { action: 'stop', autoRemove: facts.autoRemove, backoff };
}

/** What runc says of the container at daemon start (undefined: runc does not know it). */
export type RuntimeStatus = 'created' | 'running' | 'paused' | 'stopped' | undefined;

/** The record's state as the rules read it at daemon start. */
export type RecordedState = Pick<ContainerState, 'running' | 'restarting' | 'exitCode' | 'finishedAt'>;

/**
 * Whether the reconciler needs conmon's exit record to decide: when the record says running but the
 * process is gone, or when runc holds a stopped container the record never saw run.
 */
export function needsExitRecord(state: RecordedState, runtime: RuntimeStatus): boolean {
  if (runtime === 'running' || runtime === 'paused') return false;
  return (state.running && !state.restarting) || runtime === 'stopped';
}

/**
 * At daemon start, for one container:
 * - `adopt`: its process still runs; follow it again (`markStarted`: the record did not say running,
 *   a start that a crash cut short after `runc start`, so it is recorded as started now). `paused`:
 *   runc's word on the freezer wins over the record's, as dockerd's restore takes containerd's.
 * - `ended`: it ran when the daemon went down and ended since: record the exit (255 when conmon left
 *   none), then restart it now or stop it (and auto-remove) as on any exit.
 * - `settle`: it was not running by the record. `recordExit` is the exit of a start a crash cut short
 *   whose process ran and ended; `then` says whether to start it now (a pending restart, or the
 *   policy of a stopped container, as dockerd does at boot), auto-remove it, or leave it.
 */
export type ReconcileDecision =
  | { action: 'adopt'; markStarted: boolean; paused: boolean }
  | { action: 'ended'; exit: ExitFacts; decision: ExitDecision }
  | { action: 'settle'; recordExit?: ExitFacts; then: 'start' | 'auto-remove' | 'none' };

export function decideAtDaemonStart(
  facts: LifecycleFacts, state: RecordedState, runtime: RuntimeStatus, exit: ExitFacts | undefined, now: Date,
): ReconcileDecision {
  if (runtime === 'running' || runtime === 'paused') {
    return { action: 'adopt', markStarted: !state.running || state.restarting, paused: runtime === 'paused' };
  }
  if (state.running && !state.restarting) {
    const ended = exit ?? unknownExit(now);
    return { action: 'ended', exit: ended, decision: decideExit(facts, ended) };
  }
  const recordExit = runtime === 'stopped' && exit && exit.finishedAt.getTime() > Date.parse(state.finishedAt)
    ? exit : undefined;
  // A recorded exit ends a pending restart too: the record is stopped from then on.
  if (state.restarting && !recordExit) return { action: 'settle', then: 'start' };
  const startedBefore = facts.hasBeenStartedBefore || recordExit !== undefined;
  if (facts.autoRemove && startedBefore) return { action: 'settle', recordExit, then: 'auto-remove' };
  const exitCode = recordExit ? recordExit.exitCode : state.exitCode;
  const start = startedBefore && shouldRestart(facts.policy, exitCode, facts.manuallyStopped, facts.restartCount);
  return { action: 'settle', recordExit, then: start ? 'start' : 'none' };
}

/**
 * Whether a signal sent by hand makes the next exit final (no restart): any signal when the
 * container has no stop signal of its own, else SIGKILL or its stop signal, as in Docker.
 */
export function signalCancelsRestart(signal: number, stopSignal: string | undefined): boolean {
  if (!stopSignal || signal === SIGKILL) return true;
  try {
    return parseSignal(stopSignal) === signal;
  } catch {
    return false; // an unparseable stop signal matches nothing
  }
}
