// The chapter's private registry run as a container: scripts/registry-image.sh makes an image of
// berth-registry in the engine, `docker run -d -p PORT:5000 -v DIR:/var/lib/registry` serves it, and
// the engine pushes to it, pulls back from it and runs what it pulled; the blobs live in DIR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, ROOT, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { cleanUpInOrder, freePort } from '../helpers/distribution-peers.js';

const IMAGE = 'berth-registry:test';
let daemon: TestDaemon;
let volume: string;
let port: number;

before(async () => {
  daemon = await startDaemon();
  volume = await mkdtemp(join(tmpdir(), 'berth-registry-volume-'));
  port = await freePort();
  await importBusybox(daemon);
});

after(() => cleanUpInOrder(() => daemon?.stop(), () => rm(volume, { recursive: true, force: true })));

/** GET /v2/ on 127.0.0.1:port until it answers 200 (the registry starts in the background), at most ~10 s. */
async function v2Status(port: number): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    try {
      // A timeout: node's fetch can wait forever on a connection closed before the request went out
      // (what the userland proxy does while the registry in the container is not listening yet).
      const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      status = res.status;
    } catch { /* not listening yet */ }
  }
  return status;
}

test('registry-image.sh imports an image whose entrypoint is the registry, with port 5000 and its volume', async () => {
  const made = await run('bash', [join(ROOT, 'scripts', 'registry-image.sh'), IMAGE], { env: { DOCKER_HOST: daemon.host, DOCKER } });
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /^sha256:[a-f0-9]{64}$/m);
  const config = JSON.parse((await daemon.docker(['image', 'inspect', '-f', '{{json .Config}}', IMAGE])).stdout);
  assert.deepEqual(config.Entrypoint, ['/usr/local/bin/node', '/opt/berth/dist/registry/main.js']);
  assert.deepEqual(Object.keys(config.ExposedPorts), ['5000/tcp']);
  assert.deepEqual(Object.keys(config.Volumes), ['/var/lib/registry']);
});

test('docker run -d -p PORT:5000 -v DIR:/var/lib/registry serves the registry API', async () => {
  const started = await daemon.docker(['run', '-d', '--name', 'registry', '-p', `127.0.0.1:${port}:5000`, '-v', `${volume}:/var/lib/registry`, IMAGE]);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(await v2Status(port), 200, (await daemon.docker(['logs', 'registry'])).stderr);
  assert.match((await daemon.docker(['logs', 'registry'])).stderr, /berth-registry: listening on :5000 \(http\), storage \/var\/lib\/registry/);
});

test('the engine pushes to the containerized registry, pulls back and runs; the blobs are in the host directory', async () => {
  const ref = `127.0.0.1:${port}/team/app:1.0`;
  assert.equal((await daemon.docker(['tag', 'busybox', ref])).code, 0);
  const push = await daemon.docker(['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  const digest = /^1\.0: digest: sha256:([a-f0-9]{64}) size: \d+$/m.exec(push.stdout)?.[1];
  assert.ok(digest, push.stdout);
  assert.equal((await daemon.docker(['rmi', ref, 'busybox'])).code, 0);

  const pull = await daemon.docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`^Digest: sha256:${digest}$`, 'm'));
  const ran = await daemon.docker(['run', '--rm', ref, 'echo', 'from the registry container']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, 'from the registry container\n');

  // distribution's layout under the volume: the manifest, and every blob it names, by digest.
  const blob = (hex: string) => join(volume, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  const manifest = JSON.parse(await readFile(blob(digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    assert.ok(existsSync(blob(d.slice('sha256:'.length))), `${d} is stored in the host directory`);
  }
  assert.equal(manifest.layers.length, 1);
});

test('a config.yml mounted into the container is taken as it is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-config-'));
  try {
    await writeFile(join(dir, 'config.yml'), 'version: 0.1\nhttp:\n  addr: :6000\nstorage:\n  filesystem:\n    rootdirectory: /srv/registry\n');
    const other = await freePort();
    const started = await daemon.docker(['run', '-d', '--name', 'configured', '-p', `127.0.0.1:${other}:6000`,
      '-v', `${dir}:/etc/berth-registry:ro`, IMAGE, 'serve', '/etc/berth-registry/config.yml']);
    assert.equal(started.code, 0, started.stderr);
    const status = await v2Status(other);
    const logs = await daemon.docker(['logs', 'configured']);
    assert.equal(status, 200, logs.stderr);
    assert.match(logs.stderr, /listening on :6000 \(http\), storage \/srv\/registry/);
  } finally {
    await daemon.docker(['rm', '-f', 'configured']);
    await rm(dir, { recursive: true, force: true });
  }
});

test('docker stop ends the registry with SIGTERM and exit code 0', async () => {
  const stopped = await daemon.docker(['stop', 'registry']);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal((await daemon.docker(['inspect', '-f', '{{.State.ExitCode}}', 'registry'])).stdout.trim(), '0');
  assert.match((await daemon.docker(['logs', 'registry'])).stderr, /berth-registry: shutting down/);
});
