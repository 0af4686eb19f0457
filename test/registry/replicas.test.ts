// Stateless replicas. Two berth-registry processes on one directory share an upload request by request;
// three on one radosgw bucket behind a round-robin proxy (each request to the next replica) take
// chunked pushes of 3 x 20 MiB images from a client that PATCHes every layer in parts, from skopeo and
// from the docker CLI through berthd, with no failure; every replica then serves the same bytes.
// The default run makes 4 pushes; BERTH_NIGHTLY=1 makes the 50.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { spawnRegistry, tempDir, type RegistryProcess } from './helpers/registry.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './helpers/round-robin-proxy.js';
import { makeLayout, tarOf } from './helpers/oci-layout.js';
import { errorCode, OCI_MANIFEST, req, sha256, type Client } from './helpers/client.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const NIGHTLY = process.env.BERTH_NIGHTLY === '1';
const LAYER_BYTES = 20 * MiB;
/** Pushes of 3 x 20 MiB images: 50 in the nightly run (as issue 17 asks), 4 by default. */
const PUSHES = NIGHTLY ? { chunked: 40, skopeo: 8, docker: 2 } : { chunked: 2, skopeo: 1, docker: 1 };
const PARTS = 3;

interface Pushed { repo: string; tag: string; digest: string; blobs: string[] }

/** The Location of an upload with ?digest= added, as clients close an upload. */
function withDigest(base: string, location: string, digest: string): string {
  const u = new URL(location, base);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Uploads a blob as POST, `parts` PATCHes with Content-Range, then PUT ?digest=; returns the upload's id. */
async function chunkedUpload(c: Client, name: string, data: Buffer, parts: number): Promise<string> {
  let res = await req(c, 'POST', `/v2/${name}/blobs/uploads/`);
  assert.equal(res.status, 202, await res.text());
  let location = res.headers.get('location')!;
  const id = res.headers.get('docker-upload-uuid')!;
  const step = Math.ceil(data.length / parts);
  for (let start = 0; start < data.length; start += step) {
    const part = data.subarray(start, Math.min(data.length, start + step));
    res = await req(c, 'PATCH', location, {
      body: part, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${start + part.length - 1}`, 'Content-Length': String(part.length) },
    });
    assert.equal(res.status, 202, await res.text());
    assert.equal(res.headers.get('range'), `0-${start + part.length - 1}`);
    location = res.headers.get('location')!;
  }
  res = await req(c, 'PUT', withDigest(c.url, location, sha256(data)));
  assert.equal(res.status, 201, await res.text());
  return id;
}

/** Pushes an image of `layers` whose every blob goes up in PARTS chunks; returns it and its upload ids. */
async function chunkedPush(c: Client, repo: string, tag: string, layers: Buffer[]): Promise<{ pushed: Pushed; uploads: string[] }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) } }));
  const uploads: string[] = [];
  for (const blob of [config, ...layers]) uploads.push(await chunkedUpload(c, repo, blob, blob.length > MiB ? PARTS : 1));
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
  });
  const res = await req(c, 'PUT', `/v2/${repo}/manifests/${tag}`, { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(res.status, 201, await res.text());
  return { pushed: { repo, tag, digest: sha256(manifest), blobs: [sha256(config), ...layers.map((l) => sha256(l))] }, uploads };
}

async function digestOf(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  const hash = createHash('sha256');
  for await (const chunk of res.body!) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** Every replica serves the tag's manifest and every blob with the digests pushed. */
async function checkOnEveryReplica(replicas: RegistryProcess[], image: Pushed): Promise<void> {
  for (const replica of replicas) {
    const res = await fetch(`${replica.url}/v2/${image.repo}/manifests/${image.tag}`, { headers: { Accept: `${OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json` } });
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(body), image.digest, `${replica.host} serves ${image.repo}:${image.tag}`);
    for (const blob of image.blobs) assert.equal(await digestOf(`${replica.url}/v2/${image.repo}/blobs/${blob}`), blob, `${replica.host} ${blob}`);
  }
}

/** Writes a `docker load` archive of one image with `layers` (each a tar of one random file). */
async function dockerArchive(path: string, repoTag: string, layerCount: number): Promise<void> {
  const layers = await Promise.all(Array.from({ length: layerCount }, (_, i) => tarOf({ [`data-${i}`]: randomBytes(LAYER_BYTES) })));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/data-0'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) },
  }));
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(path));
  const configName = `${sha256(config).slice(7)}.json`;
  pack.entry({ name: configName }, config);
  layers.forEach((l, i) => pack.entry({ name: `layer${i}/layer.tar` }, l));
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: layers.map((_, i) => `layer${i}/layer.tar`) }]));
  pack.finalize();
  await written;
}

describe('two replicas on one directory (filesystem driver)', () => {
  let root: string;
  let a: RegistryProcess;
  let b: RegistryProcess;
  before(async () => {
    root = tempDir();
    const env = { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root };
    a = await spawnRegistry(env);
    b = await spawnRegistry(env);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an upload POSTed on A takes its chunks on B and A in turn, is closed on B, and both serve the blob; the shared hub knows the push', async () => {
    const ca = { url: a.url, headers: {} };
    const cb = { url: b.url, headers: {} };
    const data = randomBytes(3 * MiB + 17);
    let res = await req(ca, 'POST', '/v2/team/app/blobs/uploads/');
    assert.equal(res.status, 202);
    let location = res.headers.get('location')!;
    const cuts = [0, MiB, 2 * MiB, data.length];
    for (let i = 0; i < 3; i++) {
      const c = i % 2 === 0 ? cb : ca;
      res = await req(c, 'PATCH', location, { body: data.subarray(cuts[i], cuts[i + 1]), headers: { 'Content-Range': `${cuts[i]}-${cuts[i + 1] - 1}` } });
      assert.equal(res.status, 202);
      location = res.headers.get('location')!;
    }
    res = await req(cb, 'GET', location);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('range'), `0-${data.length - 1}`);
    res = await req(cb, 'PUT', withDigest(b.url, location, sha256(data)));
    assert.equal(res.status, 201);
    for (const c of [ca, cb]) {
      res = await req(c, 'GET', `/v2/team/app/blobs/${sha256(data)}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    }
    // Both processes on one directory use one hub database (<root>/hub.db): a push through A is found through B.
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    res = await req(ca, 'POST', `/v2/team/app/blobs/uploads/?digest=${sha256(config)}`, { body: config });
    assert.equal(res.status, 201);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(data), size: data.length }] });
    res = await req(ca, 'PUT', '/v2/team/app/manifests/1.0', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 201);
    res = await req(cb, 'GET', '/v1/search?q=team');
    const found = await res.json() as { results: Array<{ name: string }> };
    assert.deepEqual(found.results.map((r) => r.name), ['team/app']);
  });

  it('while A is writing a chunk of an upload, a chunk for it on B is refused (400 BLOB_UPLOAD_INVALID); the upload then goes on', async () => {
    const { request } = await import('node:http');
    const cb = { url: b.url, headers: {} };
    let res = await req({ url: a.url, headers: {} }, 'POST', '/v2/team/lock/blobs/uploads/');
    const location = res.headers.get('location')!;
    const id = res.headers.get('docker-upload-uuid')!;
    const lockFile = join(root, 'docker/registry/v2/repositories/team/lock/_uploads', id, 'lock');
    const first = randomBytes(64 * 1024);
    const slow = request({ host: '127.0.0.1', port: a.port, method: 'PATCH', path: location, headers: { 'Content-Type': 'application/octet-stream' } });
    const answered = new Promise<number>((resolve, reject) => {
      slow.on('response', (r) => { r.resume(); resolve(r.statusCode ?? 0); });
      slow.on('error', reject);
    });
    slow.write(first);
    for (let i = 0; i < 200 && !existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(existsSync(lockFile), 'A holds the upload\'s lock in storage');
    res = await req(cb, 'PATCH', location, { body: randomBytes(10) });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'BLOB_UPLOAD_INVALID');
    slow.end();
    assert.equal(await answered, 202);
    res = await req(cb, 'PUT', withDigest(b.url, location, sha256(first)));
    assert.equal(res.status, 201);
    assert.equal(existsSync(join(root, 'docker/registry/v2/repositories/team/lock/_uploads', id)), false);
  });
});

describe('three replicas on radosgw behind a round-robin proxy', () => {
  let s3: S3Server;
  let replicas: RegistryProcess[] = [];
  let proxy: RoundRobinProxy;
  let daemon: TestDaemon | undefined;
  let work: string;

  before(async () => {
    work = tempDir('berth-replicas-');
    s3 = await startS3Server();
    await s3.createBucket('replicas');
    const env = {
      REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'replicas', REGISTRY_STORAGE_S3_REGION: s3.region,
      REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
      REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_CHUNKSIZE: String(5 * MiB),
      // The hub's database is a file of one machine (docs/registry.md, Replicas): off here.
      REGISTRY_HUB_ENABLED: 'false', AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    };
    for (let i = 0; i < 3; i++) replicas.push(await spawnRegistry(env));
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
  }, { timeout: 660_000 });

  after(async () => {
    await daemon?.stop();
    await proxy?.stop();
    for (const r of replicas) await r.stop();
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(`${PUSHES.chunked} pushes whose layers go up in ${PARTS} PATCHes, each request on the next replica: no failure, every replica serves the same bytes`, { timeout: 1_800_000 }, async () => {
    const c = { url: proxy.url, headers: {} };
    for (let n = 0; n < PUSHES.chunked; n++) {
      const layers = [randomBytes(LAYER_BYTES), randomBytes(LAYER_BYTES), randomBytes(LAYER_BYTES)];
      const { pushed, uploads } = await chunkedPush(c, `chunked/app${n}`, 'v1', layers);
      for (const id of uploads) {
        const backends = proxy.served.filter((s) => s.path.includes(id)).map((s) => s.backend);
        assert.ok(backends.length >= 2);
        for (let i = 1; i < backends.length; i++) assert.notEqual(backends[i], backends[i - 1], `upload ${id}: consecutive requests on one replica`);
      }
      await checkOnEveryReplica(replicas, pushed);
    }
    assert.deepEqual(proxy.served.filter((s) => s.status >= 400), []);
  });

  it(`${PUSHES.skopeo} skopeo pushes of 3 x 20 MiB images through the proxy: every replica serves them`, { timeout: 1_800_000 }, async () => {
    for (let n = 0; n < PUSHES.skopeo; n++) {
      const dir = join(work, `layout${n}`);
      const made = await makeLayout(dir, 'v1', [LAYER_BYTES, LAYER_BYTES, LAYER_BYTES]);
      await exec('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${proxy.host}/skopeo/app${n}:v1`], { maxBuffer: 16 * MiB });
      const inspect = JSON.parse((await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${replicas[n % 3].host}/skopeo/app${n}:v1`])).stdout);
      assert.equal(inspect.Digest, made.manifestDigest);
      await checkOnEveryReplica(replicas, { repo: `skopeo/app${n}`, tag: 'v1', digest: made.manifestDigest, blobs: made.layers });
      rmSync(dir, { recursive: true, force: true });
    }
    const uploads = proxy.served.filter((s) => s.path.startsWith('/v2/skopeo/') && /\/blobs\/uploads\/./.test(s.path));
    assert.ok(new Set(uploads.map((s) => s.backend)).size === 3, 'skopeo\'s upload requests reached every replica');
    assert.deepEqual(proxy.served.filter((s) => s.status >= 500), []);
  });

  it(`${PUSHES.docker} docker push through berthd to the proxy, docker pull from one replica: same digest; every replica serves the image`, { timeout: 1_800_000 }, async () => {
    const d = await startDaemon();
    daemon = d;
    for (let n = 0; n < PUSHES.docker; n++) {
      const ref = `${proxy.host}/docker/app${n}:v1`;
      const archive = join(work, `image${n}.tar`);
      await dockerArchive(archive, ref, 3);
      const load = await d.docker(['load', '-i', archive]);
      assert.equal(load.code, 0, load.stderr);
      rmSync(archive);
      const push = await d.docker(['push', ref]);
      assert.equal(push.code, 0, push.stderr);
      const digest = /digest: (sha256:[a-f0-9]{64}) size/.exec(push.stdout)![1];
      const manifest = await (await fetch(`${replicas[0].url}/v2/docker/app${n}/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json() as { config: { digest: string }; layers: Array<{ digest: string }> };
      assert.equal(manifest.layers.length, 3);
      await checkOnEveryReplica(replicas, { repo: `docker/app${n}`, tag: 'v1', digest, blobs: [manifest.config.digest, ...manifest.layers.map((l) => l.digest)] });

      const direct = `${replicas[(n + 1) % 3].host}/docker/app${n}:v1`;
      const pull = await d.docker(['pull', direct]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
      for (const name of [ref, direct]) assert.equal((await d.docker(['rmi', name])).code, 0);
    }
  });
});
