// The mark phase of garbage collection: reads every repository's manifests, tags, layer links and
// uploads, and finds what may go — untagged manifests (with deleteUntagged), layer links no manifest
// of their repository references, blobs nothing references — each only when older than the grace
// period. Uploads idle for longer than their maximum age are purged here. Nothing else is deleted.
import { bestEffort, type WarningSink } from '../lib/best-effort.js';
import { parseDigest } from '../lib/oci-digest.js';
import { PathNotFoundError, RegistryError } from './base/errors.js';
import { listRepositories } from './content/catalog.js';
import { layout } from './content/layout.js';
import { parseManifest, type ParsedManifest } from './content/manifest-parse.js';
import type { Registry } from './content/registry.js';
import { isLiveTombstone, isTombstone } from './content/tombstones.js';
import { walkFiles, type StorageDriver } from './storage/driver.js';
import { purgeIdleUploads } from './content/upload-purge.js';

/** Something the sweep may delete: a manifest revision, a layer link of a repository, or a blob. */
export type Candidate =
  | { kind: 'manifest'; repository: string; digest: string; modTime: number }
  | { kind: 'link'; repository: string; digest: string }
  | { kind: 'blob'; digest: string };

export interface MarkOptions {
  deleteUntagged: boolean;
  dryRun: boolean;
  graceMs: number;
  uploadMaxAgeMs: number;
  /** The storage's clock (modification times are the storage's). */
  now(): number;
  log(line: string): void;
}

export class Marking {
  /** Manifests by digest (content-addressed): undefined when unreadable. */
  readonly parsed = new Map<string, ParsedManifest | undefined>();
  /** `<repository>@<digest>` of every revision listed: the sweep treats others as pushed since. */
  readonly seen = new Set<string>();
  /** Blobs kept: referenced by a kept manifest, or linked within the grace period. */
  readonly marked = new Set<string>();
  readonly candidates: Candidate[] = [];
  readonly purgedUploads: Array<{ repository: string; id: string }> = [];
  private readonly warnings: WarningSink;

  constructor(private readonly registry: Registry, private readonly options: MarkOptions) {
    this.warnings = { warn: options.log };
  }

  private get driver(): StorageDriver { return this.registry.driver; }

  /** The manifest `digest` of `name`, parsed once; undefined when it cannot be read or parsed. */
  async manifest(name: string, digest: string): Promise<ParsedManifest | undefined> {
    if (this.parsed.has(digest)) return this.parsed.get(digest);
    let m: ParsedManifest | undefined;
    try {
      const stored = await this.registry.manifests.get(name, digest);
      m = parseManifest(stored.content, stored.mediaType);
    } catch (err) {
      // Missing or not a manifest: keep its own blob, reference nothing. A storage error stops the
      // collection: taking an unreadable manifest for one that references nothing would delete its blobs.
      if (!(err instanceof RegistryError)) throw err;
      m = undefined;
    }
    this.parsed.set(digest, m);
    return m;
  }

  async run(): Promise<void> {
    for (const name of await listRepositories(this.driver, ['_manifests', '_layers', '_uploads'])) await this.repository(name);
    const { now, graceMs } = this.options;
    await walkFiles(this.driver, layout.blobsRoot, async (info) => {
      if (await this.staleTombstone(info.path)) return;
      if (!info.path.endsWith('/data')) return;
      const parts = info.path.split('/');
      const digest = `${parts[parts.length - 4]}:${parts[parts.length - 2]}`;
      try { parseDigest(digest); } catch { return; }
      if (!this.marked.has(digest) && now() - info.modTime.getTime() >= graceMs) this.candidates.push({ kind: 'blob', digest });
    });
  }

  /** Removes a tombstone left by a collector that stopped before removing it (expired); true for any tombstone. */
  private async staleTombstone(path: string): Promise<boolean> {
    if (!isTombstone(path)) return false;
    if (!isLiveTombstone(path, Date.now()) && !this.options.dryRun) {
      await bestEffort(this.warnings, `removing the expired tombstone ${path}`, this.driver.delete(path));
    }
    return true;
  }

  private async repository(name: string): Promise<void> {
    const { manifests } = this.registry;
    const { now, graceMs } = this.options;
    const revisions = await manifests.revisions(name);
    for (const digest of revisions) {
      this.seen.add(`${name}@${digest}`);
      await this.manifest(name, digest);
    }
    let keep = new Set(revisions);
    const old = new Map<string, number>();
    if (this.options.deleteUntagged) {
      keep = new Set();
      for (const tag of (await bestEffort(this.warnings, `${name}: listing tags`, manifests.tags(name))) ?? []) {
        const digest = await bestEffort(this.warnings, `${name}: tag ${tag}`, manifests.resolveTag(name, tag));
        if (digest && this.parsed.has(digest) && revisions.includes(digest)) keep.add(digest);
      }
      // An untagged manifest pushed within the grace period may be the child of an index on its way.
      for (const digest of revisions) {
        if (keep.has(digest)) continue;
        let modTime: number;
        try { modTime = (await this.driver.stat(layout.manifestRevisionLink(name, digest))).modTime.getTime(); } catch (err) {
          if (!(err instanceof PathNotFoundError)) throw err;
          continue; // deleted meanwhile
        }
        if (now() - modTime < graceMs) keep.add(digest);
        else old.set(digest, modTime);
      }
      // Close over index children and referrers of what is kept.
      for (let changed = true; changed;) {
        changed = false;
        for (const digest of revisions) {
          const m = this.parsed.get(digest);
          if (keep.has(digest)) {
            for (const child of m?.manifests ?? []) if (revisions.includes(child.digest) && !keep.has(child.digest)) { keep.add(child.digest); changed = true; }
          } else if (m?.subject && keep.has(m.subject.digest)) { keep.add(digest); changed = true; }
        }
      }
    }
    const referenced = new Set<string>();
    for (const digest of revisions) {
      if (keep.has(digest)) {
        const m = this.parsed.get(digest);
        for (const d of [digest, ...(m?.blobs ?? []).map((b) => b.digest), ...(m?.manifests ?? []).map((c) => c.digest)]) {
          this.marked.add(d);
          referenced.add(d);
        }
        continue;
      }
      const modTime = old.get(digest);
      if (modTime === undefined) continue; // deleted meanwhile
      this.candidates.push({ kind: 'manifest', repository: name, digest, modTime });
    }
    const active = await this.uploads(name);
    await walkFiles(this.driver, layout.layersDir(name), async (info) => {
      if (await this.staleTombstone(info.path)) return;
      if (!info.path.endsWith('/link')) return;
      const parts = info.path.split('/');
      const digest = `${parts[parts.length - 3]}:${parts[parts.length - 2]}`;
      try { parseDigest(digest); } catch { return; }
      // A push in progress: its blobs are linked before its manifest arrives.
      if (active || now() - info.modTime.getTime() < graceMs) this.marked.add(digest);
      else if (!referenced.has(digest)) this.candidates.push({ kind: 'link', repository: name, digest });
    });
  }

  /** Purges uploads idle for longer than their maximum age; true when one was active within the grace period. */
  private async uploads(name: string): Promise<boolean> {
    const { purged, idleMs } = await purgeIdleUploads(this.driver, name, {
      maxAgeMs: this.options.uploadMaxAgeMs, dryRun: this.options.dryRun, storageNow: this.options.now, log: this.options.log,
    });
    for (const id of purged) this.purgedUploads.push({ repository: name, id });
    return idleMs.some((idle) => idle < this.options.graceMs);
  }
}
