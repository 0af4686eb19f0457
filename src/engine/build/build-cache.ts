// The classic builder's layer cache: a step whose parent image, instruction and inputs (the config it
// starts from, build arguments, copied files' content) are all the same as an earlier step's reuses that
// step's image (`---> Using cache`). The images are ordinary images; this index only maps a step's key
// to the image it made, in `<data-root>/build/cache.json` (a RecordDocument). An entry whose image was
// deleted is ignored.
import { createHash } from 'node:crypto';
import type { ImageStore } from '../images/image-store.js';
import { RecordDocument } from '../store/record-document.js';
import type { StoreLog } from '../store/record-file.js';

export interface CacheFile {
  entries: Record<string, string>;
}

export function buildCacheDocument(path: string, log: StoreLog): RecordDocument<CacheFile> {
  return new RecordDocument<CacheFile>({
    kind: 'build cache index', version: 1, path, log,
    migrate: (stored) => {
      const file = stored as Partial<CacheFile>;
      if (typeof file.entries !== 'object' || file.entries === null) throw new Error('no entries');
      return { entries: file.entries };
    },
  });
}

export class BuildCache {
  private constructor(private readonly document: RecordDocument<CacheFile>, private readonly data: CacheFile) {}

  static async open(path: string, log: StoreLog): Promise<BuildCache> {
    const document = buildCacheDocument(path, log);
    const data = (await document.load()) ?? { entries: {} };
    return new BuildCache(document, data);
  }

  /** The image an identical step made, if it still exists. */
  lookup(images: Pick<ImageStore, 'has'>, key: string): string | undefined {
    const id = this.data.entries[key];
    return id && images.has(id) ? id : undefined;
  }

  record(key: string, imageId: string): Promise<void> {
    this.data.entries[key] = imageId;
    return this.save();
  }

  /** Forgets every entry (POST /build/prune); returns their keys. */
  async clear(): Promise<string[]> {
    const ids = Object.keys(this.data.entries);
    this.data.entries = {};
    await this.save();
    return ids;
  }

  /** Drops entries of deleted images, so the file does not grow forever. */
  async compact(images: Pick<ImageStore, 'has'>): Promise<void> {
    const before = Object.keys(this.data.entries).length;
    for (const [k, id] of Object.entries(this.data.entries)) if (!images.has(id)) delete this.data.entries[k];
    if (Object.keys(this.data.entries).length !== before) await this.save();
  }

  /** Resolves once every save so far is on disk (at shutdown). */
  idle(): Promise<void> {
    return this.document.idle();
  }

  /** Saves the index as it is now; saves land in the order they were called. */
  private save(): Promise<void> {
    return this.document.save(this.data);
  }
}

/** A step's key: everything its result depends on. */
export function stepKey(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
