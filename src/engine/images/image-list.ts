// `docker images` and `docker image prune`: which images a set of filters selects.
import { InvalidArgumentError } from '../../lib/errors.js';
import { labelMatches } from '../../lib/label-filter.js';
import { familiarName, familiarString, parseReference, type ImageReference } from '../../lib/image-reference.js';
import { parseFilterTime } from '../../lib/time-filter.js';
import { deleteImage, type DeleteRecord } from './image-delete.js';
import type { ImageRecord, ImageStore } from './image-store.js';

export const LIST_FILTERS = ['dangling', 'label', 'reference', 'before', 'since', 'until'] as const;
export const PRUNE_FILTERS = ['dangling', 'label', 'label!', 'until'] as const;

/** Images for GET /images/json, newest first. Without `all`, untagged images that have children are hidden. */
export function listImages(store: ImageStore, options: { all: boolean; filters: Map<string, string[]> }): ImageRecord[] {
  const { filters } = options;
  const dangling = boolFilter(filters, 'dangling');
  const before = filters.get('before')?.map((r) => createdOf(store, r));
  const since = filters.get('since')?.map((r) => createdOf(store, r));
  const until = filters.get('until')?.map((v) => parseFilterTime(v));
  const references = filters.get('reference');
  let images = store.list();
  images = images.filter((img) => {
    if (dangling !== undefined && (img.repoTags.length === 0) !== dangling) return false;
    if (!options.all && img.repoTags.length === 0 && img.repoDigests.length === 0 && store.children(img.id).length > 0) return false;
    if (!matchLabels(img, filters.get('label') ?? [], true)) return false;
    const created = Date.parse(img.created) || 0;
    if (before && before.some((t) => created >= t)) return false;
    if (since && since.some((t) => created <= t)) return false;
    if (until && until.some((t) => created >= t)) return false;
    return true;
  });
  if (references) {
    images = images.flatMap((img) => {
      const tags = img.repoTags.filter((t) => references.some((p) => matchReference(p, t)));
      const digests = img.repoDigests.filter((d) => references.some((p) => matchReference(p, d)));
      return tags.length || digests.length ? [{ ...img, repoTags: tags, repoDigests: digests }] : [];
    });
  }
  return images.sort((a, b) => (Date.parse(b.created) || 0) - (Date.parse(a.created) || 0));
}

/**
 * Deletes unused images: dangling ones (default), or every image no container uses (`dangling=false`).
 * Returns the records and the bytes of layers removed.
 */
export async function pruneImages(store: ImageStore, filters: Map<string, string[]>): Promise<{ records: DeleteRecord[]; reclaimed: number }> {
  const danglingOnly = boolFilter(filters, 'dangling') ?? true;
  const until = filters.get('until')?.map((v) => parseFilterTime(v));
  const records: DeleteRecord[] = [];
  let reclaimed = 0;
  for (const img of store.list()) {
    if (!store.has(img.id)) continue; // gone with an earlier one
    if (danglingOnly && img.repoTags.length > 0) continue;
    if (store.usage(img.id).length > 0 || store.children(img.id).length > 0) continue;
    if (!matchLabels(img, filters.get('label') ?? [], true) || !matchLabels(img, filters.get('label!') ?? [], false)) continue;
    const created = Date.parse(img.created) || 0;
    if (until && until.some((t) => created >= t)) continue;
    const sizes = new Map(store.layerStore.all().map((l) => [l.chainId, l.size]));
    const deleted = await deleteImage(store, img.id, { force: true, prune: true });
    for (const r of deleted) if ('Deleted' in r) reclaimed += sizes.get(r.Deleted) ?? 0;
    records.push(...deleted);
  }
  return { records, reclaimed };
}

function boolFilter(filters: Map<string, string[]>, name: string): boolean | undefined {
  const values = filters.get(name);
  if (!values || values.length === 0) return undefined;
  const parsed = values.map((v) => {
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    throw new InvalidArgumentError(`Invalid filter '${name}=${v}'`);
  });
  if (parsed.some((p) => p !== parsed[0])) throw new InvalidArgumentError(`Invalid filter '${name}'`);
  return parsed[0];
}

/** `label=key` or `label=key=value`: all must match (`want`), or none (`label!`). */
function matchLabels(img: ImageRecord, specs: string[], want: boolean): boolean {
  const labels = img.config.config?.Labels ?? {};
  const matches = (spec: string): boolean => labelMatches(labels, spec);
  return want ? specs.every(matches) : !specs.some(matches);
}

function createdOf(store: ImageStore, ref: string): number {
  return Date.parse(store.get(store.resolveId(ref)).created) || 0;
}

/** Docker's reference filter: a path.Match pattern against the familiar name, or name:tag. */
function matchReference(pattern: string, familiar: string): boolean {
  let ref: ImageReference;
  try {
    ref = parseReference(familiar);
  } catch {
    return false;
  }
  const re = globToRegExp(pattern);
  return re.test(familiarString(ref)) || re.test(familiarName(ref));
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return /$^/;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '\\^' + cls.slice(1);
      source += `[${cls.startsWith('!') ? '^' + cls.slice(1) : cls}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) source += '\\' + pattern[++i];
    else source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
