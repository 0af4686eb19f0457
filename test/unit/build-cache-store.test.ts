// The build cache's index through the shared record store suite: a record is one step's entry.
import { join } from 'node:path';
import { BuildCache } from '../../src/engine/build/build-cache.js';
import { recordStoreSuite } from './record-store-suite.js';

const KEYS: [string, string] = ['a'.repeat(64), 'b'.repeat(64)];

recordStoreSuite<string>('BuildCache', {
  async open(root, log) {
    const cache = await BuildCache.open(join(root, 'build', 'cache.json'), log);
    // The cache drops entries whose image is gone: a delete is an image that went away.
    const gone = new Set<string>();
    const images = { has: (id: string) => !gone.has(id) };
    const loaded = new Map<string, string>();
    for (const key of KEYS) {
      const id = cache.lookup(images, key);
      if (id) loaded.set(key, id);
    }
    const current = new Map(loaded);
    return {
      loaded: () => loaded,
      put: (key, id) => {
        gone.delete(id);
        current.set(key, id);
        return cache.record(key, id);
      },
      delete: async (key) => {
        const id = current.get(key);
        if (!id) return;
        current.delete(key);
        gone.add(id);
        await cache.compact(images);
      },
      pathOf: () => join(root, 'build', 'cache.json'),
    };
  },
  keys: KEYS, version: 1, oneDocument: true,
  sample: (key, n) => `sha256:${String(n).repeat(64)}`,
  legacy: (key, n) => ({ entries: { [key]: `sha256:${String(n).repeat(64)}` } }),
});
