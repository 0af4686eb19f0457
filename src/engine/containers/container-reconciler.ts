import { stat } from 'node:fs/promises';
import { bestEffort } from '../../lib/best-effort.js';
import { NotFoundError, errorMessage } from '../../lib/errors.js';
import { Limit } from '../../lib/limit.js';
import type { RuntimeState } from '../runtime/runtime.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-roles.js';
import type { ContainerRunner } from './container-runner.js';
import { lifecycleFacts, type ContainerSupervisor } from './container-supervisor.js';
import type { ContainerTransitions } from './container-transitions.js';
import { decideAtDaemonStart, needsExitRecord, type ExitFacts, type RuntimeStatus } from './lifecycle-rules.js';
import { rootfsDirs } from './rootfs.js';

/**
 * Brings records in line with what happened while no daemon watched (live restore): runs that still
 * go are followed again; runs that ended get their real exit code from conmon's exit file (as after
 * any monitor's death when conmon died without one; 255 when the runtime knows nothing); then restart policies apply as on any exit, and `always` / `unless-stopped` (not
 * stopped by hand) containers are started, as dockerd does at boot. Leftovers of interrupted starts
 * (runc state of a never-started container, a rootfs still mounted) are cleaned.
 */
export class ContainerReconciler {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
    private readonly supervisor: ContainerSupervisor,
    private readonly transitions: ContainerTransitions,
    private readonly autoRemove: (c: Container) => void,
  ) {}

  /**
   * Containers are reconciled RECONCILE_CONCURRENCY at a time (each is independent of the others
   * until the starts at the end), with the runtime's states read once for all of them.
   */
  async reconcile(containers: Container[]): Promise<void> {
    const toStart = new Set<Container>();
    const mounted = await this.ctx.rootfs.mountPoints();
    const known = containers.length === 0 ? new Map<string, RuntimeState>()
      : await bestEffort(this.ctx.log, 'runtime states of all containers', () => this.ctx.runtime.states());
    const limit = new Limit(RECONCILE_CONCURRENCY);
    await Promise.all(containers.map((c) => limit.run(async () => {
      try {
        if (await this.reconcileOne(c, mounted, known)) toStart.add(c);
      } catch (err) {
        this.ctx.log.error(`container ${c.id}: reconcile: ${errorMessage(err)}`);
      }
    })));
    // In the records' order, as before the reconciliation ran in parallel.
    for (const c of containers) if (toStart.has(c)) this.supervisor.startAtDaemonStart(c);
  }

  /** Returns true when the container should be started now. */
  private async reconcileOne(c: Container, mounted: Set<string>, known: Map<string, RuntimeState> | undefined): Promise<boolean> {
    const { ctx } = this;
    const r = c.record;
    // The bundle dir exists from just before `runtime.create` until `runtime.delete`: without it the
    // runtime has nothing for this container, and one runc call per stopped container is saved at start.
    const mayHaveRuntime = r.state.running || (await stat(ctx.bundleDir(c.id)).then(() => true, () => false));
    const st = !mayHaveRuntime ? undefined
      : known?.get(c.id) ?? await bestEffort(ctx.log, `container ${c.id}: runtime state`, () => ctx.runtime.state(c.id));
    const exit = needsExitRecord(r.state, st?.status)
      ? await bestEffort(ctx.log, `container ${c.id}: exit record`, () => this.exitOf(c.id, st?.status))
      : undefined;
    const decision = decideAtDaemonStart(lifecycleFacts(c), r.state, st?.status, exit, new Date());
    switch (decision.action) {
      case 'adopt':
        await this.transitions.restored(c, st!.pid, decision.markStarted, decision.paused);
        c.runId++;
        this.supervisor.follow(c, c.runId);
        return false;
      case 'ended':
        await this.runner.releaseRun(c);
        // Started again by the daemon's start-up: RestartCount kept, not bumped (Docker's rule).
        await this.transitions.exited(c, decision.exit, decision.decision, false);
        return decision.decision.action === 'restart';
      case 'settle': {
        if (decision.recordExit) await this.transitions.exitRecorded(c, decision.recordExit);
        // Whatever the runtime still knows of a container not running by its record is a start that a
        // crash cut short.
        const dirs = rootfsDirs(ctx.store.dir(c.id));
        if (st) await this.runner.releaseRun(c);
        else if (mounted.has(dirs.merged)) await bestEffort(ctx.log, `container ${c.id}: rootfs unmount`, () => ctx.rootfs.unmount(dirs));
        if (decision.then === 'auto-remove') this.autoRemove(c);
        return decision.then === 'start';
      }
    }
  }

  /**
   * The exit of a run that ended while no daemon watched: conmon's record, or, when its conmon died
   * without writing one, what the runtime records for a dead monitor (the same code as while the
   * daemon runs: 137 for a killed process). Undefined when the runtime knows nothing of the run
   * (its state went with a reboot): the rules then record 255, as dockerd does.
   */
  private async exitOf(id: string, status: RuntimeStatus): Promise<ExitFacts | undefined> {
    const recorded = await this.ctx.runtime.readExit(id);
    if (recorded || (status !== 'stopped' && status !== undefined)) return recorded;
    try {
      return await this.ctx.runtime.waitExit(id, AbortSignal.timeout(LOST_EXIT_WAIT_MS));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

/** Containers reconciled at once at daemon start (their record writes and runtime calls overlap). */
const RECONCILE_CONCURRENCY = 16;

/** How long daemon start waits for the exit of a run whose process is gone (a monitor still writing it). */
const LOST_EXIT_WAIT_MS = 5_000;
