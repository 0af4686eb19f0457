import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, readdir, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Logger } from '../../src/engine/base/log.js';
import {
  ImageStore, imageRecords, retainedImagesDocument, type ImageMeta, type RetainedImage,
} from '../../src/engine/images/image-store.js';
import { recordStoreSuite } from './record-store-suite.js';
import { importImage } from '../../src/engine/images/image-import.js';
import { deleteImage } from '../../src/engine/images/image-delete.js';
import { hostPlatform } from '../../src/engine/images/image-config.js';
import { parseReference } from '../../src/lib/image-reference.js';
import { ConflictError, NotFoundError } from '../../src/lib/errors.js';

async function makeTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let dataRoot: string;
const log = new Logger('fatal');
const open = (): Promise<ImageStore> => ImageStore.open(join(dataRoot, 'image'), log);
const importTar = async (store: ImageStore, files: Record<string, string>, name?: string) =>
  importImage(store, { source: Readable.from([await makeTar(files)]), ref: name ? parseReference(name) : undefined, log: console });

beforeEach(async () => { dataRoot = await mkdtemp(join(tmpdir(), 'berth-images-')); });
afterEach(async () => { await rm(dataRoot, { recursive: true, force: true }); });

test('an image resolves by name, full ID, bare hex and unique ID prefix', async () => {
  const store = await open();
  const image = await importTar(store, { a: '1' }, 'app:1');
  const hex = image.id.slice(7);
  for (const ref of ['app:1', 'docker.io/library/app:1', image.id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 5)}`]) {
    assert.equal((await store.resolve(ref)).id, image.id, ref);
  }
  assert.deepEqual(image.repoTags, ['app:1']);
  await assert.rejects(store.resolve('app'), { message: 'No such image: app:latest' });
  await assert.rejects(store.resolve('nope:2'), NotFoundError);
  await assert.rejects(store.resolve('Bad'), /must be lowercase/);
});

test('lowerDirs lists layers topmost first, and the config ID is the digest of its bytes', async () => {
  const store = await open();
  const bottom = await store.registerLayer(Readable.from([await makeTar({ 'f': 'bottom', 'only-bottom': 'b' })]));
  const top = await store.registerLayer(Readable.from([await makeTar({ 'f': 'top' })]), bottom.chainId);
  assert.notEqual(top.chainId, top.diffId);
  const image = await store.addImage({ ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [bottom.diffId, top.diffId] } });
  const dirs = await store.lowerDirs(image.id);
  assert.equal(dirs.length, 2);
  // Short links, so that deep images fit in overlay's mount options.
  assert.ok(dirs.every((d) => d.length < join(dataRoot, 'layers').length + 30), dirs.join(' '));
  assert.equal(await readFile(join(dirs[0], 'f'), 'utf8'), 'top');
  assert.equal(await readFile(join(dirs[1], 'f'), 'utf8'), 'bottom');
  const { createHash } = await import('node:crypto');
  const bytes = await store.content.read(image.id);
  assert.equal(image.id, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  assert.equal(image.size, 'bottom'.length + 1 + 'top'.length);
});

test('an image without layers gets one empty lower dir', async () => {
  const store = await open();
  const image = await store.addImage({ ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [] } });
  const dirs = await store.lowerDirs(image.id);
  assert.equal(dirs.length, 1);
  assert.deepEqual(await readdir(dirs[0]), []);
});

test('a leftover temp dir and a layer dir without metadata are removed on open; finished layers stay', async () => {
  let store = await open();
  const image = await importTar(store, { keep: 'k' }, 'keep:1');
  const layers = join(dataRoot, 'layers');
  await mkdir(join(layers, 'tmp-0123456789abcdef', 'diff'), { recursive: true });
  await writeFile(join(layers, 'tmp-0123456789abcdef', 'diff', 'half'), 'x');
  await mkdir(join(layers, 'f'.repeat(64), 'diff'), { recursive: true });
  await mkdir(join(dataRoot, 'image', 'content', 'ingest'), { recursive: true });
  await writeFile(join(dataRoot, 'image', 'content', 'ingest', 'partial'), 'x');
  store = await open();
  assert.deepEqual((await readdir(layers)).sort(), [image.layers[0].slice(7), 'l']);
  assert.deepEqual(await readdir(join(dataRoot, 'image', 'content', 'ingest')), []);
  assert.equal((await store.resolve('keep:1')).id, image.id);
});

test('a layer no image references (a crash before the image was written) is removed on open', async () => {
  let store = await open();
  await store.registerLayer(Readable.from([await makeTar({ orphan: 'o' })]));
  store = await open();
  assert.deepEqual(await readdir(join(dataRoot, 'layers')), ['l']);
  assert.deepEqual(await readdir(join(dataRoot, 'layers', 'l')), []);
});

test('rmi: a stopped container blocks untagging the last name and deleting by ID unless forced', async () => {
  const store = await open();
  const image = await importTar(store, { a: '1' }, 'app:1');
  const short = image.id.slice(7, 19);
  let users = [{ id: 'c0ffee'.repeat(10) + 'abcd', running: false }];
  store.setUsageCheck((id) => (id === image.id ? users : []));
  await assert.rejects(deleteImage(store, 'app:1', { force: false, prune: true }), {
    message: `conflict: unable to remove repository reference "app:1" (must force) - container c0ffeec0ffee is using its referenced image ${short}`,
  });
  await assert.rejects(deleteImage(store, short, { force: false, prune: true }), {
    message: `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container c0ffeec0ffee`,
  });
  // A second name may go: the image stays named.
  await store.tag(image.id, parseReference('app:2'));
  assert.deepEqual(await deleteImage(store, 'app:2', { force: false, prune: true }), [{ Untagged: 'app:2' }]);

  // Running: not even force deletes it by ID; forcing the name only untags.
  users = [{ id: 'beef'.repeat(16), running: true }];
  await assert.rejects(deleteImage(store, image.id, { force: true, prune: true }), (err: Error) => {
    assert.ok(err instanceof ConflictError);
    assert.equal(err.message, `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container beefbeefbeef`);
    return true;
  });
  await store.tag(image.id, parseReference('app:3'));
  assert.deepEqual(await deleteImage(store, 'app:3', { force: true, prune: true }), [{ Untagged: 'app:3' }]);
  assert.ok(store.has(image.id));

  // Stopped + force: deleted, but the container keeps its layers until it is gone.
  users = [{ id: 'c0ffee'.repeat(10) + 'abcd', running: false }];
  const records = await deleteImage(store, image.id, { force: true, prune: true });
  assert.deepEqual(records, [{ Untagged: 'app:1' }, { Deleted: image.id }]);
  assert.equal(store.has(image.id), false);
  const dirs = await store.lowerDirs(image.id);
  assert.equal(await readFile(join(dirs[0], 'a'), 'utf8'), '1');

  // Kept across a restart (before the container manager registers) and released once the container is gone.
  const reopened = await open();
  assert.equal((await reopened.lowerDirs(image.id)).length, 1);
  users = [];
  reopened.setUsageCheck(() => users);
  assert.deepEqual(await reopened.removeUnusedLayers(), image.layers);
  await assert.rejects(reopened.lowerDirs(image.id), NotFoundError);
});

test('rmi by ID of an image named in one repository untags and deletes it with its layer', async () => {
  const store = await open();
  const image = await importTar(store, { a: '1' }, 'one:1');
  const records = await deleteImage(store, image.id.slice(7, 15), { force: false, prune: true });
  assert.deepEqual(records, [{ Untagged: 'one:1' }, { Deleted: image.id }, { Deleted: image.layers[0] }]);
  assert.equal(store.count(), 0);
  assert.deepEqual(await readdir(join(dataRoot, 'layers')), ['l']);
  assert.deepEqual(await readdir(join(dataRoot, 'layers', 'l')), []);
});

test('a layer registered for an image still being assembled survives an rmi of another image', async () => {
  const store = await open();
  const other = await importTar(store, { o: '1' }, 'other:1');
  const pending = await store.registerLayer(Readable.from([await makeTar({ p: '1' })]));
  await deleteImage(store, 'other:1', { force: false, prune: true });
  assert.ok(store.layerStore.has(pending.chainId));
  assert.equal(store.layerStore.has(other.layers[0]), false);
  const image = await store.addImage({ ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [pending.diffId] } });
  assert.equal(image.layers[0], pending.chainId);
});

test('tags added concurrently are all on disk afterwards', async () => {
  const store = await open();
  const image = await importTar(store, { a: '1' });
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.tag(image.id, parseReference(`many:${i}`))));
  const reopened = await open();
  assert.equal((await reopened.resolve(image.id)).repoTags.length, 20);
});

// The images' metadata records and the retained images' document through the shared record store suite.
recordStoreSuite<ImageMeta>('ImageStore image records', {
  async open(root, suiteLog) {
    const records = imageRecords(root, suiteLog);
    const { records: loaded } = await records.loadAll();
    return { loaded: () => loaded, put: (k, v) => records.put(k, v), delete: (k) => records.delete(k), pathOf: (k) => records.path(k) };
  },
  keys: ['1'.repeat(64), '2'.repeat(64)], version: 1,
  sample: (hex, n) => ({ id: `sha256:${hex}`, added: `2024-01-0${n}T00:00:00Z`, ...(n % 2 ? { parent: `sha256:${'9'.repeat(64)}` } : {}) }),
});

recordStoreSuite<string[]>('ImageStore retained images', {
  async open(root, suiteLog) {
    const document = retainedImagesDocument(root, suiteLog);
    let retained: RetainedImage[] = (await document.load()) ?? [];
    const loaded = new Map(retained.map((r) => [r.id, r.layers]));
    return {
      loaded: () => loaded,
      put: (id, layers) => {
        retained = [...retained.filter((r) => r.id !== id), { id, layers }];
        return document.save(retained);
      },
      delete: (id) => {
        retained = retained.filter((r) => r.id !== id);
        return document.save(retained);
      },
      pathOf: () => document.path,
    };
  },
  keys: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`], version: 1, oneDocument: true,
  sample: (id, n) => Array.from({ length: n }, (_, i) => `sha256:${String(i).repeat(64)}`),
  legacy: (id, n) => [{ id, layers: Array.from({ length: n }, (_, i) => `sha256:${String(i).repeat(64)}`) }],
});
