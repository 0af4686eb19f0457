import type { Engine } from '../engine.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { ConmonRuntime } from '../runtime/conmon-runtime.js';

/** The runtime the manager drives: conmon + runc, state under the daemon's exec root. */
export async function openRuntime(engine: Engine): Promise<ContainerRuntime> {
  return new ConmonRuntime({ execRoot: engine.config.execRoot, log: engine.log });
}
