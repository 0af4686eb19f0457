// Docker's health-check rules as pure functions (moby daemon/health.go and container/health.go):
// what a probe's result does to State.Health, when the next probe runs, the output kept, and the words
// `docker ps` shows. The monitor (health-monitor.ts) applies them; nothing here touches a process.
import type { HealthTimings } from './health-config.js';
import type { HealthLogEntry, HealthState } from './container-types.js';

/** Longest probe output kept; more is cut and marked with "...". */
export const MAX_OUTPUT_BYTES = 4096;
/** Results kept in State.Health.Log. */
export const MAX_LOG_ENTRIES = 5;

/** A probe's result as the monitor reports it; ExitCode -1 for a timeout or a probe that could not run. */
export interface ProbeResult {
  start: Date;
  end: Date;
  exitCode: number;
  output: string;
}

/**
 * State.Health at a start, a restart or a daemon start that found the process running (dockerd's
 * initHealthMonitor): "starting" with no failures; the log of earlier runs is kept.
 */
export function startingHealth(previous: HealthState | undefined): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: previous?.Log ?? [] };
}

/**
 * Applies one result (dockerd's handleProbeResult): the log keeps the last five; success makes the
 * container healthy and clears the streak; a failure counts, except while the container is still
 * "starting" within its start period, and `retries` failures in a row make it unhealthy. Returns
 * the new status when it changed (Docker's health_status event), else undefined.
 */
export function applyProbeResult(
  health: HealthState, result: ProbeResult, timings: HealthTimings, startedAtMs: number,
): HealthState['Status'] | undefined {
  const before = health.Status;
  const entry: HealthLogEntry = {
    Start: result.start.toISOString(), End: result.end.toISOString(), ExitCode: result.exitCode, Output: result.output,
  };
  health.Log = [...health.Log, entry].slice(-MAX_LOG_ENTRIES);
  if (result.exitCode === 0) {
    health.FailingStreak = 0;
    health.Status = 'healthy';
  } else {
    const inStartPeriod = health.Status === 'starting' && result.start.getTime() - startedAtMs < timings.startPeriodMs;
    if (!inStartPeriod) {
      health.FailingStreak++;
      if (health.FailingStreak >= timings.retries) health.Status = 'unhealthy';
    }
  }
  return health.Status === before ? undefined : health.Status;
}

/**
 * How long until the next probe (dockerd's getInterval): the interval once the start period is over;
 * within it, the rest of the start period when that is shorter than the interval, else the start
 * interval while the container is still "starting".
 */
export function nextProbeDelay(elapsedSinceStartMs: number, timings: HealthTimings, status: HealthState['Status']): number {
  if (elapsedSinceStartMs >= timings.startPeriodMs) return timings.intervalMs;
  const remaining = timings.startPeriodMs - elapsedSinceStartMs;
  if (remaining < timings.intervalMs) return remaining;
  return status === 'starting' ? timings.startIntervalMs : timings.intervalMs;
}

/** What `docker ps` shows in brackets after "Up ...": "health: starting", "healthy" or "unhealthy". */
export function healthText(health: HealthState): string {
  return health.Status === 'starting' ? 'health: starting' : health.Status;
}

/** The value `docker ps --filter health=` matches: the status, or "none" without a health check. */
export function healthFilterValue(health: HealthState | undefined): string {
  return health?.Status ?? 'none';
}
