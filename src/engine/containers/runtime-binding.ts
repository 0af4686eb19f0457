import type { Engine } from '../engine.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { UnavailableError } from '../../lib/errors.js';

/**
 * The runtime the manager drives. Until the conmon + runc runtime is wired in, every operation that
 * needs a process answers 503.
 */
export async function openRuntime(_engine: Engine): Promise<ContainerRuntime> {
  const unavailable = async (): Promise<never> => {
    throw new UnavailableError('the container runtime is not available');
  };
  return {
    create: unavailable, start: unavailable, kill: unavailable, waitExit: unavailable, delete: async () => {},
    state: async () => undefined, readExit: async () => undefined,
  };
}
