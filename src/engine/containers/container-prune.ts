import type { WarningSink } from '../../lib/best-effort.js';
import { errorMessage } from '../../lib/errors.js';
import { labelMatches } from '../../lib/label-filter.js';
import { parseFilterTime } from '../../lib/time-filter.js';
import { dirSize } from '../volumes/dir-size.js';
import type { Container } from './container.js';

export interface PruneReport {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/**
 * POST /containers/prune: removes every container that is not running and matches the filters
 * (`until`, `label`, `label!`). Returns the IDs and the bytes their writable layers held. A container
 * that cannot be removed is told to the log and left out of the report, as dockerd does.
 */
export async function pruneContainers(
  containers: Container[], filters: Map<string, string[]>,
  deps: { upperDir(id: string): string; remove(id: string): Promise<void>; log: WarningSink },
): Promise<PruneReport> {
  const until = filters.get('until')?.map((v) => parseFilterTime(v));
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const c of containers) {
    if (c.state.running || c.state.removing) continue;
    const created = Date.parse(c.record.created);
    if (until && !until.every((t) => created < t)) continue;
    const l = c.record.config.Labels ?? {};
    if (!labels.every((f) => labelMatches(l, f)) || notLabels.some((f) => labelMatches(l, f))) continue;
    const size = await dirSize(deps.upperDir(c.id));
    try {
      await deps.remove(c.id);
    } catch (err) {
      deps.log.warn(`prune: container ${c.id}: ${errorMessage(err)}`);
      continue;
    }
    deleted.push(c.id);
    reclaimed += size;
  }
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
