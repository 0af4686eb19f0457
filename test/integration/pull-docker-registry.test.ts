// docker pull through berthd from Debian's docker-registry, populated with skopeo: per-layer progress,
// the digest, gzip and zstd layers, OCI and Docker manifests, digests, refusals in Docker's words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import {
  busyboxLayer, cleanUpInOrder, copyToRegistry, inspectInRegistry, startDockerRegistry, tarOf, writeOciLayout, type LayoutImage, type RegistryPeer,
} from '../helpers/distribution-peers.js';

let daemon: TestDaemon;
let registry: RegistryPeer;
let image: LayoutImage;
let zstdImage: LayoutImage;

before(async () => {
  // One after the other, so that `after` can stop whichever started when the other fails.
  registry = await startDockerRegistry();
  daemon = await startDaemon();
  image = await writeOciLayout([await busyboxLayer(), await tarOf([{ name: 'etc/motd', content: 'pulled through berth\n' }])]);
  await copyToRegistry(image, `${registry.host}/team/busybox:1.0`);
  // Layers of their own: skopeo would otherwise reuse the gzip blobs it just pushed.
  zstdImage = await writeOciLayout([
    await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', content: 'zstd layer\n' }]),
    await tarOf([{ name: 'data.txt', content: 'x'.repeat(300_000) }]),
  ]);
  await copyToRegistry(zstdImage, `${registry.host}/team/zstd:1.0`, { compression: 'zstd' });
  await copyToRegistry(image, `${registry.host}/team/docker-format:1.0`, { dockerFormat: true });
});

after(() => cleanUpInOrder(() => daemon?.stop(), () => registry?.stop(), () => image?.cleanup(), () => zstdImage?.cleanup()));

async function imageIds(): Promise<string[]> {
  const r = await daemon.docker(['images', '-q', '--no-trunc']);
  assert.equal(r.code, 0, r.stderr);
  return [...new Set(r.stdout.split('\n').filter(Boolean))];
}

test('docker pull shows each layer, the digest and the status, and the image ID is the config digest', async () => {
  const ref = `${registry.host}/team/busybox:1.0`;
  const manifest = await inspectInRegistry(ref, 'raw') as { layers: { digest: string }[] };
  const r = await daemon.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '1.0: Pulling from team/busybox');
  for (const layer of manifest.layers) {
    const id = layer.digest.slice(7, 19);
    assert.ok(lines.includes(`${id}: Pulling fs layer`), r.stdout);
    assert.ok(lines.includes(`${id}: Download complete`), r.stdout);
    assert.ok(lines.includes(`${id}: Pull complete`), r.stdout);
  }
  assert.match(r.stdout, /^Digest: sha256:[a-f0-9]{64}$/m);
  assert.ok(r.stdout.includes(`Status: Downloaded newer image for ${ref}`), r.stdout);
  assert.equal(lines.at(-2), ref);
  const inspect = await daemon.docker(['image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}} {{json .RootFS.Layers}}', ref]);
  assert.equal(inspect.code, 0, inspect.stderr);
  const pulledDigest = /^Digest: (sha256:[a-f0-9]{64})$/m.exec(r.stdout)![1];
  assert.equal(inspect.stdout.trim(), `${image.configDigest} ${JSON.stringify([`${registry.host}/team/busybox@${pulledDigest}`])} ${JSON.stringify(image.diffIds)}`);
});

test('pulling again downloads nothing and says the image is up to date', async () => {
  const ref = `${registry.host}/team/busybox:1.0`;
  const r = await daemon.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Pulling fs layer|Download complete/);
  assert.ok(r.stdout.includes(`Status: Image is up to date for ${ref}`), r.stdout);
});

test('zstd layers are unpacked to the diffIDs the config names', async () => {
  const ref = `${registry.host}/team/zstd:1.0`;
  const manifest = await inspectInRegistry(ref, 'raw') as { layers: { mediaType: string }[] };
  assert.ok(manifest.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+zstd'), JSON.stringify(manifest));
  const r = await daemon.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  const inspect = await daemon.docker(['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', ref]);
  assert.equal(inspect.stdout.trim(), `${zstdImage.configDigest} ${JSON.stringify(zstdImage.diffIds)}`);
  const base = zstdImage.diffIds[0]!.slice(7);
  assert.equal(await readFile(join(daemon.dataRoot, 'layers', base, 'diff', 'etc', 'motd'), 'utf8'), 'zstd layer\n');
});

test('a Docker v2 schema 2 manifest of the same image gives the same image', async () => {
  const ref = `${registry.host}/team/docker-format:1.0`;
  const manifest = await inspectInRegistry(ref, 'raw');
  assert.equal(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const r = await daemon.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
  assert.equal(id.stdout.trim(), image.configDigest);
});

test('a layer unpacked for one repository is not unpacked again for another', async () => {
  const layers = await readdir(join(daemon.dataRoot, 'layers'));
  // busybox's two layers and the zstd image's two.
  assert.equal(layers.filter((l) => /^[a-f0-9]{64}$/.test(l)).length, 4);
});

test('pull by digest records the digest reference', async () => {
  const first = await daemon.docker(['pull', `${registry.host}/team/busybox:1.0`]);
  const digest = /^Digest: (sha256:[a-f0-9]{64})$/m.exec(first.stdout)![1];
  const ref = `${registry.host}/team/busybox@${digest}`;
  const r = await daemon.docker(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${digest}: Pulling from team/busybox$`, 'm'));
  const inspect = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
  assert.equal(inspect.stdout.trim(), image.configDigest);
});

test('refusals come in Docker\'s words and register nothing', async () => {
  const before = await imageIds();
  const missingTag = await daemon.docker(['pull', `${registry.host}/team/busybox:nope`]);
  assert.equal(missingTag.code, 1);
  assert.match(missingTag.stderr, new RegExp(`manifest for ${registry.host.replace(/\./g, '\\.')}/team/busybox:nope not found: manifest unknown`));
  const badRef = await daemon.docker(['pull', `${registry.host}/Team/busybox`]);
  assert.equal(badRef.code, 1);
  assert.match(badRef.stderr, /invalid reference format/);
  const closed = await daemon.docker(['pull', '127.0.0.1:1/team/busybox']);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /127\.0\.0\.1:1\/v2\/.*ECONNREFUSED/);
  assert.deepEqual(await imageIds(), before);
});

test('docker search against a registry without a search API says so', async () => {
  const r = await daemon.docker(['search', `${registry.host}/busybox`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`registry ${registry.host.replace(/\./g, '\\.')} does not offer search`));
});
