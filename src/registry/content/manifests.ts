// Manifests and tags of a repository. A manifest is stored as a blob, linked as a revision of the
// repository; a tag is a link to a revision; a manifest with a subject is linked under that subject.
import { digestOf, parseDigest, type DigestAlgorithm } from '../../lib/oci-digest.js';
import { isTag } from '../../lib/oci-names.js';
import { OCI_INDEX, type Descriptor } from '../../lib/oci-media-types.js';
import { PathNotFoundError, RegistryError } from '../base/errors.js';
import { registryLog } from '../base/log.js';
import { bestEffort } from '../../lib/best-effort.js';
import type { StorageDriver } from '../storage/driver.js';
import type { BlobStore } from './blobs.js';
import { layout, parseLink } from './layout.js';
import { parseManifest, referrerDescriptor, sniffMediaType, type ParsedManifest } from './manifest-parse.js';
import { missingAfterWrite } from './tombstones.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface StoredManifest {
  digest: string;
  mediaType: string;
  content: Buffer;
}

export interface PutResult {
  digest: string;
  subject?: string;
  tags: string[];
}

async function exists(driver: StorageDriver, path: string): Promise<boolean> {
  try { await driver.stat(path); return true; } catch (err) {
    if (err instanceof PathNotFoundError) return false;
    throw err;
  }
}

export class ManifestStore {
  /** Manifest bodies by digest: content-addressed, so never stale; bounded. */
  private readonly cache = new Map<string, { mediaType: string; content: Buffer }>();
  private cacheBytes = 0;

  /**
   * How long a push waits for a garbage collector deciding about a blob it references (see
   * tombstones.ts) before failing with MANIFEST_BLOB_UNKNOWN.
   */
  gcWaitMs = 10_000;

  constructor(private readonly driver: StorageDriver, private readonly blobs: BlobStore) {}

  /** The digest a tag points to; MANIFEST_UNKNOWN when there is no such tag. */
  async resolveTag(name: string, tag: string): Promise<string> {
    try {
      return parseLink(await this.driver.getContent(layout.tagCurrentLink(name, tag), 1024));
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('MANIFEST_UNKNOWN', `unknown tag ${tag}`, { name, tag });
      throw err;
    }
  }

  /** Resolves a tag or digest reference to a digest. */
  async resolve(name: string, reference: string): Promise<string> {
    if (reference.includes(':')) return reference;
    return this.resolveTag(name, reference);
  }

  async get(name: string, digest: string): Promise<StoredManifest> {
    if (!(await exists(this.driver, layout.manifestRevisionLink(name, digest)))) {
      throw new RegistryError('MANIFEST_UNKNOWN', undefined, { name, digest });
    }
    const cached = this.cache.get(digest);
    if (cached) return { digest, ...cached };
    let content: Buffer;
    try {
      content = await this.driver.getContent(layout.blobData(digest), MAX_MANIFEST_BYTES);
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { name, digest });
      throw err;
    }
    let mediaType: string;
    try { mediaType = sniffMediaType(JSON.parse(content.toString('utf8'))); } catch { mediaType = 'application/octet-stream'; }
    this.remember(digest, mediaType, content);
    return { digest, mediaType, content };
  }

  private remember(digest: string, mediaType: string, content: Buffer): void {
    if (this.cacheBytes + content.length > 64 * 1024 * 1024) { this.cache.clear(); this.cacheBytes = 0; }
    this.cache.set(digest, { mediaType, content });
    this.cacheBytes += content.length;
  }

  /**
   * Stores a manifest under a tag or its digest (plus `extraTags`). Refuses, storing nothing:
   * MANIFEST_INVALID, DIGEST_INVALID (body does not match the digest reference),
   * MANIFEST_BLOB_UNKNOWN (config, layers or listed manifests missing from the repository) unless
   * `verifyReferences` is false (the pull-through cache, which fetches them when they are asked for).
   */
  async put(name: string, reference: string, content: Buffer, contentType: string | undefined, extraTags: string[] = [],
    { verifyReferences = true }: { verifyReferences?: boolean } = {}): Promise<PutResult> {
    let algorithm: DigestAlgorithm = 'sha256';
    const byDigest = reference.includes(':');
    if (byDigest) algorithm = parseDigest(reference).algorithm;
    const digest = digestOf(content, algorithm);
    if (byDigest && digest !== reference) {
      throw new RegistryError('DIGEST_INVALID', `manifest has digest ${digest}, not ${reference}`, { digest: reference });
    }
    const parsed = parseManifest(content, contentType);
    if (verifyReferences) await this.checkReferences(name, parsed);
    const tags = [...(byDigest ? [] : [reference]), ...extraTags];
    for (const tag of tags) if (!isTag(tag)) throw new RegistryError('TAG_INVALID', `invalid tag ${tag.slice(0, 200)}`);

    if ((await this.blobs.size(digest)) === undefined) await this.driver.putContent(layout.blobData(digest), content);
    const revision = layout.manifestRevisionLink(name, digest);
    const newRevision = !(await exists(this.driver, revision));
    try {
      await this.driver.putContent(revision, Buffer.from(digest));
      // Online garbage collection may have deleted a blob since checkReferences: look again, now that
      // the revision link is there for a collector to see (tombstones.ts); tags move only after this.
      // The pull-through cache stores manifests before their blobs, which it fetches when asked for.
      const missing = verifyReferences ? await missingAfterWrite(this.driver, name, digest, parsed, this.gcWaitMs) : [];
      if (missing.length > 0) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references blob ${missing[0]}, deleted by garbage collection meanwhile: push it again`,
          { digest: missing[0], missing });
      }
      if (parsed.subject) await this.driver.putContent(layout.referrerLink(name, parsed.subject.digest, digest), Buffer.from(digest));
      for (const tag of tags) {
        await this.driver.putContent(layout.tagIndexLink(name, tag, digest), Buffer.from(digest));
        await this.driver.putContent(layout.tagCurrentLink(name, tag), Buffer.from(digest));
      }
    } catch (err) {
      // Half a put (a full disk) leaves no new revision to fetch by digest; a tag moves only whole.
      if (newRevision) await bestEffort(registryLog, `undoing manifest ${digest} in ${name}`, () => this.driver.delete(revision));
      throw err;
    }
    this.remember(digest, parsed.mediaType, content);
    return { digest, subject: parsed.subject?.digest, tags };
  }

  private async checkReferences(name: string, parsed: ParsedManifest): Promise<void> {
    const missing: Descriptor[] = [];
    for (const d of parsed.blobs) {
      if (!(await this.blobs.linked(name, d.digest))) missing.push(d);
    }
    for (const d of parsed.manifests) {
      if (!(await exists(this.driver, layout.manifestRevisionLink(name, d.digest)))) missing.push(d);
    }
    if (missing.length > 0) {
      const err = new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references unknown blob ${missing[0].digest}`,
        { digest: missing[0].digest, missing: missing.map((d) => d.digest) });
      throw err;
    }
  }

  /** Deletes a manifest revision, the tags pointing to it and its referrer link. */
  async delete(name: string, digest: string): Promise<void> {
    const stored = await this.get(name, digest);
    for (const tag of await this.tagsOrEmpty(name)) {
      const current = await this.resolveTag(name, tag).catch((err) => {
        if (err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN') return undefined; // a tag removed meanwhile
        throw err;
      });
      if (current === digest) await this.driver.delete(layout.tagDir(name, tag));
    }
    try {
      const parsed = parseManifest(stored.content, stored.mediaType);
      if (parsed.subject) await this.driver.delete(layout.referrerLink(name, parsed.subject.digest, digest).replace(/\/link$/, ''));
    } catch { /* a manifest we cannot parse has no referrer link */ }
    await this.driver.delete(layout.manifestRevisionDir(name, digest));
  }

  async deleteTag(name: string, tag: string): Promise<void> {
    try {
      await this.driver.delete(layout.tagDir(name, tag));
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('MANIFEST_UNKNOWN', `unknown tag ${tag}`, { name, tag });
      throw err;
    }
  }

  /** The repository's tags in ASCII order; NAME_UNKNOWN if the repository does not exist. */
  async tags(name: string): Promise<string[]> {
    if (!(await exists(this.driver, layout.repository(name)))) {
      throw new RegistryError('NAME_UNKNOWN', undefined, { name });
    }
    return this.tagsOrEmpty(name);
  }

  private async tagsOrEmpty(name: string): Promise<string[]> {
    try {
      const dirs = await this.driver.list(layout.tagsDir(name));
      return dirs.map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    } catch (err) {
      if (err instanceof PathNotFoundError) return [];
      throw err;
    }
  }

  /** Digests of all manifest revisions in the repository. */
  async revisions(name: string): Promise<string[]> {
    const out: string[] = [];
    for (const algorithm of ['sha256', 'sha512']) {
      let dirs: string[];
      try { dirs = await this.driver.list(`${layout.manifestRevisionsDir(name)}/${algorithm}`); } catch (err) {
        if (err instanceof PathNotFoundError) continue;
        throw err;
      }
      for (const d of dirs) out.push(`${algorithm}:${d.slice(d.lastIndexOf('/') + 1)}`);
    }
    return out;
  }

  /** The referrers index for `subject`, optionally filtered by artifactType. */
  async referrers(name: string, subject: string, artifactType?: string): Promise<{ schemaVersion: 2; mediaType: string; manifests: Descriptor[] }> {
    const manifests: Descriptor[] = [];
    let algDirs: string[] = [];
    try { algDirs = await this.driver.list(layout.referrersDir(name, subject)); } catch (err) {
      if (!(err instanceof PathNotFoundError)) throw err;
    }
    for (const algDir of algDirs) {
      const algorithm = algDir.slice(algDir.lastIndexOf('/') + 1);
      let dirs: string[] = [];
      try { dirs = await this.driver.list(algDir); } catch (err) {
        if (!(err instanceof PathNotFoundError)) throw err; // removed meanwhile
      }
      for (const dir of dirs) {
        const digest = `${algorithm}:${dir.slice(dir.lastIndexOf('/') + 1)}`;
        let stored: StoredManifest;
        try { stored = await this.get(name, digest); } catch { continue; }
        const parsed = parseManifest(stored.content, stored.mediaType);
        const d = referrerDescriptor(parsed, digest, stored.content.length);
        if (artifactType === undefined || d.artifactType === artifactType) manifests.push(d);
      }
    }
    return { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
  }
}
