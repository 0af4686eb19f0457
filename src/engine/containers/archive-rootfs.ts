import { NotFoundError } from '../../lib/errors.js';
import type { ContainerServices } from './container-services.js';
import type { Container } from './container.js';
import { isMounted, mountRootfs, rootfsDirs, unmountRootfs } from './rootfs.js';
import { bestEffort } from '../../lib/best-effort.js';

/** A container's file systems, as the copy, diff, export and commit verbs need them. */
export interface ContainerFs {
  /**
   * The root `docker cp` works in: a running container's own view (`/proc/<pid>/root`, so its volumes
   * and binds are where the container sees them), else the mounted root filesystem.
   */
  root: string;
  /** The overlay mount of image layers + the container's layer (no volumes). */
  merged: string;
  /** The container's own layer (overlay upper dir). */
  upper: string;
  /** The image's layers, topmost first. */
  lowerDirs: string[];
  running: boolean;
}

/**
 * Runs `fn` with the container's file systems available. A running container is used as it is; a
 * stopped one has its root filesystem mounted for the duration (under the container's lock, so no
 * start or removal happens meanwhile) and unmounted after, unless it was mounted already.
 */
export async function withContainerFs<T>(engine: ContainerServices, c: Container, fn: (fs: ContainerFs) => Promise<T>): Promise<T> {
  const dirs = rootfsDirs(engine.containers.store.dir(c.id));
  const base = { merged: dirs.merged, upper: dirs.upper, lowerDirs: c.record.lowerDirs };
  const live = () => c.state.running && !c.state.restarting && c.state.pid > 0;
  if (live()) return fn({ ...base, root: `/proc/${c.state.pid}/root`, running: true });
  return c.locked(async () => {
    if (c.removed) throw new NotFoundError(`No such container: ${c.id}`);
    if (live()) return fn({ ...base, root: `/proc/${c.state.pid}/root`, running: true });
    const wasMounted = await isMounted(dirs.merged);
    await mountRootfs(dirs, c.record.lowerDirs);
    try {
      return await fn({ ...base, root: dirs.merged, running: false });
    } finally {
      if (!wasMounted) await bestEffort(engine.log, `unmounting the root filesystem of ${c.id}`, unmountRootfs(dirs));
    }
  });
}
