// The Dockerfile instructions and build flags through the real docker CLI: multi-stage builds with
// COPY --from and --target, ARG and --build-arg, .dockerignore, ADD of a local archive, --chown, -f, -q,
// --label, FROM scratch, a base image pulled from a registry, and a hostile context refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { writeTree } from '../helpers/files.js';
import {
  busyboxLayer, copyToRegistry, startDockerRegistry, tarOf, writeOciLayout, type LayoutImage, type RegistryPeer,
} from '../helpers/distribution-peers.js';

let daemon: TestDaemon;
let dir: string;

before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  dir = await mkdtemp(join(tmpdir(), 'berth-build-'));
});

after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const context = (name: string, files: Record<string, string>) => writeTree(join(dir, name), files);

async function catFile(image: string, path: string): Promise<string> {
  const r = await daemon.docker(['run', '--rm', image, 'cat', path]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('multi-stage: ARG and --build-arg, .dockerignore, ADD of a tar, --chown, COPY --from by name and index, --label', async () => {
  const ctx = await context('multi', {
    'src/one.txt': 'one\n', 'src/sub/two.txt': 'two\n', 'ign/secret': 's\n', 'ign/keep': 'k\n', 'x.log': 'l\n',
    '.dockerignore': 'ign\n!ign/keep\n*.log\n',
    'build/Dockerfile.multi': [
      'ARG BASE=busybox',
      'FROM $BASE AS build',
      'ARG WHO=world',
      'ENV GREETING="hello $WHO"',
      'WORKDIR /work',
      'COPY --chown=65534:65534 src/ ./src/',
      'ADD arch.tgz /unpacked/',
      'COPY ign /ign/',
      'RUN echo "$GREETING" > greet && ls -n src > owners && ls /ign > ignored && (ls /work/x.log 2>&1 || true) > log',
      'FROM scratch AS final',
      'COPY --from=build /work /',
      'COPY --from=0 /unpacked /unpacked',
      'ENTRYPOINT ["/x"]',
      'FROM busybox AS unused',
      'RUN false',
      '',
    ].join('\n'),
  });
  execFileSync('tar', ['-czf', join(ctx, 'arch.tgz'), '-C', join(ctx, 'src'), '.']);
  const r = await daemon.docker(['build', '-f', join(ctx, 'build/Dockerfile.multi'), '--target', 'final', '--build-arg', 'WHO=you',
    '--build-arg', 'UNUSED=1', '--label', 'org.test=yes', '-t', 'multi:1', '-t', 'multi:2', ctx]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^Step 1\/14 : ARG BASE=busybox$/m, 'meta ARGs count; the unused stage is left out; --label adds a step');
  assert.match(r.stdout, /^Step 14\/14 : LABEL org.test=yes$/m);
  assert.match(r.stdout, /^\[Warning\] One or more build-args \[UNUSED\] were not consumed$/m);
  assert.match(r.stdout, /^Successfully tagged multi:1$/m);
  assert.match(r.stdout, /^Successfully tagged multi:2$/m);

  // The final stage is FROM scratch: its files are read through a stage that has a shell.
  const check = await context('check', { Dockerfile: 'FROM multi:1 AS m\nFROM busybox\nCOPY --from=m / /m/\n' });
  const c = await daemon.docker(['build', '-q', '-t', 'check', check]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout.trim(), /^sha256:[0-9a-f]{64}$/, '-q prints the image ID alone');
  assert.equal(await catFile('check', '/m/greet'), 'hello you\n');
  assert.match(await catFile('check', '/m/owners'), /65534\s+65534\s+4 .* one\.txt/);
  assert.equal(await catFile('check', '/m/ignored'), 'keep\n', '.dockerignore excluded ign/secret, kept ign/keep');
  assert.match(await catFile('check', '/m/log'), /No such file/, '*.log was excluded');
  assert.equal(await catFile('check', '/m/unpacked/sub/two.txt'), 'two\n', 'ADD unpacked the archive');
  const owner = await daemon.docker(['run', '--rm', 'check', 'stat', '-c', '%u:%g', '/m/src/one.txt']);
  assert.equal(owner.stdout, '0:0\n', 'COPY --from without --chown gives root');

  const config = await daemon.docker(['image', 'inspect', 'multi:1', '--format', '{{json .Config.Entrypoint}} {{json .Config.Labels}} {{json .Config.Env}}']);
  assert.equal(config.stdout.trim(), '["/x"] {"org.test":"yes"} ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]');
  for (const img of ['check', 'multi:1', 'multi:2']) await daemon.docker(['rmi', img]);
});

test('metadata instructions land in the config; --no-cache rebuilds; build args reach RUN and its history', async () => {
  const ctx = await context('meta', {
    Dockerfile: [
      'FROM busybox',
      'ARG PORT=8080',
      'SHELL ["/bin/sh", "-e", "-c"]',
      'ENV A=1 B="two words"',
      'EXPOSE $PORT 53/udp',
      'RUN echo "port=$PORT" > /tmp/port',
      'USER nobody',
      'VOLUME /data',
      'STOPSIGNAL SIGINT',
      'HEALTHCHECK --interval=5s CMD true',
      'ONBUILD RUN echo triggered',
      'LABEL maintainer=me',
      'ENTRYPOINT echo hello',
      '',
    ].join('\n'),
  });
  const r = await daemon.docker(['build', '--build-arg', 'PORT=9000', '-t', 'meta', ctx]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const fmt = '{{json .Config.ExposedPorts}}|{{.Config.User}}|{{json .Config.Volumes}}|{{.Config.StopSignal}}|{{json .Config.Healthcheck.Test}}|{{json .Config.OnBuild}}|{{json .Config.Entrypoint}}|{{json .Config.Shell}}';
  const inspect = await daemon.docker(['image', 'inspect', 'meta', '--format', fmt]);
  assert.equal(inspect.stdout.trim(), [
    '{"53/udp":{},"9000/tcp":{}}', 'nobody', '{"/data":{}}', 'SIGINT', '["CMD-SHELL","true"]',
    '["RUN echo triggered"]', '["/bin/sh","-e","-c","echo hello"]', '["/bin/sh","-e","-c"]',
  ].join('|'));
  const history = await daemon.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'meta']);
  assert.match(history.stdout, /^\|1 PORT=9000 \/bin\/sh -e -c echo "port=\$PORT" > \/tmp\/port$/m);
  const port = await daemon.docker(['run', '--rm', '--entrypoint', 'cat', 'meta', '/tmp/port']);
  assert.equal(port.stdout, 'port=9000\n');

  // The ONBUILD trigger runs in the build that uses the image.
  const child = await context('child', { Dockerfile: 'FROM meta\n' });
  const cr = await daemon.docker(['build', '-t', 'meta-child', child]);
  assert.equal(cr.code, 0, cr.stderr);
  assert.match(cr.stdout, /# Executing 1 build trigger\n/);
  assert.match(cr.stdout, /^triggered$/m);

  const again = await daemon.docker(['build', '--no-cache', '--build-arg', 'PORT=9000', '-t', 'meta', ctx]);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /Using cache/);
  await daemon.docker(['rmi', 'meta', 'meta-child']);
});

test('a context whose tar climbs out of its root is refused: no image, nothing written outside', async () => {
  const tar = await tarOf([
    { name: 'Dockerfile', content: 'FROM busybox\nCOPY . /\n' },
    { name: '../../../escaped-by-context', content: 'x' },
  ]);
  const before = (await daemon.docker(['images', '-aq'])).stdout;
  const { status, body } = await postBuild(tar, 'escape');
  assert.equal(status, 400);
  assert.match(JSON.parse(body).message, /refusing tar entry "..\/..\/..\/escaped-by-context": path escapes/);
  assert.equal((await daemon.docker(['images', '-aq'])).stdout, before);
  const tmpLeft = await readdir(join(daemon.dataRoot, 'build', 'tmp')).catch(() => []);
  assert.deepEqual(tmpLeft, [], 'the unpacked context is gone');
  const found = execFileSync('find', [daemon.dir, '/tmp', '-maxdepth', '6', '-name', 'escaped-by-context'], { encoding: 'utf8' });
  assert.equal(found, '');

  // A symlink in the context does not let COPY reach the host.
  const linked = await tarOf([
    { name: 'Dockerfile', content: 'FROM busybox\nCOPY passwd /copied\n' },
    { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' },
  ]);
  const l = await postBuild(linked, 'linked');
  assert.equal(l.status, 200);
  assert.match(l.body, /COPY failed: file not found in build context/);
});

test('FROM an image that is not here pulls it from its registry', async () => {
  let registry: RegistryPeer | undefined;
  let image: LayoutImage | undefined;
  try {
    registry = await startDockerRegistry();
    image = await writeOciLayout([await busyboxLayer(), await tarOf([{ name: 'etc/motd', content: 'pulled base\n' }])]);
    await copyToRegistry(image, `${registry.host}/base/busybox:1`);
    const ctx = await context('pulled', { Dockerfile: `FROM ${registry.host}/base/busybox:1\nRUN cat /etc/motd > /copy\n` });
    const r = await daemon.docker(['build', '-t', 'on-pulled', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /1: Pulling from base\/busybox/);
    assert.equal(await catFile('on-pulled', '/copy'), 'pulled base\n');
    await daemon.docker(['rmi', 'on-pulled', `${registry.host}/base/busybox:1`]);
  } finally {
    await registry?.stop();
    await image?.cleanup();
  }
});

function postBuild(tar: Buffer, tag: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, method: 'POST', path: `/v1.47/build?t=${tag}`, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(tar);
  });
}
