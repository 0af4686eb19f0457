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
 * Why `docker rm` without force refuses a container that runs (moby 25+'s words, 409, naming the
 * container as the client did): a paused one must be unpaused first; a running or restarting one
 * stopped. Undefined when it is not running.
 */
export function removalRefusal(state: ContainerState, name: string): ConflictError | undefined {
  if (!state.running) return undefined;
  const why = state.paused ? 'container is paused and must be unpaused first'
    : `container is ${stateName(state)}: stop the container before removing or force remove`;
  return new ConflictError(`cannot remove container "${name}": ${why}`);
}
