// The start-up sweep: what a daemon killed mid-work leaves in the data root (temp names, scratch space,
// orphans nobody names, a half-done volume copy-up) is removed when the stores open, each removal is
// logged, and every finished object is left as it was.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Logger } from '../../src/engine/base/log.js';
import { defaultConfig } from '../../src/engine/base/config.js';
import { ImageStore } from '../../src/engine/images/image-store.js';
import { importImage } from '../../src/engine/images/image-import.js';
import { Distribution } from '../../src/engine/distribution/distribution.js';
import { BuildService } from '../../src/engine/build/build-service.js';
import { VolumeStore } from '../../src/engine/volumes/volume-store.js';
import { COPY_UP_MARKER } from '../../src/engine/volumes/copy-up.js';
import { LayerOrigins } from '../../src/engine/layers/layer-origins.js';
import { layerOriginsRoot } from '../../src/engine/layers/kept-archive.js';
import { sweepLeftovers } from '../../src/engine/store/leftovers.js';

/** A daemon log that keeps its lines. */
class KeptLog extends Logger {
  readonly lines: string[] = [];
  override info(msg: string): void { this.lines.push(`info ${msg}`); }
  override warn(msg: string): void { this.lines.push(`warn ${msg}`); }
  override error(msg: string): void { this.lines.push(`error ${msg}`); }
  has(pattern: RegExp): boolean {
    return this.lines.some((l) => pattern.test(l));
  }
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let dataRoot: string;
beforeEach(async () => { dataRoot = await mkdtemp(join(tmpdir(), 'berth-sweep-')); });
afterEach(async () => { await rm(dataRoot, { recursive: true, force: true }); });

const openImages = (log: Logger) => ImageStore.open(join(dataRoot, 'image'), log);
const hex = (digest: string) => digest.slice('sha256:'.length);

test('images: unfinished layers, unnamed layers, content nobody names, load and save scratch and temp files go; the image stays whole', async () => {
  const setupLog = new KeptLog('debug');
  const store = await openImages(setupLog);
  const image = await importImage(store, { source: Readable.from([await tarOf({ kept: 'yes' })]), log: setupLog });
  // What a crash leaves at each point of an import, a pull or a load:
  const unnamed = await store.registerLayer(Readable.from([await tarOf({ orphan: 'layer' })]));
  const orphanConfig = await store.content.put(Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}'));
  const orphanArchive = await store.content.put(Buffer.from('an archive kept before its layer was registered'));
  const goneLayerArchive = await store.content.put(Buffer.from('the kept archive of a layer that is gone'));
  const origins = await LayerOrigins.open(layerOriginsRoot(dataRoot), setupLog);
  await origins.setLocal(`sha256:${'e'.repeat(64)}`, { digest: goneLayerArchive, size: 1, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' });
  await store.close();
  const layers = join(dataRoot, 'layers');
  await mkdir(join(layers, 'tmp-0123456789abcdef', 'diff'), { recursive: true });
  await mkdir(join(layers, 'f'.repeat(64), 'diff'), { recursive: true });
  await writeFile(join(dataRoot, 'image', 'content', 'ingest', '0011223344556677'), 'half a blob');
  await mkdir(join(dataRoot, 'image', 'load-AbC123', 'blobs'), { recursive: true });
  await mkdir(join(dataRoot, 'image', 'save-XyZ789'), { recursive: true });
  const originTemp = join(layerOriginsRoot(dataRoot), 'sha256', `.${'d'.repeat(64)}.json.0123456789ab.tmp`);
  await writeFile(originTemp, '[');

  const log = new KeptLog('debug');
  const reopened = await openImages(log);
  assert.deepEqual(reopened.list().map((i) => i.id), [image.id]);
  assert.equal((await reopened.content.list()).sort().join(), [image.id, ...(await keptArchives())].sort().join());
  assert.deepEqual((await readdir(layers)).sort(), [hex(image.layers[0]!), 'l'].sort());
  assert.equal(reopened.layerStore.has(unnamed.chainId), false);
  assert.deepEqual(await readdir(join(dataRoot, 'image', 'content', 'ingest')), []);
  assert.deepEqual((await readdir(join(dataRoot, 'image'))).filter((n) => /^(load|save)-/.test(n)), []);
  assert.equal(existsSync(originTemp), false);
  assert.equal(await origins.local(`sha256:${'e'.repeat(64)}`), undefined);

  // Each removal is in the log, with what it was.
  for (const pattern of [
    /removing unfinished layer directory tmp-0123456789abcdef/,
    new RegExp(`removing layer directory ${'f'.repeat(64)} without valid metadata`),
    new RegExp(`removed layer ${unnamed.chainId}: no image names it`),
    /content\/ingest\/0011223344556677: a content write that did not finish/,
    /load-AbC123: scratch space of a docker load or save that did not finish/,
    /save-XyZ789: scratch space of a docker load or save that did not finish/,
    /\.tmp: a layer origin write that did not finish/,
    new RegExp(`${hex(orphanConfig)}: a content blob no image or layer names`),
    new RegExp(`${hex(orphanArchive)}: a content blob no image or layer names`),
    new RegExp(`info removing the kept archive ${goneLayerArchive} of layer sha256:e{64}, which is gone`),
  ]) assert.ok(log.has(pattern), `${pattern} not in:\n${log.lines.join('\n')}`);

  // The image's own kept archive stays (a push sends those exact bytes), and a second start finds nothing.
  assert.equal((await keptArchives()).length, 1);
  await reopened.close();
  const again = new KeptLog('debug');
  await (await openImages(again)).close();
  assert.deepEqual(again.lines, []);
});

/** The digests of the kept archives LayerOrigins names. */
async function keptArchives(): Promise<string[]> {
  const origins = await LayerOrigins.open(layerOriginsRoot(dataRoot), new KeptLog('debug'));
  return (await origins.allLocal()).map((l) => l.blob.digest);
}

test('downloads, build contexts and cache entries of images that are gone: removed at start', async () => {
  const config = { ...defaultConfig(), dataRoot };
  const setupLog = new KeptLog('debug');
  const images = await openImages(setupLog);
  const builds = await BuildService.open({ config, log: setupLog, images });
  await builds.cache.record('step-of-a-gone-image', `sha256:${'a'.repeat(64)}`);
  await builds.close();
  await mkdir(join(dataRoot, 'distribution', 'tmp'), { recursive: true });
  await writeFile(join(dataRoot, 'distribution', 'tmp', 'download-1'), 'part of a layer');
  await mkdir(join(dataRoot, 'build', 'tmp', '00aa11bb22cc33dd', 'context'), { recursive: true });

  const log = new KeptLog('debug');
  await Distribution.open({ config, log, images });
  const reopened = await BuildService.open({ config, log, images });
  assert.deepEqual(await readdir(join(dataRoot, 'distribution', 'tmp')), []);
  assert.deepEqual(await readdir(join(dataRoot, 'build', 'tmp')), []);
  assert.equal(reopened.cache.lookup({ has: () => true }, 'step-of-a-gone-image'), undefined);
  assert.ok(log.has(/download-1: a download that did not finish/), log.lines.join('\n'));
  assert.ok(log.has(/00aa11bb22cc33dd: the context and snapshots of a build that did not finish/), log.lines.join('\n'));
  await reopened.close();
});

test('volumes: a copy-up cut short is emptied (the next start copies again); finished volumes and their data stay', async () => {
  const root = join(dataRoot, 'volumes');
  const setupLog = new KeptLog('debug');
  const volumes = await VolumeStore.open(root, setupLog);
  await volumes.create({ name: 'half' });
  await volumes.create({ name: 'whole' });
  await volumes.close();
  await writeFile(join(root, 'half', COPY_UP_MARKER), '/data\n');
  await mkdir(join(root, 'half', '_data', 'etc'), { recursive: true });
  await writeFile(join(root, 'half', '_data', 'etc', 'passwd'), 'root:x:0:0');
  await writeFile(join(root, 'whole', '_data', 'file'), 'kept');
  await mkdir(join(root, '.removing-gone-0a0b0c0d', '_data'), { recursive: true });

  const log = new KeptLog('debug');
  const reopened = await VolumeStore.open(root, log);
  assert.deepEqual(reopened.list().map((v) => v.Name), ['half', 'whole']);
  assert.deepEqual(await readdir(join(root, 'half', '_data')), []);
  assert.equal(existsSync(join(root, 'half', COPY_UP_MARKER)), false);
  assert.deepEqual(await readdir(join(root, 'whole', '_data')), ['file']);
  assert.equal(existsSync(join(root, '.removing-gone-0a0b0c0d')), false);
  assert.ok(log.has(/volume half: removing the part of the image's content a start that did not finish copied in/), log.lines.join('\n'));
  assert.ok(log.has(/\.removing-gone-0a0b0c0d: a volume removal that did not finish/), log.lines.join('\n'));
  assert.equal(log.lines.length, 2, log.lines.join('\n'));
});

test('sweepLeftovers removes only what it picks, and a missing directory has nothing', async () => {
  const dir = join(dataRoot, 'd');
  await mkdir(join(dir, 'tmp-x', 'deep'), { recursive: true });
  await writeFile(join(dir, 'keep'), '');
  const log = new KeptLog('debug');
  assert.deepEqual(await sweepLeftovers(log, dir, (n) => n.startsWith('tmp-'), 'a test leftover'), ['tmp-x']);
  assert.deepEqual(await readdir(dir), ['keep']);
  assert.deepEqual(log.lines, [`warn removing ${join(dir, 'tmp-x')}: a test leftover`]);
  assert.deepEqual(await sweepLeftovers(log, join(dataRoot, 'nothing'), () => true, 'x'), []);
});
