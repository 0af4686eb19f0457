// Tombstones: how online garbage collection and manifest pushes agree on what may be deleted, with no
// lock (several registry processes share one storage). Before deleting a blob, a layer link or a
// manifest revision, a collector writes a tombstone beside it (`<dir>/gc-deleting.<expires>.<run>`),
// then looks for manifests written since its mark; a manifest push writes its revision link first,
// then looks for tombstones on everything it references. Each side writes, then reads what the other
// writes, so at least one of them sees the other: the collector keeps the object, or the push fails
// with MANIFEST_BLOB_UNKNOWN. docs/registry-gc.md has the whole argument.
import { PathNotFoundError } from '../base/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import type { ParsedManifest } from './manifest-parse.js';
import { layout } from './layout.js';

const PREFIX = 'gc-deleting.';
/**
 * Clocks of the hosts sharing a storage may differ by this much: a push treats a tombstone as live
 * this long past its expiry, and a collector stops deleting this long before it.
 */
export const CLOCK_SKEW_MS = 60_000;

/** The file name of a collector's tombstone, live until `expiresMs` (epoch milliseconds). */
export function tombstoneName(expiresMs: number, run: string): string {
  return `${PREFIX}${Math.ceil(expiresMs)}.${run}`;
}

/** Whether a directory entry (a full path or a base name) is a tombstone still in force at `now`. */
export function isLiveTombstone(entry: string, now: number): boolean {
  const base = entry.slice(entry.lastIndexOf('/') + 1);
  if (!base.startsWith(PREFIX)) return false;
  const expires = Number(base.slice(PREFIX.length).split('.')[0]);
  return !Number.isFinite(expires) || now < expires + CLOCK_SKEW_MS;
}

export function isTombstone(entry: string): boolean {
  return entry.slice(entry.lastIndexOf('/') + 1).startsWith(PREFIX);
}

/** The directory of a layer link (`.../_layers/<alg>/<hex>`). */
export function layerLinkDir(name: string, digest: string): string {
  return layout.layerLink(name, digest).replace(/\/link$/, '');
}

async function entries(driver: StorageDriver, dir: string): Promise<string[]> {
  try {
    return await driver.list(dir);
  } catch (err) {
    if (err instanceof PathNotFoundError) return [];
    throw err;
  }
}

/**
 * Whether `dir/file` is there once no collector is deciding about it: while a live tombstone sits in
 * `dir`, looks again every 100 ms for up to `waitMs` (the collector either removes its tombstone and
 * keeps the file, or deletes the file first). Still tombstoned after that counts as absent.
 */
export async function presentWhenSettled(driver: StorageDriver, dir: string, file: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const list = await entries(driver, dir);
    if (!list.some((e) => isLiveTombstone(e, Date.now()))) return list.includes(`${dir}/${file}`);
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The check a manifest push makes after writing its revision link: its own revision and blob, every
 * blob it references (data, and a link in `name`) and every manifest it lists are still there and
 * not being deleted. Returns the digests that are not (empty when all are).
 */
export async function missingAfterWrite(driver: StorageDriver, name: string, digest: string, parsed: ParsedManifest,
  waitMs: number): Promise<string[]> {
  const here = (d: string) => presentWhenSettled(driver, layout.blobDir(d), 'data', waitMs);
  const linked = async (d: string) => await presentWhenSettled(driver, layerLinkDir(name, d), 'link', waitMs)
    || await presentWhenSettled(driver, layout.manifestRevisionDir(name, d), 'link', waitMs);
  const revision = (d: string) => presentWhenSettled(driver, layout.manifestRevisionDir(name, d), 'link', waitMs);
  const checks: Array<[string, Promise<boolean>]> = [
    [digest, Promise.all([revision(digest), here(digest)]).then(([a, b]) => a && b)],
    ...parsed.blobs.map((d): [string, Promise<boolean>] => [d.digest, Promise.all([here(d.digest), linked(d.digest)]).then(([a, b]) => a && b)]),
    ...parsed.manifests.map((d): [string, Promise<boolean>] => [d.digest, Promise.all([here(d.digest), revision(d.digest)]).then(([a, b]) => a && b)]),
  ];
  const present = await Promise.all(checks.map(([, ok]) => ok));
  return checks.filter((_, i) => !present[i]).map(([d]) => d);
}
