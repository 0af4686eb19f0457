// Garbage collection that runs while the registry serves pushes, pulls and deletes, from any number of
// registry processes on one storage (docs/registry-gc.md). The mark phase (gc-mark.ts) finds what may
// go: untagged manifests (with deleteUntagged), layer links no manifest of their repository uses and
// blobs nothing references, each older than the grace period. The sweep then works in batches: it
// writes a tombstone beside each candidate, lists the manifests again and keeps every candidate a
// manifest pushed since the mark references (a push checks for tombstones after writing its revision,
// content/tombstones.ts), deletes the rest — the object first, its tombstone after — and removes the
// tombstones.
import { randomBytes } from 'node:crypto';
import { bestEffort, type WarningSink } from '../lib/best-effort.js';
import { PathNotFoundError, RegistryError } from './base/errors.js';
import { listRepositories } from './content/catalog.js';
import { layout } from './content/layout.js';
import type { Registry } from './content/registry.js';
import { CLOCK_SKEW_MS, layerLinkDir, tombstoneName } from './content/tombstones.js';
import { Marking, type Candidate } from './gc-mark.js';
import { deleteFiles, type StorageDriver } from './storage/driver.js';
import { clearStoppedRuns, forgetTombstones, recordTombstones } from './gc-runs.js';

export type GcPhase = 'marked' | 'tombstoned' | 'rescanned';

export interface GcOptions {
  dryRun?: boolean;
  deleteUntagged?: boolean;
  /** Blobs, links and untagged manifests younger than this are kept (default one hour). */
  gracePeriodMs?: number;
  /** Uploads idle for longer than this are abandoned and removed (default: the grace period). */
  uploadMaxAgeMs?: number;
  /** Candidates tombstoned, checked and deleted together (default 1000). */
  batchSize?: number;
  /** How long a batch's tombstones hold (default 10 minutes): the batch stops deleting before. */
  leaseMs?: number;
  /** Stops the run between deletions; its tombstones are removed. */
  signal?: AbortSignal;
  /** Called as each phase ends (tests use it to act at a known point of a run). */
  onPhase?: (phase: GcPhase) => Promise<void> | void;
  log?: (line: string) => void;
}

export interface GcResult {
  marked: string[];
  deletedBlobs: string[];
  deletedManifests: Array<{ repository: string; digest: string }>;
  deletedLinks: Array<{ repository: string; digest: string }>;
  purgedUploads: Array<{ repository: string; id: string }>;
  /** Candidates kept because a manifest pushed during the run references them ("blob sha256:...", "repo@sha256:..."). */
  rescued: string[];
}

const PARALLEL = 16;

export async function garbageCollect(registry: Registry, options: GcOptions = {}): Promise<GcResult> {
  const { driver } = registry;
  const log = options.log ?? (() => {});
  const graceMs = options.gracePeriodMs ?? 3600_000;
  const dryRun = options.dryRun === true;
  const run = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const offset = dryRun ? 0 : await storageClockOffset(driver, run);
  if (!dryRun) await clearStoppedRuns(driver, { warn: log });
  const marking = new Marking(registry, {
    deleteUntagged: options.deleteUntagged === true, dryRun, graceMs, uploadMaxAgeMs: options.uploadMaxAgeMs ?? graceMs,
    now: () => Date.now() + offset, log,
  });
  await marking.run();
  log(`${marking.marked.size} blobs marked, ${marking.candidates.length} candidates`);
  const result: GcResult = {
    marked: [...marking.marked].sort(), deletedBlobs: [], deletedManifests: [], deletedLinks: [],
    purgedUploads: marking.purgedUploads, rescued: [],
  };
  await options.onPhase?.('marked');
  const size = options.batchSize ?? 1000;
  for (let i = 0; i < marking.candidates.length && !options.signal?.aborted; i += size) {
    const batch = marking.candidates.slice(i, i + size);
    if (dryRun) {
      for (const c of batch) record(result, c, log, ' (would delete)');
      continue;
    }
    await new Sweep(registry, marking, run, options, log).batch(batch, result);
  }
  return result;
}

function record(result: GcResult, c: Candidate, log: (line: string) => void, how: string): void {
  if (c.kind === 'blob') {
    log(`blob ${c.digest} is unreferenced${how}`);
    result.deletedBlobs.push(c.digest);
  } else if (c.kind === 'link') {
    log(`${c.repository}: layer link ${c.digest} is unreferenced${how}`);
    result.deletedLinks.push({ repository: c.repository, digest: c.digest });
  } else {
    log(`${c.repository}: manifest ${c.digest} is untagged${how}`);
    result.deletedManifests.push({ repository: c.repository, digest: c.digest });
  }
}

/** How far the storage's clock (the modification times it reports) is ahead of ours. */
async function storageClockOffset(driver: StorageDriver, run: string): Promise<number> {
  const dir = `${layout.root}/_gc`;
  const probe = `${dir}/clock.${run}`;
  const before = Date.now();
  await driver.putContent(probe, Buffer.from(new Date(before).toISOString()));
  try {
    return (await driver.stat(probe)).modTime.getTime() - before;
  } finally {
    await driver.delete(probe);
    await driver.removeEmptyDirs?.(dir, layout.root);
  }
}

/** The directory of a candidate (where its tombstone goes) and the file it deletes there. */
function placeOf(c: Candidate): { dir: string; file: string } {
  if (c.kind === 'blob') return { dir: layout.blobDir(c.digest), file: 'data' };
  if (c.kind === 'link') return { dir: layerLinkDir(c.repository, c.digest), file: 'link' };
  return { dir: layout.manifestRevisionDir(c.repository, c.digest), file: 'link' };
}

const keyOf = (repository: string, digest: string) => `${repository}@${digest}`;

class BatchAborted extends Error {}

class Sweep {
  private readonly warnings: WarningSink;
  /** What the rescan keeps: blobs, `<repository>@<digest>` of layer links and of revisions. */
  private readonly blobs = new Set<string>();
  private readonly links = new Set<string>();
  private readonly revisions = new Set<string>();

  constructor(private readonly registry: Registry, private readonly marking: Marking, private readonly run: string,
    private readonly options: GcOptions, private readonly log: (line: string) => void) {
    this.warnings = { warn: log };
  }

  private get driver(): StorageDriver { return this.registry.driver; }

  async batch(batch: Candidate[], result: GcResult): Promise<void> {
    const expires = Date.now() + (this.options.leaseMs ?? 10 * 60_000);
    const tombstone = tombstoneName(expires, this.run);
    const written: Candidate[] = [];
    await recordTombstones(this.driver, tombstone, batch.map((c) => `${placeOf(c).dir}/${tombstone}`));
    try {
      await inParallel(batch, async (c) => {
        if (this.options.signal?.aborted) return;
        written.push(c); // before the write: one that fails halfway is removed too
        await this.driver.putContent(`${placeOf(c).dir}/${tombstone}`, Buffer.alloc(0));
      });
      await this.options.onPhase?.('tombstoned');
      if (this.options.signal?.aborted) return;
      try {
        await this.rescan();
      } catch (err) {
        if (!(err instanceof BatchAborted)) throw err;
        this.warnings.warn(`gc: ${err.message}: this batch deletes nothing`);
        return;
      }
      await this.options.onPhase?.('rescanned');
      const doomed: Candidate[] = [];
      for (const c of batch) {
        if (this.rescued(c)) result.rescued.push(c.kind === 'blob' ? `blob ${c.digest}` : keyOf(c.repository, c.digest));
        else doomed.push(c);
      }
      // Past the lease (less the clock skew allowed), a push may take the tombstones for expired.
      if (this.options.signal?.aborted || Date.now() > expires - CLOCK_SKEW_MS) return;
      await deleteFiles(this.driver, doomed.flatMap((c) => this.filesOf(c)));
      for (const c of doomed) record(result, c, this.log, ', deleted');
    } finally {
      // Each object went before its tombstone: a push never sees neither.
      const removed = await bestEffort(this.warnings, `gc: removing the tombstones of run ${this.run}`,
        deleteFiles(this.driver, written.map((c) => `${placeOf(c).dir}/${tombstone}`)).then(() => true));
      // Kept when some may be left: clearStoppedRuns removes them once this process is gone.
      if (removed) await bestEffort(this.warnings, `gc: removing the record of run ${this.run}`, forgetTombstones(this.driver, tombstone));
      if (this.driver.removeEmptyDirs) await inParallel(written, (c) => this.prune(c));
    }
  }

  /** The files that go with a candidate: its object, and a manifest's referrer link. */
  private filesOf(c: Candidate): string[] {
    const { dir, file } = placeOf(c);
    const subject = c.kind === 'manifest' ? this.marking.parsed.get(c.digest)?.subject : undefined;
    return [...(subject && c.kind === 'manifest' ? [layout.referrerLink(c.repository, subject.digest, c.digest)] : []), `${dir}/${file}`];
  }

  /** Removes the directories a candidate's deletion left empty (backends with directories). */
  private async prune(c: Candidate): Promise<void> {
    await bestEffort(this.warnings, `gc: removing empty directories of ${placeOf(c).dir}`, async () => {
      const stop = c.kind === 'blob' ? layout.blobsRoot : layout.repositoriesRoot;
      for (const file of this.filesOf(c)) await this.driver.removeEmptyDirs!(file.slice(0, file.lastIndexOf('/')), stop);
      // A repository whose last manifest went has an empty tags directory (its tags were deleted) left.
      if (c.kind === 'manifest') await this.driver.removeEmptyDirs!(layout.tagsDir(c.repository), stop);
    });
  }

  private rescued(c: Candidate): boolean {
    if (c.kind === 'blob') return this.blobs.has(c.digest);
    return (c.kind === 'link' ? this.links : this.revisions).has(keyOf(c.repository, c.digest));
  }

  /**
   * Lists every repository's manifests again, after the tombstones are written: a manifest not seen by
   * the mark, or a candidate whose revision link was written again (a push of the same manifest), is
   * kept with all it references.
   */
  private async rescan(): Promise<void> {
    // Every manifest candidate, of this batch or another: one deleted by an earlier batch may be back.
    const candidates = new Map<string, number>();
    for (const c of this.marking.candidates) if (c.kind === 'manifest') candidates.set(keyOf(c.repository, c.digest), c.modTime);
    for (const name of await listRepositories(this.driver)) {
      for (const digest of await this.registry.manifests.revisions(name)) {
        const key = keyOf(name, digest);
        const modTime = candidates.get(key);
        if (this.marking.seen.has(key) && modTime === undefined) continue;
        if (modTime !== undefined) {
          const now = await ignoreMissing(this.driver.stat(layout.manifestRevisionLink(name, digest)));
          if (!now || now.modTime.getTime() <= modTime) continue;
        }
        await this.keep(name, digest);
      }
    }
  }

  /** Keeps a manifest revision, its blob, the blobs (and links) it references and the manifests it lists. */
  private async keep(name: string, digest: string): Promise<void> {
    const key = keyOf(name, digest);
    if (this.revisions.has(key)) return;
    this.revisions.add(key);
    this.blobs.add(digest);
    const had = this.marking.parsed.has(digest);
    const m = await this.marking.manifest(name, digest);
    if (!m) {
      // Its link gone meanwhile (a delete, or a push that undid itself) leaves nothing to keep; a
      // manifest we cannot read may reference anything.
      if (!(await ignoreMissing(this.driver.stat(layout.manifestRevisionLink(name, digest))))) return;
      if (!had) throw new BatchAborted(`${name}@${digest} was pushed during the run and cannot be read`);
      return;
    }
    for (const b of m.blobs) {
      this.blobs.add(b.digest);
      this.links.add(keyOf(name, b.digest));
    }
    for (const child of m.manifests) await this.keep(name, child.digest);
  }
}

async function ignoreMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof PathNotFoundError || (err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN')) return undefined;
    throw err;
  }
}

/** Runs `fn` on every item, PARALLEL at a time; the first failure is thrown once all have settled. */
async function inParallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try { await fn(item); } catch (err) { failure ??= err; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  if (failure !== undefined) throw failure;
}
