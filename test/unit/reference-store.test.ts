// The image references' document through the shared record store suite: a record is one reference.
import { ReferenceStore } from '../../src/engine/images/reference-store.js';
import { parseReference } from '../../src/lib/image-reference.js';
import { join } from 'node:path';
import { recordStoreSuite } from './record-store-suite.js';

const KEYS: [string, string] = ['docker.io/library/app:1', 'localhost:5000/team/tool:latest'];

recordStoreSuite<string>('ReferenceStore', {
  async open(root, log) {
    const path = join(root, 'repositories.json');
    const store = await ReferenceStore.open(path, log);
    const loaded = new Map<string, string>();
    for (const key of KEYS) {
      const id = store.get(parseReference(key));
      if (id) loaded.set(key, id);
    }
    return {
      loaded: () => loaded,
      put: (key, id) => store.add(parseReference(key), id),
      delete: async (key) => { await store.remove(parseReference(key)); },
      pathOf: () => path,
    };
  },
  keys: KEYS, version: 1, oneDocument: true,
  sample: (key, n) => `sha256:${String(n).repeat(64)}`,
  // The first versions wrote no lastTagTime.
  legacy: (key, n) => ({ references: { [key]: `sha256:${String(n).repeat(64)}` } }),
});
