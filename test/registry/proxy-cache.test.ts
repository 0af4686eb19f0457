// The pull-through cache (issue 17), as its users see it: `docker pull` through a berthd of images that
// live in upstreams on loopback — a berth-registry (behind a front of the test's own that counts
// requests, answers 429 or goes away), Debian's docker-registry with Basic auth, and a berth-registry
// with its own token server — each under its own prefix of one cache. Digests match the upstream's; a
// second pull within the ttl asks the upstream nothing, one after it asks one HEAD; the cached image
// still pulls when the upstream answers 429, is killed, or cannot be reached at all; an image never
// cached then fails clearly; pushes to a cached prefix are refused; concurrent pulls of a blob fetch it
// once; a blob cut short upstream leaves nothing behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import {
  busyboxLayer, cleanUpInOrder, copyToRegistry, startBerthRegistry, startDockerRegistry, writeOciLayout, type LayoutImage, type RegistryPeer,
} from '../helpers/distribution-peers.js';
import { errorCode, pushImage, randomBlob, sha256 } from './helpers/client.js';
import { ROOT, spawnRegistry, startTestRegistry, tempDir, type RegistryProcess, type TestRegistry } from './helpers/registry.js';
import { startUpstreamFront, type UpstreamFront } from './helpers/upstream-front.js';

const REFERENCE = '/work/shared/tools/reference-dockerd';
const SHORT_TTL_MS = 2_000;
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json';

let dir: string;
let plain: RegistryProcess;
let front: UpstreamFront;
let basic: RegistryPeer;
let token: RegistryPeer;
let cache: TestRegistry;
let cacheConfig: string;
let daemon: TestDaemon;
let layout: LayoutImage;
const digests: Record<string, string> = {};

/** The manifest digest an upstream has for `name:tag`. */
async function upstreamDigest(url: string, name: string, tag: string, auth?: string): Promise<string> {
  const res = await fetch(`${url}/v2/${name}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT, ...(auth ? { Authorization: auth } : {}) } });
  assert.equal(res.status, 200, `HEAD ${name}:${tag} at ${url}`);
  return res.headers.get('docker-content-digest')!;
}

/** `docker pull` through berthd; the digest it reports. */
async function pull(ref: string): Promise<string> {
  const pulled = await daemon.docker(['pull', ref]);
  assert.equal(pulled.code, 0, `docker pull ${ref}: ${pulled.stderr}`);
  return /Digest: (sha256:[0-9a-f]{64})/.exec(pulled.stdout)?.[1] ?? '';
}

async function removeImage(ref: string): Promise<void> {
  const removed = await daemon.docker(['rmi', ref]);
  assert.equal(removed.code, 0, removed.stderr);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  dir = tempDir('berth-proxy-cache-');
  const layer = await busyboxLayer();
  layout = await writeOciLayout([layer]);
  // The upstream the front stands before: a berth-registry process, so that it can be killed.
  plain = await spawnRegistry({ REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'plain'), REGISTRY_LOG_ACCESSLOG_DISABLED: 'true' });
  front = await startUpstreamFront(plain.url);
  basic = await startDockerRegistry({ htpasswd: { user: 'mirror', password: 'mirror-pw' } });
  token = await startBerthRegistry({
    users: { pusher: 'pusher-pw', puller: 'puller-pw' },
    acl: [{ account: 'pusher', name: 'team/*', actions: ['pull', 'push'] }, { account: 'puller', name: 'team/*', actions: ['pull'] }],
    admins: ['pusher'],
  });
  for (const name of ['org/img:1', 'org/stale:1', 'library/tool:1']) await copyToRegistry(layout, `${plain.host}/${name}`);
  await copyToRegistry(layout, `${basic.host}/org/other:1`, { creds: 'mirror:mirror-pw', dockerFormat: true });
  await copyToRegistry(layout, `${token.host}/team/app:1`, { creds: 'pusher:pusher-pw' });
  digests.img = await upstreamDigest(plain.url, 'org/img', '1');
  digests.tool = await upstreamDigest(plain.url, 'library/tool', '1');
  digests.other = await upstreamDigest(`http://${basic.host}`, 'org/other', '1', `Basic ${Buffer.from('mirror:mirror-pw').toString('base64')}`);

  cacheConfig = join(dir, 'cache.yml');
  writeFileSync(cacheConfig, [
    'proxy:',
    '  upstreams:',
    `    - {prefix: docker.io, url: "${front.url}", ttl: 10m, library: true}`,
    `    - {prefix: short.io, url: "${front.url}", ttl: ${SHORT_TTL_MS / 1000}s}`,
    `    - {prefix: stale.io, url: "${front.url}", ttl: 0}`,
    `    - {prefix: ghcr.io, url: "http://${basic.host}", username: mirror, password: mirror-pw}`,
    `    - {prefix: quay.io, url: "http://${token.host}", username: puller, password: puller-pw}`,
    '',
  ].join('\n'));
  cache = await startTestRegistry({ REGISTRY_LOG_ACCESSLOG_DISABLED: 'true' }, cacheConfig);
  daemon = await startDaemon();
  await importBusybox(daemon, 'busybox:latest');
});

after(() => cleanUpInOrder(
  () => daemon?.stop(), () => cache?.stop(), () => front?.close(), () => plain?.stop(), () => basic?.stop(), () => token?.stop(),
  () => layout?.cleanup(), () => (dir ? run('rm', ['-rf', dir]) : undefined),
));

test('docker pull through the cache gives the upstream\'s digest; a second pull within the ttl asks the upstream nothing', async () => {
  const ref = `${cache.host}/docker.io/org/img:1`;
  const before = front.seen.length;
  assert.equal(await pull(ref), digests.img);
  assert.ok(front.seen.slice(before).some((r) => r === 'HEAD /v2/org/img/manifests/1'), front.seen.slice(before).join('\n'));
  const fetched = front.seen.slice(before).filter((r) => r.startsWith('GET /v2/org/img/blobs/'));
  assert.equal(new Set(fetched).size, fetched.length, 'each blob fetched once');

  await removeImage(ref);
  const second = front.seen.length;
  assert.equal(await pull(ref), digests.img);
  assert.deepEqual(front.seen.slice(second), [], 'no upstream request within the ttl');
});

test('once the ttl has run out, a pull asks the upstream one HEAD', async () => {
  const ref = `${cache.host}/short.io/org/img:1`;
  assert.equal(await pull(ref), digests.img);
  const looked = Date.now(); // the lookup's ttl started before this
  await removeImage(ref);
  await sleep(looked + SHORT_TTL_MS + 100 - Date.now());
  const before = front.seen.length;
  assert.equal(await pull(ref), digests.img);
  assert.deepEqual(front.seen.slice(before), ['HEAD /v2/org/img/manifests/1']);
});

test('a single-name repository under a Docker Hub-like prefix is the upstream\'s library/ image', async () => {
  assert.equal(await pull(`${cache.host}/docker.io/tool:1`), digests.tool);
  assert.ok(front.seen.includes('HEAD /v2/library/tool/manifests/1'));
});

test('two prefixes route to two upstreams: Debian\'s docker-registry with Basic auth, a berth-registry with token auth', async () => {
  assert.equal(await pull(`${cache.host}/ghcr.io/org/other:1`), digests.other);
  const app = await pull(`${cache.host}/quay.io/team/app:1`);
  const direct = await daemon.docker(['pull', '-q', `${token.host}/team/app:1`]);
  assert.notEqual(direct.code, 0, 'the token upstream refuses anonymous pulls: the cache pulled with its own credentials');
  assert.match(app, /^sha256:/);
  const catalog = await (await fetch(`${cache.url}/v2/_catalog`)).json() as { repositories: string[] };
  for (const name of ['docker.io/org/img', 'docker.io/tool', 'ghcr.io/org/other', 'quay.io/team/app']) assert.ok(catalog.repositories.includes(name), `${name} in ${catalog.repositories}`);
  const tags = await (await fetch(`${cache.url}/v2/docker.io/org/img/tags/list`)).json();
  assert.deepEqual(tags, { name: 'docker.io/org/img', tags: ['1'] });
});

test('distribution\'s own keys: proxy.remoteurl, username, password, ttl make every repository a copy of one upstream', async () => {
  const mirror = await startTestRegistry({
    REGISTRY_LOG_ACCESSLOG_DISABLED: 'true', REGISTRY_PROXY_REMOTEURL: `http://${basic.host}`,
    REGISTRY_PROXY_USERNAME: 'mirror', REGISTRY_PROXY_PASSWORD: 'mirror-pw', REGISTRY_PROXY_TTL: '168h',
  });
  try {
    const ref = `${mirror.host}/org/other:1`;
    assert.equal(await pull(ref), digests.other);
    await removeImage(ref);
    assert.equal((await daemon.docker(['tag', 'busybox', `${mirror.host}/team/own:1`])).code, 0);
    const pushed = await daemon.docker(['push', `${mirror.host}/team/own:1`]);
    assert.match(pushed.stderr, /team\/own is in the pull-through cache of http:\/\/127\.0\.0\.1:\d+ \(proxy\.remoteurl\): pushes and deletes are not accepted there/);
    assert.equal((await daemon.docker(['rmi', `${mirror.host}/team/own:1`])).code, 0);
  } finally {
    await mirror.stop();
  }
});

test('a push to a cached prefix is refused with a message naming the prefix; other repositories take pushes', async () => {
  const ref = `${cache.host}/docker.io/org/mine:1`;
  assert.equal((await daemon.docker(['tag', 'busybox', ref])).code, 0);
  const pushed = await daemon.docker(['push', ref]);
  assert.notEqual(pushed.code, 0);
  assert.match(pushed.stderr, /docker\.io\/org\/mine is in the pull-through cache of http:\/\/127\.0\.0\.1:\d+ \(proxy prefix docker\.io\): pushes and deletes are not accepted there/);
  const post = await fetch(`${cache.url}/v2/docker.io/org/mine/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(await errorCode(post), 'UNSUPPORTED');
  const own = `${cache.host}/team/own:1`;
  assert.equal((await daemon.docker(['tag', 'busybox', own])).code, 0);
  const ok = await daemon.docker(['push', own]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('the hub knows pushed repositories only: cached ones are neither searched nor indexed', async () => {
  const search = async (q: string) => (await (await fetch(`${cache.url}/v2/search/repositories/?query=${q}`)).json() as { results: { repo_name: string }[] }).results.map((r) => r.repo_name);
  assert.deepEqual(await search('own'), ['team/own']);
  assert.deepEqual(await search('img'), []);
  const reindex = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/registry/main.ts'), 'hub', 'reindex', '--quiet', cacheConfig],
    { env: { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: cache.root } });
  assert.equal(reindex.code, 0, reindex.stderr);
  assert.match(reindex.stdout, /^hub: 1 repositories, 1 tags indexed; 0 repositories removed$/m);
  assert.deepEqual(await search('img'), []);
});

test('concurrent pulls of a blob fetch it from the upstream once; a blob cut short upstream leaves nothing behind', async () => {
  const image = await pushImage({ url: plain.url, headers: {} }, 'org/big', '1', { layers: [randomBlob(4 * 1024 * 1024)] });
  const layer = image.layers[0]!;
  const manifest = await fetch(`${cache.url}/v2/docker.io/org/big/manifests/1`, { headers: { Accept: ACCEPT } });
  assert.equal(manifest.status, 200);
  await manifest.arrayBuffer();

  front.mode = 'cut-blobs';
  const cut = await fetch(`${cache.url}/v2/docker.io/org/big/blobs/${layer}`).then((r) => r.arrayBuffer()).then(() => 'whole', () => 'failed');
  assert.equal(cut, 'failed', 'the client sees the cut, not a short body taken for a blob');
  front.mode = 'forward';
  const blobData = join(cache.root, 'docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data');
  assert.equal(existsSync(blobData), false, 'no half blob');
  const uploads = join(cache.root, 'docker/registry/v2/repositories/docker.io/org/big/_uploads');
  assert.deepEqual(existsSync(uploads) ? readdirSync(uploads) : [], [], 'no upload left');

  const before = front.seen.length;
  const bodies = await Promise.all([1, 2, 3].map(async () => Buffer.from(await (await fetch(`${cache.url}/v2/docker.io/org/big/blobs/${layer}`)).arrayBuffer())));
  for (const body of bodies) assert.equal(sha256(body), layer);
  assert.deepEqual(front.seen.slice(before).filter((r) => r.includes('/blobs/')), [`GET /v2/org/big/blobs/${layer}`], 'fetched once');
  assert.equal(`sha256:${createHash('sha256').update(readFileSync(blobData)).digest('hex')}`, layer, 'stored whole');
});

test('a client that leaves in the middle of a blob stops nothing: the blob is stored whole once its digest is checked', async () => {
  const image = await pushImage({ url: plain.url, headers: {} }, 'org/left', '1', { layers: [randomBlob(8 * 1024 * 1024)] });
  const layer = image.layers[0]!;
  const aborted = new AbortController();
  const res = await fetch(`${cache.url}/v2/docker.io/org/left/blobs/${layer}`, { signal: aborted.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  aborted.abort();
  const blobData = join(cache.root, 'docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data');
  // The fetch goes on: done once the blob is in place and its upload gone.
  const uploads = join(cache.root, 'docker/registry/v2/repositories/docker.io/org/left/_uploads');
  for (let i = 0; i < 600 && !(existsSync(blobData) && readdirSync(uploads).length === 0); i++) await sleep(50);
  assert.equal(`sha256:${createHash('sha256').update(readFileSync(blobData)).digest('hex')}`, layer);
  const before = front.seen.length;
  const again = Buffer.from(await (await fetch(`${cache.url}/v2/docker.io/org/left/blobs/${layer}`)).arrayBuffer());
  assert.equal(sha256(again), layer);
  assert.deepEqual(front.seen.slice(before), [], 'served from the cache');
  assert.deepEqual(readdirSync(uploads), [], 'no upload left');
});

test('the cached image pulls when the upstream answers 429, when its process is killed and when nothing answers; the answer is marked stale', async () => {
  const ref = `${cache.host}/stale.io/org/stale:1`;
  const digest = await pull(ref);
  await removeImage(ref);

  front.mode = '429';
  assert.equal(await pull(ref), digest);
  const head = await fetch(`${cache.url}/v2/stale.io/org/stale/manifests/1`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('warning'), '110 - "Response is Stale"');
  assert.equal(head.headers.get('docker-content-digest'), digest);
  await removeImage(ref);

  front.mode = 'forward';
  await plain.stop(true);
  assert.equal(await pull(ref), digest, 'upstream killed: the front answers 502');
  await removeImage(ref);
  await front.close();
  assert.equal(await pull(ref), digest, 'nothing answers at all');
  const fresh = await fetch(`${cache.url}/v2/stale.io/org/stale/manifests/1`, { headers: { Accept: ACCEPT } });
  assert.equal(fresh.headers.get('warning'), '110 - "Response is Stale"');
});

test('an image never cached, its upstream gone: 404 MANIFEST_UNKNOWN naming the upstream, as docker shows it (berthd and dockerd alike)', async () => {
  const ref = `${cache.host}/stale.io/org/never:1`;
  const res = await fetch(`${cache.url}/v2/stale.io/org/never/manifests/1`, { headers: { Accept: ACCEPT } });
  assert.equal(res.status, 404);
  const body = await res.json() as { errors: { code: string; message: string }[] };
  assert.equal(body.errors[0]!.code, 'MANIFEST_UNKNOWN');
  assert.match(body.errors[0]!.message, new RegExp(`stale.io/org/never:1 is not cached and the pull-through cache of ${front.url} \\(proxy prefix stale.io\\) could not give it: ${front.url} cannot be reached`));
  const ours = await daemon.docker(['pull', ref]);
  assert.equal(ours.code, 1);
  assert.match(ours.stderr, /manifest unknown: stale.io\/org\/never:1 is not cached/);
  let reference: string | undefined;
  try {
    reference = (await run(REFERENCE, ['start'])).stdout.trim().split('\n').pop();
  } catch (err) {
    console.error(`reference dockerd not available: ${(err as Error).message}`);
  }
  if (reference) {
    const theirs = await run(DOCKER, ['-H', reference, 'pull', ref]);
    assert.equal(theirs.code, ours.code);
    assert.equal(theirs.stderr, ours.stderr, 'berthd and dockerd tell the same');
  }
});
