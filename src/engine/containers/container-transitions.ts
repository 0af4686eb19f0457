import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import type { Container } from './container.js';
import type { ContainerIndex } from './container-index.js';
import type { ContainerStore } from './container-store.js';
import type { ContainerRecord } from './container-types.js';
import { ZERO_TIME } from './container-types.js';
import { setRestarting, setRunning, setStopped } from './container-state.js';
import type { ExitDecision, ExitFacts } from './lifecycle-rules.js';

/**
 * A change of a container's state, as listeners see it (after the record is saved):
 * - `create`, `destroy`: the container came into being, was removed.
 * - `start`: a run began (its process runs); `start-failed`: a start ended before its process ran.
 * - `kill`: a signal was sent by hand (the container counts as stopped by hand from then on).
 * - `die`: a run ended (`restarting`: a restart follows); `stop`: a pending restart was cancelled.
 * - `pause`, `unpause`: the processes were frozen, thawed (also the thaw after a kill of a paused one).
 * - `restore`: at daemon start, a process still running was followed again.
 * - `rename`.
 * - `health_status`: a health check changed State.Health.Status (health-monitor.ts).
 */
export type Transition =
  | { kind: 'create' }
  | { kind: 'start' }
  | { kind: 'start-failed'; error: string; exitCode: number }
  | { kind: 'kill'; signal: number }
  | { kind: 'die'; exitCode: number; restarting: boolean }
  | { kind: 'stop' }
  | { kind: 'pause' }
  | { kind: 'unpause' }
  | { kind: 'restore' }
  | { kind: 'rename'; oldName: string }
  | { kind: 'health_status'; status: 'healthy' | 'unhealthy' }
  | { kind: 'destroy' };

export type TransitionListener = (container: Container, transition: Transition) => void;

/**
 * The one place through which every state change of a container passes: each function updates the
 * state, saves the record (a failed save is thrown, or logged as an error where the change must go
 * on), reports the end of a run to waiters, applies `--rm` where Docker does, and tells the
 * listeners (events, health checks). Callers hold the container's lock.
 */
export class ContainerTransitions {
  private readonly listeners: TransitionListener[] = [];

  constructor(
    private readonly store: ContainerStore,
    private readonly index: ContainerIndex,
    private readonly log: Logger,
    /** Removes an `--rm` container soon, outside its lock. */
    private readonly autoRemove: (c: Container) => void,
  ) {}

  /** Adds a listener; returns a function that removes it. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** A new container: its record is written last of all its parts; then it is listed. */
  async created(c: Container): Promise<void> {
    await this.store.save(c.record);
    this.index.add(c);
    this.notify(c, { kind: 'create' });
  }

  /**
   * The run's process is being started by `startProcess` (runc start). The record that says "running"
   * is written meanwhile: a crash in between leaves a created container under a running record,
   * which daemon start ends as an exit (255). Memory says running only once the process runs; a
   * failed save fails the start (the caller undoes the run).
   */
  async started(c: Container, pid: number, startProcess: () => Promise<void>): Promise<void> {
    const startedAt = new Date();
    const running: ContainerRecord = { ...c.record, state: { ...c.state }, hasBeenStartedBefore: true };
    setRunning(running.state, pid, startedAt);
    const [started, saved] = await Promise.allSettled([startProcess(), this.store.save(running)]);
    if (started.status === 'rejected') throw started.reason;
    setRunning(c.state, pid, startedAt);
    c.record.hasBeenStartedBefore = true;
    if (saved.status === 'rejected') throw saved.reason;
    this.notify(c, { kind: 'start' });
  }

  /**
   * A start failed before its process ran: the error and Docker's exit code are recorded (State.Error);
   * a pending restart that failed so is over. The run still ends: waiters on the next exit (docker
   * run) get the error.
   */
  async startFailed(c: Container, message: string, exitCode: number): Promise<void> {
    c.state.error = message;
    c.state.exitCode = exitCode;
    if (c.state.restarting) {
      setStopped(c.state, { exitCode, finishedAt: new Date(c.state.finishedAt), oomKilled: c.state.oomKilled });
    }
    await this.saveOrLog(c, 'start failure');
    this.endRun(c, { kind: 'start-failed', error: message, exitCode });
  }

  /** A signal is sent by hand: the container counts as stopped by hand (unless-stopped, daemon start). */
  async signalled(c: Container, signal: number): Promise<void> {
    c.record.hasBeenManuallyStopped = true;
    await this.store.save(c.record);
    this.notify(c, { kind: 'kill', signal });
  }

  /**
   * A run ended and its resources are given back: it restarts (the caller schedules the run) or
   * stays stopped. An `--rm` container's stopped record is not written, as it is removed right after
   * (a crash in between leaves the running record, which daemon start ends and removes the same).
   * `countRestart` false: the daemon's own start-up restarts it, which leaves RestartCount as it was
   * (Docker counts only the restarts its monitor makes).
   */
  async exited(c: Container, exit: ExitFacts, decision: ExitDecision, countRestart = true): Promise<void> {
    c.backoff = decision.backoff;
    const r = c.record;
    if (decision.action === 'restart') {
      setRestarting(c.state, exit);
      if (countRestart) r.restartCount++;
      await this.store.save(r);
      this.endRun(c, { kind: 'die', exitCode: exit.exitCode, restarting: true });
      return;
    }
    setStopped(c.state, exit);
    if (!decision.autoRemove) await this.store.save(r);
    this.endRun(c, { kind: 'die', exitCode: exit.exitCode, restarting: false });
  }

  /** A stop or kill while a restart was pending: nothing runs, the container is stopped as it was. */
  async restartCancelled(c: Container): Promise<void> {
    setStopped(c.state, { exitCode: c.state.exitCode, finishedAt: new Date(c.state.finishedAt), oomKilled: c.state.oomKilled });
    await this.store.save(c.record);
    this.endRun(c, { kind: 'stop' });
  }

  /**
   * The runtime froze (`paused` true) or thawed the container's processes. The record is saved; a failed
   * save is logged, since the processes are in that state whatever the record says.
   */
  async pausedOrResumed(c: Container, paused: boolean): Promise<void> {
    c.state.paused = paused;
    await this.saveOrLog(c, paused ? 'pause' : 'unpause');
    this.notify(c, { kind: paused ? 'pause' : 'unpause' });
  }

  /**
   * At daemon start: a process still runs and is followed again (recorded as started if the record
   * missed it), paused or not as the runtime says.
   */
  async restored(c: Container, pid: number, markStarted: boolean, paused = false): Promise<void> {
    const r = c.record;
    // A container found as its record says (the common case of a restart) has nothing new to write.
    const changed = markStarted || r.state.pid !== pid || r.state.paused !== paused;
    if (markStarted) {
      setRunning(r.state, pid, new Date());
      r.hasBeenStartedBefore = true;
    }
    r.state.pid = pid;
    r.state.paused = paused;
    if (changed) await this.store.save(r);
    this.notify(c, { kind: 'restore' });
  }

  /** At daemon start: a start that a crash cut short had run and ended; its exit is recorded. */
  async exitRecorded(c: Container, exit: ExitFacts): Promise<void> {
    const r = c.record;
    if (r.state.startedAt === ZERO_TIME) r.state.startedAt = exit.finishedAt.toISOString();
    setStopped(r.state, exit);
    r.hasBeenStartedBefore = true;
    await this.store.save(r);
    this.notify(c, { kind: 'die', exitCode: exit.exitCode, restarting: false });
  }

  /** Renames (`name` with its slash); ConflictError when taken. The record is saved before the old name goes. */
  async renamed(c: Container, name: string): Promise<void> {
    const oldName = c.record.name;
    this.index.claim(name, c.id);
    c.record.name = name;
    try {
      await this.store.save(c.record);
    } catch (err) {
      c.record.name = oldName;
      this.index.releaseName(name, c.id);
      throw err;
    }
    this.index.releaseName(oldName, c.id);
    this.notify(c, { kind: 'rename', oldName });
  }

  /** A probe's result changed the health status: saved (so a daemon restart keeps it), then told. */
  async healthChanged(c: Container, status: 'healthy' | 'unhealthy'): Promise<void> {
    await this.saveOrLog(c, 'health status');
    this.notify(c, { kind: 'health_status', status });
  }

  /** The container's record and files are gone: it leaves the index, and waiters for removal resolve. */
  destroyed(c: Container): void {
    this.index.delete(c);
    c.removed = true;
    c.emit('removed');
    this.notify(c, { kind: 'destroy' });
  }

  /** Ends the current run for waiters and listeners; a stopped `--rm` container is then removed. */
  private endRun(c: Container, transition: Transition): void {
    c.endRun();
    this.notify(c, transition);
    if (!c.state.running && c.record.hostConfig.AutoRemove) this.autoRemove(c);
  }

  private async saveOrLog(c: Container, what: string): Promise<void> {
    try {
      await this.store.save(c.record);
    } catch (err) {
      this.log.error(`container ${c.id}: saving the record after ${what}: ${errorMessage(err)}`);
    }
  }

  private notify(c: Container, transition: Transition): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(c, transition);
      } catch (err) {
        this.log.error(`container ${c.id}: ${transition.kind} listener: ${errorMessage(err)}`);
      }
    }
  }
}
