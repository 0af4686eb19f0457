/**
 * Docker's last way to name an object: a prefix of its ID that only one object has. Returns the
 * one match, undefined when none matches (or the prefix is empty), and calls `ambiguous` with the
 * number of matches when several do, so each resource keeps Docker's own wording for that error.
 */
export function findByIdPrefix<T>(
  entries: Iterable<readonly [id: string, value: T]>, prefix: string, ambiguous: (matches: number) => Error,
): T | undefined {
  if (!prefix) return undefined;
  let found: T | undefined;
  let matches = 0;
  for (const [id, value] of entries) {
    if (!id.startsWith(prefix)) continue;
    matches++;
    found = value;
  }
  if (matches > 1) throw ambiguous(matches);
  return found;
}
