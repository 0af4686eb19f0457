import { ConflictError, UnknownError } from '../../lib/errors.js';
import type { ContainerState } from './container-types.js';
import { stateName } from './container-state.js';
import { signalCancelsRestart } from './lifecycle-rules.js';

/**
 * Docker's rules for `docker pause` / `docker unpause` and for what a paused container allows, as
 * pure functions (facts in, the refusal or the decision out), in dockerd's words and error kinds.
 */

/** What the rules read of a container's state. */
export type PauseFacts = Pick<ContainerState, 'running' | 'paused' | 'restarting'>;

/** Why a container cannot be paused (409 each, as dockerd), or undefined when it can. */
export function pauseRefusal(state: PauseFacts, id: string): ConflictError | undefined {
  if (!state.running) return new ConflictError(`Container ${id} is not running`);
  if (state.paused) return new ConflictError(`Container ${id} is already paused`);
  if (state.restarting) return new ConflictError(`Container ${id} is restarting, wait until the container is running`);
  return undefined;
}

/** Why a container cannot be unpaused: dockerd answers 500 (an error of no kind) for one not paused. */
export function unpauseRefusal(state: PauseFacts, id: string): UnknownError | undefined {
  if (!state.paused) return new UnknownError(`Container ${id} is not paused`);
  return undefined;
}

/**
 * Whether a signal sent by hand to a paused container thaws it afterwards, so that it can act on the
 * signal and die: exactly when the signal makes the next exit final (dockerd's `killWithSignal`).
 * Any other signal waits, pending, until `docker unpause`.
 */
export function signalResumes(state: PauseFacts, signal: number, stopSignal: string | undefined): boolean {
  return state.paused && signalCancelsRestart(signal, stopSignal);
}

/**
 * Why `docker rm` without force refuses a container that runs, in the words dockerd 20.10 uses and
 * clients match on ("You cannot remove a running container"; 409): a paused one must be unpaused and
 * stopped, a running or restarting one stopped. Undefined when it is not running.
 */
export function removalRefusal(state: ContainerState, id: string): ConflictError | undefined {
  if (!state.running) return undefined;
  const procedure = state.paused ? 'Unpause and then stop the container before attempting removal or force remove'
    : 'Stop the container before attempting removal or force remove';
  return new ConflictError(`You cannot remove a ${stateName(state)} container ${id}. ${procedure}`);
}
