import { humanSize } from '../base/units.js';

/** docker's prune report: the deleted objects under a title, then the space reclaimed. */
export function pruneReport(title: string, deleted: string[], space?: number): string {
  let out = '';
  if (deleted.length) out += `${title}:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
  if (space !== undefined) out += `Total reclaimed space: ${humanSize(space)}\n`;
  return out;
}
