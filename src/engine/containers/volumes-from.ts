import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import type { MountPoint } from './mount-point.js';

/** `--volumes-from` modes: read-write, SELinux labels; no propagation or copy mode (dockerd's rule). */
const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);

/** One `--volumes-from <container>[:mode]`, as dockerd's ParseVolumesFrom reads it. */
export function parseVolumesFrom(spec: string): { container: string; readOnly: boolean } {
  if (spec === '') throw new InvalidArgumentError('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const container = colon < 0 ? spec : spec.slice(0, colon);
  const mode = colon < 0 ? '' : spec.slice(colon + 1);
  let rw = 0;
  let label = 0;
  for (const o of mode === '' ? [] : mode.split(',')) {
    if (RW_MODES.has(o)) rw++;
    else if (LABEL_MODES.has(o)) label++;
    else throw new InvalidArgumentError(`invalid mode: ${mode}`);
    if (rw > 1 || label > 1) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  }
  return { container, readOnly: mode.split(',').includes('ro') };
}

/**
 * The mounts a new container takes from others (HostConfig.VolumesFrom): each one's volumes and binds
 * at the same destinations, read-only when the source's is or `:ro` is given (`:rw` cannot make a
 * read-only mount writable), as dockerd copies them. tmpfs mounts are not shared (dockerd keeps them
 * out of a container's mount points too). A later entry wins a destination; the caller lets the new
 * container's own binds and mounts win over all of them. An unknown container is the caller's
 * mistake: InvalidArgumentError `No such container: x` (400, as dockerd answers).
 */
export function mountsFromContainers(specs: string[] | null | undefined, lookup: (ref: string) => { mounts: MountPoint[] }): MountPoint[] {
  const byDestination = new Map<string, MountPoint>();
  for (const spec of specs ?? []) {
    const { container, readOnly } = parseVolumesFrom(spec);
    let source: { mounts: MountPoint[] };
    try {
      source = lookup(container);
    } catch (err) {
      if (err instanceof NotFoundError) throw new InvalidArgumentError(err.message);
      throw err;
    }
    for (const m of source.mounts) {
      if (m.Type === 'tmpfs') continue;
      byDestination.set(m.Destination, {
        Type: m.Type, ...(m.Name ? { Name: m.Name } : {}), Source: m.Source, Destination: m.Destination,
        ...(m.Driver ? { Driver: m.Driver } : {}), Mode: '', RW: m.RW && !readOnly, Propagation: m.Propagation,
        ...(m.named !== undefined ? { named: m.named } : {}), copyData: false,
        ...(m.createSource ? { createSource: true } : {}),
      });
    }
  }
  return [...byDestination.values()];
}
