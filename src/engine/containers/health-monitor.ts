import { errorMessage } from '../../lib/errors.js';
import { formatGoDuration } from '../../lib/go-duration.js';
import type { Logger } from '../base/log.js';
import type { ProbeOutcome, ProbeRunner } from '../runtime/health-probe.js';
import type { Container } from './container.js';
import type { ContainerStore } from './container-store.js';
import type { ContainerTransitions, Transition } from './container-transitions.js';
import { healthTimings, probeCommand, type HealthTimings } from './health-config.js';
import { MAX_OUTPUT_BYTES, applyProbeResult, nextProbeDelay, startingHealth, type ProbeResult } from './health-rules.js';

/** What the monitor uses of the container manager's parts. */
export interface HealthMonitorDeps {
  log: Logger;
  store: ContainerStore;
  /** Runs the probes; without one (test doubles) every probe fails with a message saying so. */
  probes?: ProbeRunner;
}

/** One container's probe loop: a timer between probes, a probe in flight, the run it belongs to. */
interface ProbeLoop {
  timer?: NodeJS.Timeout;
  readonly abort: AbortController;
  inFlight?: Promise<void>;
}

/**
 * Runs every container's health check while it runs, as dockerd's health monitor does: one loop per
 * running, unpaused container whose config has a check, started at its start (State.Health back to
 * "starting") and at daemon start for processes that kept running (State.Health as it was kept),
 * ended when it stops, pauses or is removed (the status then reads "unhealthy", as in dockerd).
 * Results go to State.Health by the rules of health-rules.ts; a change of status passes the
 * transitions (`health_status`: saved, then told); other results are saved with the next save of
 * the record, and at close.
 *
 * It listens to the container transitions from before the daemon-start reconciliation, so adopted
 * containers are picked up by their `restore` transition.
 */
export class HealthMonitor {
  private readonly loops = new Map<string, ProbeLoop>();
  /** Containers whose State.Health changed since their record was last saved by the monitor. */
  private readonly unsaved = new Map<string, Container>();
  private closed = false;

  constructor(private readonly deps: HealthMonitorDeps, private readonly transitions: ContainerTransitions) {
    transitions.onTransition((c, t) => this.onTransition(c, t));
  }

  /** Containers probed now (for tests and the benchmark). */
  get probing(): number {
    return this.loops.size;
  }

  private onTransition(c: Container, t: Transition): void {
    switch (t.kind) {
      case 'health_status':
        return;
      case 'start':
        // A new run: any loop of an earlier run ends; the health state was reset by setRunning.
        this.stopLoop(c);
        this.update(c);
        return;
      default:
        this.update(c);
    }
  }

  /** Starts or ends the container's loop to match its state (dockerd's updateHealthMonitor). */
  private update(c: Container): void {
    const s = c.state;
    const wanted = !this.closed && !c.removed && s.running && !s.paused && !s.restarting
      && probeCommand(c.record.config.Healthcheck, c.record.config.Shell) !== undefined;
    if (wanted && !this.loops.has(c.id)) {
      s.health ??= startingHealth(undefined);
      this.startLoop(c);
    } else if (!wanted && this.loops.has(c.id)) {
      this.stopLoop(c);
      if (s.health && !c.removed) {
        s.health.Status = 'unhealthy';
        this.unsaved.set(c.id, c);
      }
    }
    if (c.removed) this.unsaved.delete(c.id);
  }

  private startLoop(c: Container): void {
    const loop: ProbeLoop = { abort: new AbortController() };
    this.loops.set(c.id, loop);
    this.schedule(c, loop);
  }

  private stopLoop(c: Container): void {
    const loop = this.loops.get(c.id);
    if (!loop) return;
    this.loops.delete(c.id);
    clearTimeout(loop.timer);
    loop.abort.abort();
  }

  private schedule(c: Container, loop: ProbeLoop): void {
    const timings = healthTimings(c.record.config.Healthcheck);
    const elapsed = Date.now() - Date.parse(c.state.startedAt);
    const delay = nextProbeDelay(elapsed, timings, c.state.health?.Status ?? 'starting');
    loop.timer = setTimeout(() => {
      loop.timer = undefined;
      loop.inFlight = this.probeOnce(c, loop, timings).catch((err) => {
        this.deps.log.error(`container ${c.id}: health check: ${errorMessage(err)}`);
      });
    }, delay);
  }

  /** One probe, its result applied under the container's lock unless the loop ended meanwhile. */
  private async probeOnce(c: Container, loop: ProbeLoop, timings: HealthTimings): Promise<void> {
    const command = probeCommand(c.record.config.Healthcheck, c.record.config.Shell) ?? [];
    const start = new Date();
    const outcome: ProbeOutcome = this.deps.probes
      ? await this.deps.probes.probe(c.id, command, { timeoutMs: timings.timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES, signal: loop.abort.signal })
      : { kind: 'failed', message: 'health checks need a probe runner, which this engine was built without' };
    if (outcome.kind === 'aborted' || this.loops.get(c.id) !== loop) return;
    const result = probeResult(outcome, start, new Date(), timings);
    await c.locked(async () => {
      if (this.loops.get(c.id) !== loop || !c.state.health) return;
      const changed = applyProbeResult(c.state.health, result, timings, Date.parse(c.state.startedAt));
      if (changed === 'healthy' || changed === 'unhealthy') {
        this.unsaved.delete(c.id);
        await this.transitions.healthChanged(c, changed);
      } else {
        this.unsaved.set(c.id, c);
      }
    });
    if (this.loops.get(c.id) === loop) this.schedule(c, loop);
  }

  /**
   * At daemon shutdown: every timer ends, probes in flight are killed and waited for, and health
   * states not yet saved are saved, so the next daemon start finds them as they were.
   */
  async close(): Promise<void> {
    this.closed = true;
    const inFlight: Promise<void>[] = [];
    for (const [id, loop] of this.loops) {
      this.loops.delete(id);
      clearTimeout(loop.timer);
      loop.abort.abort();
      if (loop.inFlight) inFlight.push(loop.inFlight);
    }
    await Promise.all(inFlight);
    for (const c of this.unsaved.values()) {
      if (c.removed) continue;
      try {
        await this.deps.store.save(c.record);
      } catch (err) {
        this.deps.log.error(`container ${c.id}: saving its health state: ${errorMessage(err)}`);
      }
    }
    this.unsaved.clear();
  }
}

/** A probe's outcome in State.Health.Log's terms, with dockerd's words for a timeout. */
function probeResult(outcome: Exclude<ProbeOutcome, { kind: 'aborted' }>, start: Date, end: Date, timings: HealthTimings): ProbeResult {
  switch (outcome.kind) {
    case 'exited':
      return { start, end, exitCode: outcome.exitCode, output: outcome.output };
    case 'timeout': {
      const limit = `Health check exceeded timeout (${formatGoDuration(timings.timeoutMs * 1e6)})`;
      return { start, end, exitCode: -1, output: outcome.output ? `${limit}: ${outcome.output}` : limit };
    }
    case 'failed':
      return { start, end, exitCode: -1, output: outcome.message };
  }
}
