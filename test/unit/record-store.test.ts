// The record store itself, in both layouts, and the one-document variant, through the shared suite;
// a version 2 schema shows the migration of version 1 records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordStore, type RecordStoreOptions } from '../../src/engine/store/record-store.js';
import { RecordDocument } from '../../src/engine/store/record-document.js';
import { RecordFileError, type StoreLog } from '../../src/engine/store/record-file.js';
import { recordStoreSuite, type StoreUnderTest } from './record-store-suite.js';

interface Thing { name: string; n: number; tags: string[] }
const thing = (key: string, n: number): Thing => ({ name: key, n, tags: Array.from({ length: n }, (_, i) => `t${i}`) });

async function keyed<V>(options: RecordStoreOptions<V>): Promise<StoreUnderTest<V>> {
  const store = new RecordStore<V>(options);
  const { records } = await store.loadAll();
  return {
    loaded: () => records,
    put: (key, value) => store.put(key, value),
    delete: (key) => store.delete(key),
    pathOf: (key) => store.path(key),
  };
}

recordStoreSuite<Thing>('RecordStore, one file per record', {
  open: (root, log) => keyed({ kind: 'thing', version: 1, dir: join(root, 'things'), log }),
  keys: ['alpha', 'beta'], sample: thing, version: 1,
});

recordStoreSuite<Thing>('RecordStore, a directory per key', {
  open: (root, log) => keyed({ kind: 'thing', version: 1, dir: root, file: 'thing.json', log }),
  keys: ['alpha', 'beta'], sample: thing, version: 1,
});

/** Version 2 renamed `n` to `count`; version 1 files must load through the migration. */
interface ThingV2 { name: string; count: number }
recordStoreSuite<ThingV2>('RecordStore, a version 2 schema migrating version 1 records', {
  open: (root, log) => keyed<ThingV2>({
    kind: 'thing', version: 2, dir: root, log,
    migrate: (stored, version) => {
      if (version === 1) {
        const { name, n } = stored as Thing;
        return { name, count: n };
      }
      return stored as ThingV2;
    },
  }),
  keys: ['alpha', 'beta'], version: 2,
  sample: (key, n) => ({ name: key, count: n }),
  legacy: (key, n) => thing(key, n),
});

type ThingMap = Record<string, Thing>;
async function oneDocument(path: string, log: StoreLog): Promise<StoreUnderTest<Thing>> {
  const document = new RecordDocument<ThingMap>({ kind: 'things', version: 1, path, log });
  const data: ThingMap = (await document.load()) ?? {};
  return {
    loaded: () => new Map(Object.entries(data)),
    put: (key, value) => { data[key] = value; return document.save(data); },
    delete: (key) => { delete data[key]; return document.save(data); },
    pathOf: () => path,
  };
}

recordStoreSuite<Thing>('RecordDocument', {
  open: (root, log) => oneDocument(join(root, 'things.json'), log),
  keys: ['alpha', 'beta'], sample: thing, version: 1, oneDocument: true,
  legacy: (key, n) => ({ [key]: thing(key, n) }),
});

test('a failed write names the record file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-record-'));
  try {
    const log: StoreLog = { warn: () => {}, error: () => {} };
    const store = new RecordStore<Thing>({ kind: 'thing', version: 1, dir: join(root, 'things'), log });
    await store.loadAll();
    // A directory where the file should be: the rename fails.
    await (await import('node:fs/promises')).mkdir(store.path('x'));
    await assert.rejects(store.put('x', thing('x', 1)), (err: Error) =>
      err instanceof RecordFileError && err.path === store.path('x') && err.message.includes(store.path('x')));
    assert.deepEqual((await readdir(join(root, 'things'))).sort(), ['x.json'], 'the temp file was not removed');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
