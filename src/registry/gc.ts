// Garbage collection (mark and sweep, like distribution's `registry garbage-collect`): marks every blob
// that a kept manifest references (config, layers, listed manifests, and the manifests themselves),
// then deletes the other blobs. Blobs of pushes in progress are kept too: those linked in a repository
// that has an open upload, and those linked less than `gracePeriodMs` ago (a push uploads its blobs
// before its manifest). With deleteUntagged, manifests no tag reaches (directly, through an index, or
// as a referrer of a kept manifest) are deleted first. Uploads abandoned for a week are removed.
import { parseDigest } from '../lib/oci-digest.js';
import { listRepositories } from './content/catalog.js';
import { layout } from './content/layout.js';
import { parseManifest } from './content/manifest-parse.js';
import type { Registry } from './content/registry.js';
import { walkFiles, type StorageDriver } from './storage/driver.js';
import { PathNotFoundError } from './base/errors.js';
import { bestEffort } from '../lib/best-effort.js';

export interface GcOptions {
  dryRun?: boolean;
  deleteUntagged?: boolean;
  /** Blobs linked into a repository more recently than this are kept (default one hour). */
  gracePeriodMs?: number;
  /** Uploads started longer ago than this are abandoned and removed (default 7 days, as distribution's uploadpurging). */
  uploadMaxAgeMs?: number;
  log?: (line: string) => void;
}

export interface GcResult {
  marked: string[];
  deletedBlobs: string[];
  deletedManifests: Array<{ repository: string; digest: string }>;
  purgedUploads: Array<{ repository: string; id: string }>;
}

export async function garbageCollect(registry: Registry, options: GcOptions = {}): Promise<GcResult> {
  const { driver, manifests } = registry;
  const log = options.log ?? (() => {});
  // A repository gc cannot read is skipped and told, not counted as an error of the whole run.
  const warnings = { warn: log };
  const grace = options.gracePeriodMs ?? 60 * 60 * 1000;
  const marked = new Set<string>();
  const result: GcResult = { marked: [], deletedBlobs: [], deletedManifests: [], purgedUploads: [] };
  const maxUploadAge = options.uploadMaxAgeMs ?? 7 * 24 * 3600 * 1000;
  const layerLinks: Array<{ repository: string; digest: string; path: string }> = [];

  for (const name of await listRepositories(driver, ['_manifests', '_layers', '_uploads'])) {
    const revisions = await manifests.revisions(name);
    const parsed = new Map<string, ReturnType<typeof parseManifest> | undefined>();
    for (const digest of revisions) {
      try {
        const stored = await manifests.get(name, digest);
        parsed.set(digest, parseManifest(stored.content, stored.mediaType));
      } catch {
        parsed.set(digest, undefined); // unreadable: keep its own blob, reference nothing
      }
    }
    let keep = new Set(revisions);
    if (options.deleteUntagged) {
      keep = new Set();
      for (const tag of (await bestEffort(warnings, `${name}: listing tags`, manifests.tags(name))) ?? []) {
        const digest = await bestEffort(warnings, `${name}: tag ${tag}`, manifests.resolveTag(name, tag));
        if (digest && parsed.has(digest)) keep.add(digest);
      }
      // Close over index children and referrers of what is kept.
      for (let changed = true; changed;) {
        changed = false;
        for (const [digest, m] of parsed) {
          if (keep.has(digest)) {
            for (const child of m?.manifests ?? []) if (parsed.has(child.digest) && !keep.has(child.digest)) { keep.add(child.digest); changed = true; }
          } else if (m?.subject && keep.has(m.subject.digest)) { keep.add(digest); changed = true; }
        }
      }
    }
    for (const digest of revisions) {
      if (keep.has(digest)) {
        marked.add(digest);
        const m = parsed.get(digest);
        for (const d of [...(m?.blobs ?? []), ...(m?.manifests ?? [])]) marked.add(d.digest);
        continue;
      }
      log(`${name}: manifest ${digest} is untagged${options.dryRun ? ' (would delete)' : ', deleting'}`);
      result.deletedManifests.push({ repository: name, digest });
      if (!options.dryRun) await manifests.delete(name, digest).catch((err) => log(`${name}: ${digest}: ${(err as Error).message}`));
    }
    let uploading = false;
    for (const dir of await listIfExists(driver, layout.uploadsDir(name))) {
      const id = dir.slice(dir.lastIndexOf('/') + 1);
      let started = 0;
      try { started = Date.parse((await driver.getContent(layout.uploadStartedAt(name, id), 1024)).toString()); } catch { /* no date: treat as old */ }
      if (Number.isFinite(started) && Date.now() - started < maxUploadAge) { uploading = true; continue; }
      log(`${name}: upload ${id} is abandoned${options.dryRun ? ' (would delete)' : ', deleting'}`);
      result.purgedUploads.push({ repository: name, id });
      if (!options.dryRun) await bestEffort(warnings, `${name}: deleting upload ${id}`, driver.delete(dir));
    }
    await walkFiles(driver, layout.layersDir(name), (info) => {
      if (!info.path.endsWith('/link')) return;
      const parts = info.path.split('/');
      const digest = `${parts[parts.length - 3]}:${parts[parts.length - 2]}`;
      try { parseDigest(digest); } catch { return; }
      layerLinks.push({ repository: name, digest, path: info.path });
      if (uploading || Date.now() - info.modTime.getTime() < grace) marked.add(digest);
    });
  }

  result.marked = [...marked].sort();
  log(`${marked.size} blobs marked`);
  await walkFiles(driver, layout.blobsRoot, async (info) => {
    if (!info.path.endsWith('/data')) return;
    const parts = info.path.split('/');
    const digest = `${parts[parts.length - 4]}:${parts[parts.length - 2]}`;
    try { parseDigest(digest); } catch { return; }
    if (marked.has(digest)) return;
    log(`blob ${digest} is unreferenced${options.dryRun ? ' (would delete)' : ', deleting'}`);
    result.deletedBlobs.push(digest);
    if (!options.dryRun) await driver.delete(layout.blobDir(digest));
  });
  if (!options.dryRun) {
    const deleted = new Set(result.deletedBlobs);
    for (const link of layerLinks) {
      if (deleted.has(link.digest)) await bestEffort(warnings, `${link.repository}: unlinking layer ${link.digest}`, driver.delete(link.path.replace(/\/link$/, '')));
    }
  }
  return result;
}

/** The entries of a directory; none when it does not exist (a repository without uploads). */
async function listIfExists(driver: StorageDriver, path: string): Promise<string[]> {
  try {
    return await driver.list(path);
  } catch (err) {
    if (err instanceof PathNotFoundError) return [];
    throw err;
  }
}
