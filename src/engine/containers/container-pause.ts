import { ConflictError, NotFoundError, SystemError, errorMessage } from '../../lib/errors.js';
import { bestEffort } from '../../lib/best-effort.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-roles.js';
import type { ContainerTransitions } from './container-transitions.js';
import { pauseRefusal, unpauseRefusal } from './pause-rules.js';

/**
 * `docker pause` / `docker unpause`: the runtime freezes or thaws every process of the container
 * (runc pause/resume: the cgroup freezer), and the change passes the transitions (State.Paused, the
 * record, the `pause` / `unpause` listeners). Rules and messages are in pause-rules.ts. Each takes the
 * container's lock.
 */
export class ContainerPauser {
  constructor(
    private readonly ctx: Pick<ContainerContext, 'runtime' | 'log'>,
    private readonly transitions: ContainerTransitions,
  ) {}

  /** POST /containers/{id}/pause. */
  pause(c: Container): Promise<void> {
    return this.freeze(c, true);
  }

  /** POST /containers/{id}/unpause. */
  unpause(c: Container): Promise<void> {
    return this.freeze(c, false);
  }

  /** Freezes (`paused`) or thaws the container's processes, with dockerd's refusals and messages. */
  private async freeze(c: Container, paused: boolean): Promise<void> {
    await c.locked(async () => {
      const refused = paused ? pauseRefusal(c.state, c.id) : unpauseRefusal(c.state, c.id);
      if (refused) throw refused;
      try {
        await (paused ? this.ctx.runtime.pause(c.id) : this.ctx.runtime.resume(c.id));
      } catch (err) {
        throw new SystemError(`Cannot ${paused ? 'pause' : 'unpause'} container ${c.id}: ${errorMessage(err)}`, { cause: err });
      }
      await this.transitions.pausedOrResumed(c, paused);
    });
  }

  /**
   * Runs `work` with the container frozen while it runs (`docker commit`'s `pause`, true by default):
   * as dockerd, a container that cannot be paused (not running, already paused) is worked on as it is,
   * and one this call paused is unpaused afterwards unless something else thawed it meanwhile.
   */
  async whilePaused<T>(c: Container, work: () => Promise<T>): Promise<T> {
    const paused = !pauseRefusal(c.state, c.id)
      && (await bestEffort(this.ctx.log, `container ${c.id}: pause`, () => this.pause(c).then(() => true))) === true;
    try {
      return await work();
    } finally {
      if (paused && c.state.paused) await bestEffort(this.ctx.log, `container ${c.id}: unpause`, () => this.unpause(c));
    }
  }

  /**
   * After a signal that ends the container was sent to it while paused (lock held): thaw it so that it
   * acts on the signal, as dockerd does. A container that is no longer paused (runc thaws one for
   * SIGKILL itself) or no longer exists is what was wanted; another failure is logged, as dockerd's
   * warning, and the container stays paused.
   */
  async resumeAfterSignal(c: Container): Promise<void> {
    try {
      await this.ctx.runtime.resume(c.id);
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) {
        this.ctx.log.warn(`container ${c.id}: cannot unpause after a signal: ${errorMessage(err)}`);
        return;
      }
    }
    await this.transitions.pausedOrResumed(c, false);
  }
}
