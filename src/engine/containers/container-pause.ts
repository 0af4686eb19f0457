import { ConflictError, NotFoundError, SystemError, errorMessage } from '../../lib/errors.js';
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
  async pause(c: Container): Promise<void> {
    await c.locked(async () => {
      const refused = pauseRefusal(c.state, c.id);
      if (refused) throw refused;
      try {
        await this.ctx.runtime.pause(c.id);
      } catch (err) {
        throw new SystemError(`Cannot pause container ${c.id}: ${errorMessage(err)}`, { cause: err });
      }
      await this.transitions.pausedOrResumed(c, true);
    });
  }

  /** POST /containers/{id}/unpause. */
  async unpause(c: Container): Promise<void> {
    await c.locked(async () => {
      const refused = unpauseRefusal(c.state, c.id);
      if (refused) throw refused;
      try {
        await this.ctx.runtime.resume(c.id);
      } catch (err) {
        throw new SystemError(`Cannot unpause container ${c.id}: ${errorMessage(err)}`, { cause: err });
      }
      await this.transitions.pausedOrResumed(c, false);
    });
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
