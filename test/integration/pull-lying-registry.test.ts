// docker pull through berthd from a registry that misbehaves on purpose (a small distribution-API server
// written here): wrong bytes, missing configs, cut-off bodies, 500s, unknown media types, hostile tars,
// platform indexes, a daemon killed mid-pull, and two pulls sharing one download. Every failure must be
// a clear error in the pull output with no image registered and nothing written outside the layer store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tarOf } from '../helpers/distribution-peers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Decides how to answer one request; returns true when it answered. */
type Trick = (req: IncomingMessage, res: ServerResponse, digest: string | undefined) => boolean | Promise<boolean>;

class LyingRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { body: Buffer; type: string }>();
  readonly requests: { method: string; url: string; range?: string }[] = [];
  tricks: Trick[] = [];
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', url, range: req.headers.range });
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
    for (const trick of this.tricks) if (await trick(req, res, blob?.[2])) return;
    if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (url.startsWith('/v1/search?')) {
      const q = new URL(url, 'http://x').searchParams.get('q') ?? '';
      const results = [
        { name: 'team/busybox', description: 'a small shell', star_count: 12, is_official: true },
        { name: 'team/busybox-extra', description: 'more applets', star_count: 2, is_official: false },
      ].filter((r) => r.name.includes(q));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ num_results: results.length, query: q, results }));
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url);
    if (manifest) {
      const m = this.manifests.get(`${manifest[1]}:${manifest[2]}`) ?? this.manifests.get(`${manifest[1]}:${decodeURIComponent(manifest[2]!)}`);
      if (!m) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      res.writeHead(200, { 'content-type': m.type, 'content-length': m.body.length, 'docker-content-digest': sha256(m.body) });
      return void res.end(req.method === 'HEAD' ? undefined : m.body);
    }
    if (blob) {
      const data = this.blobs.get(blob[2]!);
      if (!data) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const from = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { 'content-length': data.length - from, 'content-type': 'application/octet-stream' });
      return void res.end(req.method === 'HEAD' ? undefined : data.subarray(from));
    }
    res.writeHead(404).end();
  }

  /** Adds an image of gzip layers; returns its descriptors for tests that want to tamper. */
  addImage(repo: string, tag: string, layers: Buffer[], options: { layerType?: string; diffIds?: string[]; manifestType?: string } = {}) {
    const compressed = layers.map((l) => gzipSync(l));
    for (const c of compressed) this.blobs.set(sha256(c), c);
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: options.diffIds ?? layers.map(sha256) },
    }));
    this.blobs.set(sha256(config), config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: options.manifestType ?? OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: compressed.map((c) => ({ mediaType: options.layerType ?? GZIP_LAYER, digest: sha256(c), size: c.length })),
    }));
    this.manifests.set(`${repo}:${tag}`, { body: manifest, type: options.manifestType ?? OCI_MANIFEST });
    this.manifests.set(`${repo}:${sha256(manifest)}`, { body: manifest, type: options.manifestType ?? OCI_MANIFEST });
    return { config: sha256(config), layers: compressed.map(sha256), manifest: sha256(manifest), manifestBytes: manifest };
  }
}

let daemon: TestDaemon;
let registry: LyingRegistry;

before(async () => {
  registry = new LyingRegistry();
  await registry.start();
  daemon = await startDaemon();
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await registry?.stop();
  }
});

/** A layer of one file of `size` random hex characters (so gzip cannot shrink it much), named for the test. */
function layerFor(name: string, size = 2000): Promise<Buffer> {
  return tarOf([{ name: `${name}.txt`, content: randomBytes(Math.ceil(size / 2)).toString('hex') }]);
}

async function images(): Promise<string> {
  return (await daemon.docker(['images', '-q', '--no-trunc'])).stdout.trim();
}

async function layerDirs(): Promise<string[]> {
  return (await readdir(join(daemon.dataRoot, 'layers')).catch(() => [])).sort();
}

/** Pulls and expects a failure whose message matches; checks nothing was registered. */
async function pullFails(ref: string, message: RegExp): Promise<void> {
  const imagesBefore = await images();
  const layersBefore = await layerDirs();
  const r = await daemon.docker(['pull', ref]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, message);
  assert.equal(await images(), imagesBefore);
  assert.deepEqual(await layerDirs(), layersBefore);
  assert.deepEqual(await readdir(join(daemon.dataRoot, 'distribution', 'tmp')), []);
}

test('blob bytes that do not match their digest fail the pull', async () => {
  const img = registry.addImage('lie/bytes', '1', [await layerFor('bytes')]);
  const real = registry.blobs.get(img.layers[0]!)!;
  const forged = Buffer.from(real);
  forged[forged.length - 10] ^= 0xff;
  registry.blobs.set(img.layers[0]!, forged);
  await pullFails(`${registry.host}/lie/bytes:1`, new RegExp(`filesystem layer verification failed for digest ${img.layers[0]}`));
});

test('a manifest whose config the registry does not have fails the pull', async () => {
  const img = registry.addImage('lie/noconfig', '1', [await layerFor('noconfig')]);
  registry.blobs.delete(img.config);
  await pullFails(`${registry.host}/lie/noconfig:1`, new RegExp(`does not have the image configuration ${img.config}`));
});

test('a config whose bytes do not match its digest fails the pull', async () => {
  const img = registry.addImage('lie/config', '1', [await layerFor('config')]);
  const config = registry.blobs.get(img.config)!;
  registry.blobs.set(img.config, Buffer.from(config.toString().replace('amd64', 'AMD64')));
  await pullFails(`${registry.host}/lie/config:1`, /image configuration verification failed/);
});

test('a body cut off every time fails after retries; cut off once, the pull resumes where it stopped', async () => {
  const always = registry.addImage('lie/truncated', '1', [await layerFor('truncated', 200_000)]);
  const once = registry.addImage('lie/resumed', '1', [await layerFor('resumed', 200_000)]);
  let cutOnce = false;
  const cut = (res: ServerResponse, data: Buffer) => {
    res.writeHead(200, { 'content-length': data.length });
    res.write(data.subarray(0, 1000), () => res.destroy());
    return true;
  };
  registry.tricks = [(req, res, digest) => {
    if (digest === always.layers[0]) return cut(res, registry.blobs.get(digest)!);
    if (digest === once.layers[0] && !cutOnce) {
      cutOnce = true;
      return cut(res, registry.blobs.get(digest)!);
    }
    return false;
  }];
  try {
    await pullFails(`${registry.host}/lie/truncated:1`, new RegExp(`downloading ${always.layers[0]} failed 5 times`));
    const r = await daemon.docker(['pull', `${registry.host}/lie/resumed:1`]);
    assert.equal(r.code, 0, r.stderr);
    const gets = registry.requests.filter((q) => q.method === 'GET' && q.url.endsWith(once.layers[0]!));
    assert.equal(gets.length, 2);
    assert.equal(gets[1]!.range, 'bytes=1000-');
    const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/lie/resumed:1`]);
    assert.equal(id.stdout.trim(), once.config);
  } finally {
    registry.tricks = [];
  }
});

test('a registry that ignores Range after a cut-off body: the download starts over and the layer is unpacked once, whole', async () => {
  const image = registry.addImage('lie/norange', '1', [await layerFor('norange', 200_000)]);
  let cut = false;
  registry.tricks = [(req, res, digest) => {
    if (digest !== image.layers[0]) return false;
    const data = registry.blobs.get(digest)!;
    res.writeHead(200, { 'content-length': data.length });
    if (cut) res.end(data); // the whole blob again, Range or not
    else {
      cut = true;
      res.write(data.subarray(0, 1000), () => res.destroy());
    }
    return true;
  }];
  try {
    const r = await daemon.docker(['pull', `${registry.host}/lie/norange:1`]);
    assert.equal(r.code, 0, r.stderr);
    const gets = registry.requests.filter((q) => q.method === 'GET' && q.url.endsWith(image.layers[0]!));
    assert.equal(gets.length, 2);
    assert.equal(gets[1]!.range, 'bytes=1000-');
    const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/lie/norange:1`]);
    assert.equal(id.stdout.trim(), image.config);
  } finally {
    registry.tricks = [];
  }
});

test('a 500 from the registry is retried, and reported when it persists', async () => {
  const always = registry.addImage('lie/error', '1', [await layerFor('error500')]);
  const once = registry.addImage('lie/flaky', '1', [await layerFor('flaky')]);
  let failedOnce = false;
  registry.tricks = [(req, res, digest) => {
    if (digest === always.layers[0] || (digest === once.layers[0] && !failedOnce)) {
      if (digest === once.layers[0]) failedOnce = true;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      return true;
    }
    return false;
  }];
  try {
    await pullFails(`${registry.host}/lie/error:1`, /received unexpected HTTP status: 500 Internal Server Error/);
    const r = await daemon.docker(['pull', `${registry.host}/lie/flaky:1`]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    registry.tricks = [];
  }
});

test('unknown media types are refused by name', async () => {
  registry.addImage('lie/layertype', '1', [await layerFor('layertype')], { layerType: 'application/x-weird-layer' });
  await pullFails(`${registry.host}/lie/layertype:1`, /unsupported layer media type application\/x-weird-layer/);
  registry.addImage('lie/manifesttype', '1', [await layerFor('manifesttype')], { manifestType: 'application/x-weird-manifest' });
  await pullFails(`${registry.host}/lie/manifesttype:1`, /unsupported manifest media type application\/x-weird-manifest/);
});

test('a layer whose content is not the diffID of the config is not kept', async () => {
  const other = sha256(Buffer.from('something else'));
  registry.addImage('lie/diffid', '1', [await layerFor('diffid')], { diffIds: [other] });
  await pullFails(`${registry.host}/lie/diffid:1`, new RegExp(`is not the ${other} the image configuration names`));
});

test('layers with path escapes are refused and write nothing outside the layer', async () => {
  const outside = join(daemon.dir, 'escaped');
  const hostile = [
    await tarOf([{ name: '../../../../../../../../../../..' + join(daemon.dir, 'escaped-dotdot'), content: 'x' }]),
    await tarOf([{ name: 'link', type: 'symlink', linkname: daemon.dir }, { name: 'link/escaped', content: 'x' }]),
  ];
  for (const [i, layer] of hostile.entries()) {
    registry.addImage('lie/escape', String(i), [layer]);
    await pullFails(`${registry.host}/lie/escape:${i}`, /refusing tar entry/);
  }
  assert.equal(existsSync(outside), false);
  assert.equal(existsSync(join(daemon.dir, 'escaped-dotdot')), false);
});

test('an index resolves to the linux/amd64 image; an index without one is refused', async () => {
  const img = registry.addImage('lie/multi', 'amd64-only', [await layerFor('multi')]);
  const index = (entries: object[]) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  const entry = (digest: string, size: number, architecture: string) => ({ mediaType: OCI_MANIFEST, digest, size, platform: { os: 'linux', architecture } });
  const missing = sha256(Buffer.from('no such manifest'));
  const good = index([entry(missing, 100, 'arm64'), entry(img.manifest, img.manifestBytes.length, 'amd64')]);
  registry.manifests.set('lie/multi:1', { body: good, type: OCI_INDEX });
  registry.manifests.set('lie/multi:arm', { body: index([entry(missing, 100, 'arm64')]), type: OCI_INDEX });
  const r = await daemon.docker(['pull', `${registry.host}/lie/multi:1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`Digest: ${sha256(good)}`), r.stdout);
  const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/lie/multi:1`]);
  assert.equal(id.stdout.trim(), img.config);
  await pullFails(`${registry.host}/lie/multi:arm`, /no matching manifest for linux\/amd64 in the manifest list entries/);
});

test('two pulls of images sharing a layer download it once', async () => {
  const shared = await layerFor('shared', 100_000);
  const a = registry.addImage('lie/share-a', '1', [shared, await layerFor('share-a')]);
  registry.addImage('lie/share-b', '1', [shared, await layerFor('share-b')]);
  // Hold the shared blob back a little so both pulls ask for it while the first download runs.
  registry.tricks = [async (req, res, digest) => {
    if (digest === a.layers[0]) await new Promise((r) => setTimeout(r, 400));
    return false;
  }];
  try {
    const [ra, rb] = await Promise.all([
      daemon.docker(['pull', `${registry.host}/lie/share-a:1`]),
      daemon.docker(['pull', `${registry.host}/lie/share-b:1`]),
    ]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const gets = registry.requests.filter((q) => q.method === 'GET' && q.url.endsWith(a.layers[0]!));
    assert.equal(gets.length, 1);
  } finally {
    registry.tricks = [];
  }
});

test('a daemon killed mid-pull leaves no image and no download behind; the next pull completes', async () => {
  const img = registry.addImage('lie/killed', '1', [await layerFor('killed-base'), await layerFor('killed', 300_000)]);
  let stalled!: () => void;
  const reached = new Promise<void>((r) => (stalled = r));
  registry.tricks = [(req, res, digest) => {
    if (digest !== img.layers[1]) return false;
    const data = registry.blobs.get(digest)!;
    res.writeHead(200, { 'content-length': data.length });
    res.write(data.subarray(0, 100_000));
    stalled();
    return true; // never finishes
  }];
  const pulling = daemon.docker(['pull', `${registry.host}/lie/killed:1`]);
  try {
    await reached;
    await new Promise((r) => setTimeout(r, 200));
    await daemon.kill9();
  } finally {
    registry.tricks = [];
  }
  await pulling;
  await daemon.launch();
  assert.equal((await daemon.docker(['images', '-q', `${registry.host}/lie/killed`])).stdout.trim(), '');
  const r = await daemon.docker(['pull', `${registry.host}/lie/killed:1`]);
  assert.equal(r.code, 0, r.stderr);
  // The cut-off download of the killed daemon is gone, not resumed from a file nobody verified.
  assert.deepEqual(await readdir(join(daemon.dataRoot, 'distribution', 'tmp')), []);
  const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/lie/killed:1`]);
  assert.equal(id.stdout.trim(), img.config);
});

test('docker search asks the registry the term names and filters its answer', async () => {
  const r = await daemon.docker(['search', '--format', '{{.Name}} {{.StarCount}} {{.IsOfficial}}', `${registry.host}/busybox`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'team/busybox 12 [OK]\nteam/busybox-extra 2');
  const starred = await daemon.docker(['search', '--filter', 'stars=10', '--format', '{{.Name}}', `${registry.host}/busybox`]);
  assert.equal(starred.stdout.trim(), 'team/busybox');
  assert.equal(registry.requests.at(-1)!.url, '/v1/search?q=busybox&n=25');
});
