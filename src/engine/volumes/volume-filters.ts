import { InvalidArgumentError } from '../../lib/errors.js';
import { labelMatches } from '../../lib/label-filter.js';

/** What a filter needs to know about one volume. */
export interface FilterSubject {
  name: string;
  driver: string;
  labels: Record<string, string>;
  inUse: boolean;
}

export const LIST_FILTERS = ['dangling', 'name', 'driver', 'label'] as const;
export const PRUNE_FILTERS = ['label', 'label!', 'all'] as const;

/** The label Docker (23+) puts on a volume it named itself; prune only removes these unless all=true. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/**
 * Builds the predicate of `GET /volumes` and `POST /volumes/prune` from parsed filters: values of one
 * key are alternatives (OR), different keys must all hold (AND), as in Docker.
 */
export function volumeMatcher(filters: Map<string, string[]>): (v: FilterSubject) => boolean {
  const checks: ((v: FilterSubject) => boolean)[] = [];
  const drivers = filters.get('driver');
  if (drivers?.length) checks.push((v) => drivers.includes(v.driver));
  const names = filters.get('name');
  if (names?.length) {
    const patterns = names.map(toPattern);
    checks.push((v) => patterns.some((p) => p(v.name)));
  }
  // Every label filter must match (Docker ANDs label filters).
  for (const label of filters.get('label') ?? []) checks.push((v) => labelMatches(v.labels, label));
  for (const label of filters.get('label!') ?? []) checks.push((v) => !labelMatches(v.labels, label));
  const dangling = filters.get('dangling');
  if (dangling?.length) {
    const want = parseBool('dangling', dangling);
    checks.push((v) => v.inUse !== want);
  }
  return (v) => checks.every((check) => check(v));
}

/** Adds Docker 23+'s prune default: only anonymous volumes, unless the caller says all=true. */
export function pruneFilters(filters: Map<string, string[]>): Map<string, string[]> {
  const out = new Map(filters);
  const all = out.get('all');
  out.delete('all');
  if (all && all.length > 1) throw new InvalidArgumentError(`invalid filter 'all=${all.join(',')}': only one value is expected`);
  if (all && all.length === 1 && parseBool('all', all)) return out;
  out.set('label', [...(out.get('label') ?? []), ANONYMOUS_LABEL]);
  return out;
}

/** Docker matches names as unanchored regular expressions; a pattern that does not compile matches as text. */
function toPattern(value: string): (name: string) => boolean {
  try {
    const re = new RegExp(value);
    return (name) => re.test(name);
  } catch {
    return (name) => name.includes(value);
  }
}

function parseBool(key: string, values: string[]): boolean {
  const v = values[0].toLowerCase();
  if (values.length === 1 && ['1', 'true', 't'].includes(v)) return true;
  if (values.length === 1 && ['0', 'false', 'f'].includes(v)) return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${values.join(',')}'`);
}
