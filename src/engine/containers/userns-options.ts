import { chown, mkdir } from 'node:fs/promises';
import { InvalidArgumentError } from '../../lib/errors.js';
import { rootPair, type IdMapping } from '../../lib/id-mapping.js';
import type { HostConfig } from './container-types.js';

/**
 * A container under the daemon's `--userns-remap`: which containers get a user namespace, what they
 * may not share with the host then (dockerd's checks and words), and the directories of the host the
 * remapped root must reach or own (dockerd chowns the same ones).
 */

/** The user namespace of a container: the daemon's maps, unless `--userns host` opts out. */
export function usernsOf(hc: HostConfig, mapping: IdMapping | undefined): IdMapping | undefined {
  return mapping && hc.UsernsMode !== 'host' ? mapping : undefined;
}

/**
 * HostConfig.UsernsMode: "" or "host" (dockerd refuses anything else); under remap, dockerd's
 * refusals of what a remapped root cannot do: privileged mode, the host's network or PID namespace.
 */
export function checkUsernsOptions(hc: HostConfig, mapping: IdMapping | undefined): void {
  const mode = typeof hc.UsernsMode === 'string' ? hc.UsernsMode : '';
  if (mode && mode !== 'host') throw new InvalidArgumentError(`invalid USER mode: ${mode}`);
  if (!mapping || mode === 'host') return;
  if (hc.Privileged) {
    throw new InvalidArgumentError('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (hc.NetworkMode === 'host') throw new InvalidArgumentError("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === 'host') throw new InvalidArgumentError('cannot share the host PID namespace when user namespaces are enabled');
}

/** Gives `path` to the remapped root (no-op without remap). */
export async function giveToRemappedRoot(path: string, mapping: IdMapping | undefined): Promise<void> {
  if (!mapping) return;
  const { uid, gid } = rootPair(mapping);
  await chown(path, uid, gid);
}

/**
 * Lets the remapped root pass through `dir` (0710, group of the remapped root), as dockerd sets the
 * containers directory and each container's: the runtime reaches the root filesystem and the /etc
 * files there as the container's root.
 */
export async function letRemappedRootPass(dir: string, mapping: IdMapping | undefined): Promise<void> {
  if (!mapping) return;
  await chown(dir, process.getuid?.() ?? 0, rootPair(mapping).gid);
}

/**
 * A new container's directory under remap: passable by the remapped root, and its writable layer owned
 * by it (the upper dir gives the container's `/` its owner, so root in the container owns its `/`).
 */
export async function prepareContainerDir(dir: string, upper: string, mapping: IdMapping | undefined): Promise<void> {
  if (!mapping) return;
  await letRemappedRootPass(dir, mapping);
  await mkdir(upper, { recursive: true, mode: 0o755 });
  await giveToRemappedRoot(upper, mapping);
}
