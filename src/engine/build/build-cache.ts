// The classic builder's layer cache: a step whose parent image, instruction and inputs (the config it
// starts from, build arguments, copied files' content) are all the same as an earlier step's reuses that
// step's image (`---> Using cache`). The images are ordinary images; this index only maps a step's key
// to the image it made, in `<data-root>/build/cache.json`. An entry whose image was deleted is ignored.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-file.js';
import type { Engine } from '../engine.js';

interface CacheFile {
  entries: Record<string, string>;
}

export class BuildCache {
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string, private readonly data: CacheFile) {}

  static async open(path: string): Promise<BuildCache> {
    const data = (await readJsonIfExists<CacheFile>(path)) ?? { entries: {} };
    return new BuildCache(path, data);
  }

  /** The image an identical step made, if it still exists. */
  lookup(engine: Engine, key: string): string | undefined {
    const id = this.data.entries[key];
    return id && engine.images.has(id) ? id : undefined;
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
  async compact(engine: Engine): Promise<void> {
    const before = Object.keys(this.data.entries).length;
    for (const [k, id] of Object.entries(this.data.entries)) if (!engine.images.has(id)) delete this.data.entries[k];
    if (Object.keys(this.data.entries).length !== before) await this.save();
  }

  private save(): Promise<void> {
    const write = this.saving.then(() => writeJsonAtomic(this.path, this.data));
    this.saving = write.catch(() => {});
    return write;
  }
}

/** A step's key: everything its result depends on. */
export function stepKey(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const caches = new WeakMap<Engine, Promise<BuildCache>>();

/** The engine's build cache, opened on first use. */
export function buildCacheOf(engine: Engine): Promise<BuildCache> {
  let cache = caches.get(engine);
  if (!cache) {
    cache = BuildCache.open(join(engine.config.dataRoot, 'build', 'cache.json'));
    caches.set(engine, cache);
  }
  return cache;
}
