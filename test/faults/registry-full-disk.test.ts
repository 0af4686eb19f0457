// berth-registry on a full disk: its filesystem storage on a small tmpfs, filled up. A push is refused
// with a 5xx in distribution's error shape whose message says "no space left on device"; no half blob,
// upload or manifest is left visible; the same push works once space is back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDir, run } from '../helpers/daemon.js';
import { cleanUpInOrder, copyToRegistry, tarOf, writeOciLayout, type LayoutImage } from '../helpers/distribution-peers.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers/registry.js';
import { emptyOut, fillUp, listTree, mountTmpfs, unmountTmpfs } from './tmpfs.js';

const FULL = 'no space left on device';
let dir: string;
let storage: string;
let registry: TestRegistry;
let image: LayoutImage;
let layer: Buffer;

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function call(method: string, path: string, body?: Buffer | string, type = 'application/octet-stream') {
  const res = await fetch(`${registry.url}${path}`, {
    method, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body), headers: body === undefined ? {} : { 'Content-Type': type },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/** A refusal for the full disk: 500, distribution's {"errors":[{code, message}]} saying so. */
function assertFull(r: { status: number; text: string }, what: string): void {
  assert.equal(r.status, 500, `${what}: ${r.text}`);
  const errors = (JSON.parse(r.text) as { errors: { code: string; message: string }[] }).errors;
  assert.equal(errors[0].code, 'UNKNOWN', r.text);
  assert.ok(errors[0].message.includes(FULL), r.text);
}

/** Uploads a blob in one PUT (POST, then PUT ?digest=); returns the PUT's answer. */
async function putBlob(name: string, bytes: Buffer) {
  const started = await call('POST', `/v2/${name}/blobs/uploads/`);
  if (started.status !== 202) return started;
  const url = new URL(started.headers.get('location')!, registry.url);
  url.searchParams.set('digest', digestOf(bytes));
  return call('PUT', `${url.pathname}${url.search}`, bytes);
}

/** What a client can see: the catalog, and whether the repository has tags or the blob. */
async function visible(name: string, digest: string) {
  return {
    catalog: (await call('GET', '/v2/_catalog')).text,
    tags: (await call('GET', `/v2/${name}/tags/list`)).status,
    blob: (await call('HEAD', `/v2/${name}/blobs/${digest}`)).status,
  };
}

/** Upload data and temp files left in the storage tree. */
async function halfWritten(): Promise<string[]> {
  return (await listTree(storage)).filter((p) => /\/_uploads\/[^/]+\/data$|\.berth-tmp-/.test(p));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-faults-'));
  storage = join(dir, 'storage');
  await mountTmpfs(storage, '8m');
  registry = await startTestRegistry({ REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: storage });
  layer = await tarOf([{ name: 'random.txt', content: randomBytes(256 * 1024).toString('hex') }]);
  image = await writeOciLayout([layer]);
});

after(() => cleanUpInOrder(
  () => (storage ? emptyOut(storage) : undefined),
  () => registry?.stop(),
  () => image?.cleanup(),
  () => (storage ? unmountTmpfs(storage) : undefined),
  () => (dir ? cleanupDir(dir) : undefined),
));

test('a push to a full registry is refused with "no space left on device", leaves nothing visible, and works once space is back', async () => {
  const name = 'faults/full';
  const before = await visible(name, digestOf(layer));
  assert.equal(before.tags, 404);
  await fillUp(storage);
  try {
    assertFull(await call('POST', `/v2/${name}/blobs/uploads/`), 'starting an upload');
    const push = await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${image.dir}:${image.ref}`, `docker://${registry.host}/${name}:1`], { timeoutMs: 60_000 });
    assert.notEqual(push.code, 0, 'skopeo copy should fail'); // it names the status only, not the message
    assert.deepEqual(await visible(name, digestOf(layer)), before);
    assert.deepEqual(await halfWritten(), []);
  } finally {
    await emptyOut(storage);
  }
  // Room for the upload's bookkeeping, not for the blob: the bytes fail part way.
  await fillUp(storage, 64 * 1024);
  try {
    assertFull(await putBlob(name, layer), 'uploading the blob');
    assert.deepEqual(await visible(name, digestOf(layer)), before);
    assert.deepEqual(await halfWritten(), []);
  } finally {
    await emptyOut(storage);
  }
  await copyToRegistry(image, `${registry.host}/${name}:1`);
  const tags = await call('GET', `/v2/${name}/tags/list`);
  assert.deepEqual(JSON.parse(tags.text), { name, tags: ['1'] });
  assert.ok((JSON.parse((await call('GET', '/v2/_catalog')).text) as { repositories: string[] }).repositories.includes(name));
});

test('a manifest put on a full disk is refused and leaves neither tag nor revision', async () => {
  const name = 'faults/manifest';
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(layer)] } }));
  for (const blob of [config, layer]) assert.equal((await putBlob(name, blob)).status, 201);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
  }));
  const catalog = (await call('GET', '/v2/_catalog')).text;
  const tags = await call('GET', `/v2/${name}/tags/list`);
  await fillUp(storage);
  try {
    assertFull(await call('PUT', `/v2/${name}/manifests/1`, manifest, 'application/vnd.oci.image.manifest.v1+json'), 'putting the manifest');
    assert.deepEqual(await call('GET', `/v2/${name}/tags/list`).then((r) => [r.status, r.text]), [tags.status, tags.text]);
    assert.equal((await call('GET', `/v2/${name}/manifests/${digestOf(manifest)}`)).status, 404);
    assert.equal((await call('GET', '/v2/_catalog')).text, catalog);
    assert.deepEqual(await halfWritten(), []);
  } finally {
    await emptyOut(storage);
  }
  assert.equal((await call('PUT', `/v2/${name}/manifests/1`, manifest, 'application/vnd.oci.image.manifest.v1+json')).status, 201);
  assert.deepEqual(JSON.parse((await call('GET', `/v2/${name}/tags/list`)).text), { name, tags: ['1'] });
});
