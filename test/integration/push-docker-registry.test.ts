// docker tag + docker push from berthd to Debian's docker-registry, checked with skopeo; then rmi and
// pull back: the chapter's private-registry round trip, with the real docker CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { cleanUpInOrder, inspectInRegistry, startDockerRegistry, type RegistryPeer } from '../helpers/distribution-peers.js';

let daemon: TestDaemon;
let registry: RegistryPeer;

before(async () => {
  // One after the other, so that `after` can stop whichever started when the other fails.
  registry = await startDockerRegistry();
  daemon = await startDaemon();
  await importBusybox(daemon);
});

after(() => cleanUpInOrder(() => daemon?.stop(), () => registry?.stop()));

async function inspect(ref: string, format: string): Promise<string> {
  const r = await daemon.docker(['image', 'inspect', '--format', format, ref]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('docker push sends an imported image that skopeo reads back layer for layer', async () => {
  const ref = `${registry.host}/team/busybox:1.0`;
  assert.equal((await daemon.docker(['tag', 'busybox', ref])).code, 0);
  const r = await daemon.docker(['push', ref]);
  assert.equal(r.code, 0, r.stderr);
  const id = await inspect(ref, '{{.Id}}');
  const diffIds = JSON.parse(await inspect(ref, '{{json .RootFS.Layers}}')) as string[];
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `The push refers to repository [${registry.host}/team/busybox]`);
  const layer = diffIds[0]!.slice(7, 19);
  assert.ok(lines.includes(`${layer}: Preparing`), r.stdout);
  assert.ok(lines.includes(`${layer}: Pushed`), r.stdout);
  const summary = /^1\.0: digest: (sha256:[a-f0-9]{64}) size: (\d+)$/m.exec(r.stdout);
  assert.ok(summary, r.stdout);

  const config = await inspectInRegistry(ref, 'config') as { rootfs: { diff_ids: string[] } };
  assert.deepEqual(config.rootfs.diff_ids, diffIds);
  const manifest = await inspectInRegistry(ref, 'raw') as { mediaType: string; config: { digest: string } };
  assert.equal(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(manifest.config.digest, id);
  assert.match(await inspect(ref, '{{json .RepoDigests}}'), new RegExp(summary[1]!));
});

test('pushing to another repository of the same registry mounts the layer; pushing again finds it there', async () => {
  const other = `${registry.host}/other/busybox:2`;
  assert.equal((await daemon.docker(['tag', 'busybox', other])).code, 0);
  const mounted = await daemon.docker(['push', other]);
  assert.equal(mounted.code, 0, mounted.stderr);
  assert.match(mounted.stdout, /: Mounted from team\/busybox$/m);
  const again = await daemon.docker(['push', other]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /: Layer already exists$/m);
});

test('rmi, then pull brings back the same image', async () => {
  const ref = `${registry.host}/team/busybox:1.0`;
  const id = await inspect(ref, '{{.Id}}');
  for (const name of [ref, `${registry.host}/other/busybox:2`, 'busybox']) {
    const rmi = await daemon.docker(['rmi', name]);
    assert.equal(rmi.code, 0, rmi.stderr);
  }
  assert.equal((await daemon.docker(['images', '-q'])).stdout.trim(), '');
  const pull = await daemon.docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Pull complete/);
  assert.equal(await inspect(ref, '{{.Id}}'), id);
});

test('a tag that does not exist locally is refused in Docker\'s words', async () => {
  const r = await daemon.docker(['push', `${registry.host}/team/nothing:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`An image does not exist locally with the tag: ${registry.host.replace(/\./g, '\\.')}/team/nothing`));
});
