import { errorMessage } from '../../lib/errors.js';
import type { ExitInfo } from '../runtime/runtime.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-roles.js';
import type { ContainerRunner } from './container-runner.js';
import type { ContainerTransitions } from './container-transitions.js';
import { decideExit, unknownExit, type LifecycleFacts } from './lifecycle-rules.js';

/**
 * Follows each run until its process exits, then applies the exit rules: restart after the back-off
 * or stay stopped. While the daemon shuts down exits are left alone: the next daemon start reads them
 * from conmon's exit files.
 */
export class ContainerSupervisor {
  private closing = false;

  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
    private readonly transitions: ContainerTransitions,
  ) {}

  get closed(): boolean {
    return this.closing;
  }

  /** Starts a run (lock held) and follows it. */
  async run(c: Container): Promise<void> {
    await this.runner.run(c);
    this.follow(c, c.runId);
  }

  /** Follows run `runId` until its process exits (conmon's exit file), then handles the exit. */
  follow(c: Container, runId: number): void {
    this.ctx.runtime.waitExit(c.id).then(
      (exit) => this.onExit(c, runId, exit),
      (err) => {
        if (this.closing) return;
        this.ctx.log.error(`container ${c.id}: lost track of its process: ${errorMessage(err)}`);
        return this.onExit(c, runId, unknownExit(new Date()));
      },
    ).catch((err) => this.ctx.log.error(`container ${c.id}: exit handling failed: ${errorMessage(err)}`));
  }

  /** Stops following (daemon shutdown): pending restarts are dropped, exits are left to the next start. */
  close(containers: Iterable<Container>): void {
    this.closing = true;
    for (const c of containers) this.cancelRestart(c);
  }

  cancelRestart(c: Container): void {
    clearTimeout(c.restartTimer);
    c.restartTimer = undefined;
  }

  /** Starts a run at daemon start (a pending restart, or the policy of a stopped container). */
  startAtDaemonStart(c: Container): void {
    void c.locked(async () => {
      if (c.removed || c.state.running && !c.state.restarting) return;
      try {
        await this.run(c);
      } catch (err) {
        this.ctx.log.error(`container ${c.id}: restart at daemon start failed: ${errorMessage(err)}`);
      }
    });
  }

  /** A run ended: give back what it held, then restart it (policy + back-off) or mark it stopped. */
  private async onExit(c: Container, runId: number, exit: ExitInfo): Promise<void> {
    if (this.closing) return;
    await c.locked(async () => {
      if (this.closing || c.removed || c.runId !== runId || !c.state.running || c.state.restarting) return;
      await this.runner.releaseRun(c);
      const decision = decideExit(lifecycleFacts(c), exit);
      await this.transitions.exited(c, exit, decision);
      if (decision.action === 'restart') this.scheduleRestart(c, decision.delayMs);
    });
  }

  private scheduleRestart(c: Container, delayMs: number): void {
    clearTimeout(c.restartTimer);
    c.restartTimer = setTimeout(() => {
      c.restartTimer = undefined;
      void c.locked(async () => {
        if (this.closing || c.removed || !c.state.restarting) return;
        try {
          await this.run(c);
        } catch (err) {
          // The failed start is recorded (stopped, with State.Error) by the runner.
          this.ctx.log.error(`container ${c.id}: restart failed: ${errorMessage(err)}`);
        }
      });
    }, delayMs);
  }
}

/** What the lifecycle rules read of a container. */
export function lifecycleFacts(c: Container): LifecycleFacts {
  const r = c.record;
  return {
    policy: r.hostConfig.RestartPolicy, autoRemove: Boolean(r.hostConfig.AutoRemove),
    manuallyStopped: r.hasBeenManuallyStopped, restartCount: r.restartCount,
    hasBeenStartedBefore: r.hasBeenStartedBefore, startedAt: r.state.startedAt, backoff: c.backoff,
  };
}
