// docker save / docker load with the real docker CLI against berthd: the round trip through rmi, the
// archive's two formats (docker-archive manifest.json and an OCI layout, as Docker 25+ writes them)
// read by skopeo, an archive in Docker 20.10's layout, and hostile archives refused with nothing
// registered and nothing written outside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, rm, readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, run, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { busyboxLayer, tarOf } from '../helpers/distribution-peers.js';

let daemon: TestDaemon;
let dir: string;

before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  dir = await mkdtemp(join(tmpdir(), 'berth-save-'));
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function ok(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('docker save -o, docker rmi, docker load -i restores the images; skopeo reads both formats', async () => {
  const ctx = join(dir, 'ctx');
  await mkdir(ctx);
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY msg /msg\nRUN rm /bin/vi && echo built > /built\nCMD ["cat", "/msg"]\n');
  await writeFile(join(ctx, 'msg'), 'saved and loaded\n');
  await ok(['build', '-q', '-t', 'app:1', ctx]);
  await ok(['tag', 'busybox', 'registry.example:5000/team/bb:2']);
  const ids = {
    app: (await ok(['image', 'inspect', '-f', '{{.Id}}', 'app:1'])).trim(),
    bb: (await ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).trim(),
  };
  const archive = join(dir, 'x.tar');
  await ok(['save', '-o', archive, 'app:1', 'busybox', 'registry.example:5000/team/bb:2']);

  const names = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n');
  for (const f of ['manifest.json', 'index.json', 'oci-layout', 'repositories', `blobs/sha256/${ids.app.slice(7)}`]) assert.ok(names.includes(f), f);
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }));
  assert.deepEqual(manifest.map((m: { RepoTags: string[] }) => m.RepoTags), [['app:1'], ['busybox:latest', 'registry.example:5000/team/bb:2']]);

  const docker = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${archive}:app:1`])).stdout);
  assert.equal(docker.Layers.length, 3);
  const layout = join(dir, 'layout');
  await mkdir(layout);
  execFileSync('tar', ['-xf', archive, '-C', layout]);
  const oci = await run('skopeo', ['inspect', '--raw', `oci:${layout}:2`]);
  assert.equal(oci.code, 0, oci.stderr);
  assert.equal(JSON.parse(oci.stdout).config.digest, ids.bb, 'the layout names busybox by its image ID');
  const ociApp = await run('skopeo', ['inspect', `oci:${layout}:1`]);
  assert.equal(ociApp.code, 0, ociApp.stderr);
  assert.equal(JSON.parse(ociApp.stdout).Layers.length, 3);
  // skopeo copies the layout into a fresh layout with every blob checked against its digest.
  const copy = await run('skopeo', ['copy', `oci:${layout}:1`, `oci:${join(dir, 'copied')}:x`]);
  assert.equal(copy.code, 0, copy.stderr);

  await ok(['rmi', 'app:1', 'busybox', 'registry.example:5000/team/bb:2']);
  assert.equal((await ok(['images', '-q'])).trim(), '');
  const loaded = await daemon.docker(['load', '-i', archive]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(loaded.stdout, 'Loaded image: app:1\nLoaded image: busybox:latest\nLoaded image: registry.example:5000/team/bb:2\n');
  assert.equal((await ok(['image', 'inspect', '-f', '{{.Id}}', 'app:1'])).trim(), ids.app, 'the same image ID');
  assert.equal((await ok(['image', 'inspect', '-f', '{{.Id}}', 'registry.example:5000/team/bb:2'])).trim(), ids.bb);
  assert.equal(await ok(['run', '--rm', 'app:1']), 'saved and loaded\n');
  const whiteout = await daemon.docker(['run', '--rm', 'app:1', 'ls', '/bin/vi']);
  assert.notEqual(whiteout.code, 0, 'the RUN layer\'s deletion survived the round trip');

  // An OCI archive from another tool (index.json and blobs only, gzip layers) loads too.
  const ociArchive = join(dir, 'skopeo-oci.tar');
  const converted = await run('skopeo', ['copy', `docker-archive:${archive}:app:1`, `oci-archive:${ociArchive}:app:from-skopeo`]);
  assert.equal(converted.code, 0, converted.stderr);
  const fromOci = await daemon.docker(['load', '-i', ociArchive]);
  assert.equal(fromOci.code, 0, fromOci.stderr);
  assert.equal(fromOci.stdout, 'Loaded image: app:from-skopeo\n');
  assert.equal(await ok(['run', '--rm', 'app:from-skopeo']), 'saved and loaded\n');
  await ok(['rmi', 'app:from-skopeo']);

  // Saving by ID keeps no tag; loading it names the image by ID.
  const byIdPath = join(dir, 'by-id.tar');
  await ok(['save', '-o', byIdPath, ids.app.slice(7, 19)]);
  const again = await run('tar', ['-xOf', byIdPath, 'manifest.json']);
  assert.equal(JSON.parse(again.stdout)[0].RepoTags, null);
});

test('docker load reads the layout of Docker 20.10 (<id>/layer.tar, <id>.json, repositories)', async () => {
  const layer = await busyboxLayer();
  const diffId = sha256(layer);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['echo', 'legacy format'] },
    rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2024-01-01T00:00:00Z' }],
  }));
  const imageId = sha256(config);
  const v1 = 'c698e169c2f6d7c7c244d63dc585c4ba76bf5f8698dd4e615fc5eeffb0feb464';
  const path = join(dir, 'legacy.tar');
  await writeLegacyArchive(path, config, imageId, v1, layer);
  const r = await daemon.docker(['load', '-i', path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Loaded image: legacy:1\n');
  assert.equal((await ok(['image', 'inspect', '-f', '{{.Id}}', 'legacy:1'])).trim(), imageId);
  assert.equal(await ok(['run', '--rm', 'legacy:1']), 'legacy format\n');
  await ok(['rmi', 'legacy:1']);
});

test('hostile archives are refused in Docker\'s shape: nothing registered, nothing written outside', async () => {
  const before = await ok(['images', '-aq', '--no-trunc']);
  const layersBefore = await readdir(join(daemon.dataRoot, 'layers'));
  const cases: { name: string; files: { name: string; content?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]; error: RegExp }[] = [];

  const evilLayer = await tarOf([{ name: 'ok.txt', content: 'fine' }, { name: '../../../../escaped-by-layer', content: 'x' }]);
  const evilConfig = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(evilLayer)] } });
  cases.push({
    name: 'layer-escape',
    files: [
      { name: 'config.json', content: evilConfig },
      { name: 'layer.tar', content: evilLayer.toString('latin1') },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'config.json', RepoTags: ['evil:1'], Layers: ['layer.tar'] }]) },
    ],
    error: /refusing tar entry "..\/..\/..\/..\/escaped-by-layer": path escapes the layer root/,
  });
  cases.push({
    name: 'outer-escape',
    files: [{ name: '../../escaped-by-archive', content: 'x' }, { name: 'manifest.json', content: '[]' }],
    error: /refusing tar entry "..\/..\/escaped-by-archive"/,
  });
  cases.push({
    name: 'manifest-points-outside',
    files: [{ name: 'manifest.json', content: JSON.stringify([{ Config: '../../../../../../etc/hostname', RepoTags: ['evil:2'], Layers: [] }]) }],
    error: /invalid archive: ..\/..\/..\/..\/..\/..\/etc\/hostname is missing/,
  });
  const goodLayer = await tarOf([{ name: 'a.txt', content: 'a' }]);
  cases.push({
    name: 'diffid-mismatch',
    files: [
      { name: 'config.json', content: JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('something else')] } }) },
      { name: 'layer.tar', content: goodLayer.toString('latin1') },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'config.json', RepoTags: ['evil:3'], Layers: ['layer.tar'] }]) },
    ],
    error: /invalid diffID for layer 0: expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}"/,
  });
  for (const c of cases) {
    const path = join(dir, `${c.name}.tar`);
    await writeBinaryTar(path, c.files);
    const r = await daemon.docker(['load', '-i', path]);
    assert.equal(r.code, 1, c.name);
    assert.match(r.stderr, c.error, c.name);
  }
  assert.equal(await ok(['images', '-aq', '--no-trunc']), before, 'no image registered');
  assert.deepEqual(await readdir(join(daemon.dataRoot, 'layers')), layersBefore, 'no layer left behind');
  const found = execFileSync('find', [daemon.dir, dir, '-name', 'escaped-by-*'], { encoding: 'utf8' });
  assert.equal(found, '');
  const leftovers = (await readdir(join(daemon.dataRoot, 'image'))).filter((n) => n.startsWith('load-'));
  assert.deepEqual(leftovers, []);
});

/** A tar whose `content` strings are taken byte for byte (latin1), so binary layers survive. */
async function writeBinaryTar(path: string, files: { name: string; content?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Promise<void> {
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  for (const f of files) {
    const type = f.type ?? 'file';
    const header = { name: f.name, type, linkname: f.linkname, mode: type === 'directory' ? 0o755 : 0o644 };
    if (type === 'file') pack.entry(header, Buffer.from(f.content ?? '', 'latin1'));
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

async function writeLegacyArchive(path: string, config: Buffer, imageId: string, v1: string, layer: Buffer): Promise<void> {
  await writeBinaryTar(path, [
    { name: `${imageId.slice(7)}.json`, content: config.toString('latin1') },
    { name: `${v1}/`, type: 'directory' },
    { name: `${v1}/VERSION`, content: '1.0' },
    { name: `${v1}/layer.tar`, content: layer.toString('latin1') },
    { name: 'manifest.json', content: JSON.stringify([{ Config: `${imageId.slice(7)}.json`, RepoTags: ['legacy:1'], Layers: [`${v1}/layer.tar`] }]) },
    { name: 'repositories', content: JSON.stringify({ legacy: { 1: v1 } }) },
  ]);
}
