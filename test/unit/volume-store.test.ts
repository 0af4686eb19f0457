import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, mkdir, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeStore, volumeRecords, type VolumeRecord } from '../../src/engine/volumes/volume-store.js';
import { recordStoreSuite } from './record-store-suite.js';
import { Logger } from '../../src/engine/base/log.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/lib/errors.js';

let root: string;
let store: VolumeStore;
const log = new Logger('error');

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
  store = await VolumeStore.open(join(root, 'volumes'), log);
});
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

test('create makes <root>/<name>/_data and metadata, and inspect shows Docker\'s fields', async () => {
  const v = await store.create({ name: 'data', labels: { a: 'b' } });
  assert.equal(v.Name, 'data');
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.deepEqual(v.Labels, { a: 'b' });
  assert.equal(v.Options, null);
  assert.equal(v.Mountpoint, join(root, 'volumes', 'data', '_data'));
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok((await stat(v.Mountpoint)).isDirectory());
  assert.deepEqual(store.get('data'), v);
});

test('creating an existing name returns the existing volume unchanged', async () => {
  const first = await store.create({ name: 'data', labels: { a: 'b' } });
  const again = await store.create({ name: 'data', labels: { c: 'd' } });
  assert.deepEqual(again, first);
});

test('a volume without a name is anonymous: 64-hex name and Docker\'s anonymous label', async () => {
  const v = await store.create({});
  assert.match(v.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual(v.Labels, { 'com.docker.volume.anonymous': '' });
});

test('bad names, unknown drivers and unknown options are refused in Docker\'s words, leaving nothing', async () => {
  await assert.rejects(store.create({ name: 'a' }), (e: Error) => e instanceof InvalidArgumentError
    && e.message === 'create a: volume name is too short, names should be at least two alphanumeric characters');
  await assert.rejects(store.create({ name: 'bad/name' }), (e: Error) => e instanceof InvalidArgumentError
    && e.message.startsWith('create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed'));
  await assert.rejects(store.create({ name: '../x' }), InvalidArgumentError);
  await assert.rejects(store.create({ name: 'vv', driver: 'other' }), (e: Error) => e instanceof NotFoundError
    && e.message === 'create vv: error looking up volume plugin other: plugin "other" not found');
  await assert.rejects(store.create({ name: 'vv', options: { foo: 'bar' } }), (e: Error) => e.message === 'create vv: invalid option: "foo"');
  assert.deepEqual(await readdir(join(root, 'volumes')), []);
});

test('inspect and remove of a missing volume are 404s; remove with force is quiet', async () => {
  assert.throws(() => store.get('nope'), (e: Error) => e instanceof NotFoundError && e.message === 'get nope: no such volume');
  await assert.rejects(store.remove('nope'), (e: Error) => e instanceof NotFoundError && e.message === 'get nope: no such volume');
  await store.remove('nope', true);
});

test('a referenced volume cannot be removed, even with force; once released it can', async () => {
  const { volume, created } = await store.acquire({ name: 'data' }, 'c1');
  assert.equal(created, true);
  await store.acquire({ name: 'data' }, 'c2');
  const inUse = (e: Error) => e instanceof ConflictError && e.message === 'remove data: volume is in use - [c1, c2]';
  await assert.rejects(store.remove('data'), inUse);
  await assert.rejects(store.remove('data', true), inUse);
  await store.release('data', 'c1');
  await store.release('data', 'c2');
  await writeFile(join(volume.Mountpoint, 'f'), 'x');
  await store.remove('data');
  assert.equal(store.has('data'), false);
  assert.deepEqual(await readdir(join(root, 'volumes')), []);
});

test('list filters: dangling, name, driver, label', async () => {
  await store.create({ name: 'web-data', labels: { app: 'web', tier: 'front' } });
  await store.create({ name: 'db-data', labels: { app: 'db' } });
  await store.acquire({ name: 'db-data' }, 'c1');
  const names = (f: Record<string, string[]>) => store.list(new Map(Object.entries(f))).map((v) => v.Name);
  assert.deepEqual(names({}), ['db-data', 'web-data']);
  assert.deepEqual(names({ dangling: ['true'] }), ['web-data']);
  assert.deepEqual(names({ dangling: ['0'] }), ['db-data']);
  assert.deepEqual(names({ name: ['web'] }), ['web-data']);
  assert.deepEqual(names({ name: ['^db', 'nothing'] }), ['db-data']);
  assert.deepEqual(names({ label: ['app'] }), ['db-data', 'web-data']);
  assert.deepEqual(names({ label: ['app=web'] }), ['web-data']);
  assert.deepEqual(names({ label: ['app', 'tier=front'] }), ['web-data']);
  assert.deepEqual(names({ driver: ['other'] }), []);
  assert.throws(() => names({ dangling: ['maybe'] }), (e: Error) => e instanceof InvalidArgumentError && e.message === "invalid filter 'dangling=maybe'");
});

test('prune removes unused anonymous volumes only, unless all=true; it reports the space reclaimed', async () => {
  const anon = await store.create({});
  const usedAnon = await store.acquire({}, 'c1');
  await store.create({ name: 'named', labels: { keep: 'no' } });
  await writeFile(join(anon.Mountpoint, 'f'), 'hello');
  const first = await store.prune();
  assert.deepEqual(first, { VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
  assert.deepEqual(store.list().map((v) => v.Name).sort(), ['named', usedAnon.volume.Name].sort());
  const filtered = await store.prune(new Map([['all', ['true']], ['label', ['keep=yes']]]));
  assert.deepEqual(filtered.VolumesDeleted, []);
  const all = await store.prune(new Map([['all', ['1']]]));
  assert.deepEqual(all.VolumesDeleted, ['named']);
  assert.deepEqual(store.list().map((v) => v.Name), [usedAnon.volume.Name]);
});

test('volumes survive a reopen; a data dir without metadata is adopted, a half-removed one cleaned', async () => {
  await store.create({ name: 'kept', labels: { x: 'y' } });
  await mkdir(join(root, 'volumes', 'handmade', '_data'), { recursive: true });
  await mkdir(join(root, 'volumes', '.removing-gone-1234', '_data'), { recursive: true });
  const reopened = await VolumeStore.open(join(root, 'volumes'), log);
  assert.deepEqual(reopened.get('kept').Labels, { x: 'y' });
  assert.equal(reopened.get('handmade').Driver, 'local');
  assert.ok(JSON.parse(await readFile(join(root, 'volumes', 'handmade', 'volume.json'), 'utf8')));
  assert.deepEqual((await readdir(join(root, 'volumes'))).sort(), ['handmade', 'kept']);
});

test('concurrent creates of one name make one volume; a remove racing an acquire cannot orphan the reference', async () => {
  const results = await Promise.all([1, 2, 3].map(() => store.create({ name: 'same' })));
  assert.equal(new Set(results.map((v) => v.CreatedAt)).size, 1);
  const [acq, rem] = await Promise.allSettled([store.acquire({ name: 'same' }, 'c1'), store.remove('same')]);
  assert.equal(acq.status, 'fulfilled');
  if (rem.status === 'fulfilled') {
    // The remove won: the acquire made a new volume and holds a reference to it.
    assert.deepEqual(store.usedBy('same'), ['c1']);
  } else {
    assert.ok(rem.reason instanceof ConflictError);
  }
  assert.equal(store.has('same'), true);
});

// The volumes' metadata through the shared record store suite: written by the store's records, loaded
// by VolumeStore.open as a restarted daemon loads them.
recordStoreSuite<VolumeRecord>('VolumeStore', {
  async open(dir, suiteLog) {
    const volumes = await VolumeStore.open(dir, suiteLog as unknown as Logger);
    const records = volumeRecords(dir, suiteLog);
    const loaded = new Map(volumes.list().map(({ Name, Driver, Labels, Options, CreatedAt }) =>
      [Name, { Name, Driver, Labels, Options, CreatedAt }]));
    return {
      loaded: () => loaded,
      put: (name, record) => records.put(name, record),
      delete: (name) => records.delete(name),
      pathOf: (name) => records.path(name),
    };
  },
  keys: ['first', 'second'], version: 1,
  sample: (name, n) => ({ Name: name, Driver: 'local', Labels: { n: String(n) }, Options: null, CreatedAt: `2024-01-0${n}T00:00:00Z` }),
});
