/**
 * Docker's `label` filter on containers, images, networks and volumes: `key` matches an object that has
 * the label (any value), `key=value` one whose label has exactly that value. Only the object's own
 * labels count (a filter named like an Object.prototype member matches nothing by accident).
 */
export function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  const key = filter.slice(0, eq);
  return Object.hasOwn(labels, key) && labels[key] === filter.slice(eq + 1);
}
