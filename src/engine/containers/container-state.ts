import { ZERO_TIME, type ContainerState } from './container-types.js';
import { humanDuration } from '../../lib/human-duration.js';
import { healthText, startingHealth } from './health-rules.js';

/** The State a new container starts with. */
export function initialState(): ContainerState {
  return {
    running: false, paused: false, restarting: false, oomKilled: false, dead: false, removing: false,
    pid: 0, exitCode: 0, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME,
  };
}

export type StateName = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's State.Status (and the `State` of `docker ps`): a restarting container counts as running. */
export function stateName(s: ContainerState): StateName {
  if (s.running) {
    if (s.paused) return 'paused';
    if (s.restarting) return 'restarting';
    return 'running';
  }
  if (s.removing) return 'removing';
  if (s.dead) return 'dead';
  if (s.startedAt === ZERO_TIME) return 'created';
  return 'exited';
}

/** The STATUS column of `docker ps`, in Docker's words. */
export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (iso: string) => humanDuration(now - Date.parse(iso));
  if (s.running) {
    if (s.paused) return `Up ${since(s.startedAt)} (Paused)`;
    if (s.restarting) return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    if (s.health) return `Up ${since(s.startedAt)} (${healthText(s.health)})`;
    return `Up ${since(s.startedAt)}`;
  }
  if (s.removing) return 'Removal In Progress';
  if (s.dead) return 'Dead';
  if (s.startedAt === ZERO_TIME) return 'Created';
  if (s.finishedAt === ZERO_TIME) return '';
  return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
}

/** The process runs: Docker's SetRunning; a health check starts over ("starting", log kept). */
export function setRunning(s: ContainerState, pid: number, startedAt: Date): void {
  Object.assign(s, {
    running: true, paused: false, restarting: false, oomKilled: false, dead: false, pid, exitCode: 0, error: '',
    startedAt: startedAt.toISOString(),
  });
  if (s.health) s.health = startingHealth(s.health);
}

/** The process ended and will not be restarted: Docker's SetStopped. */
export function setStopped(s: ContainerState, exit: { exitCode: number; finishedAt: Date; oomKilled: boolean }): void {
  Object.assign(s, {
    running: false, paused: false, restarting: false, pid: 0, exitCode: exit.exitCode, oomKilled: exit.oomKilled,
    finishedAt: exit.finishedAt.toISOString(),
  });
  stopHealth(s);
}

/** The process ended and a restart is scheduled: Docker's SetRestarting (still counts as running). */
export function setRestarting(s: ContainerState, exit: { exitCode: number; finishedAt: Date; oomKilled: boolean }): void {
  Object.assign(s, {
    running: true, paused: false, restarting: true, pid: 0, exitCode: exit.exitCode, oomKilled: exit.oomKilled,
    finishedAt: exit.finishedAt.toISOString(),
  });
  stopHealth(s);
}

/** No process to probe: the health status reads "unhealthy", as dockerd's stopped monitor leaves it. */
function stopHealth(s: ContainerState): void {
  if (s.health) s.health = { ...s.health, Status: 'unhealthy' };
}
