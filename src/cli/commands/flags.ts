/**
 * Flag helpers every command group uses: repeatable flags and "k=v" lists, as docker's pflag
 * StringSlice/List options read them.
 */

/** commander's accumulator for a repeatable flag: each occurrence is appended. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** "k=v" flags into a map; a bare key maps to "". */
export function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
