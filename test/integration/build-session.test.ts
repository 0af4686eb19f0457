// docker build with the real docker CLI against berthd (the classic builder: the CLI falls back to it
// when buildx is absent): a Dockerfile FROM busybox with COPY, RUN, EXPOSE and CMD, its progress
// output, the cache on the second build, the image running with -P, and bad Dockerfiles refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { writeTree } from '../helpers/files.js';

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

const WEB = [
  'FROM busybox',
  'COPY index.html /www/index.html',
  'RUN echo built > /www/built.txt && echo "to stderr" >&2',
  'EXPOSE 80',
  'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]',
  '',
].join('\n');

test('docker build -t web . prints the classic steps, a second build uses the cache, the image serves on a -P port', async () => {
  const ctx = await context('web', { Dockerfile: WEB, 'index.html': 'hello from a built image\n' });
  const first = await daemon.docker(['build', '-t', 'web', ctx]);
  assert.equal(first.code, 0, first.stderr);
  const out = first.stdout;
  assert.match(out, /^Step 1\/5 : FROM busybox\n ---> [0-9a-f]{12}\n/m);
  assert.match(out, /^Step 2\/5 : COPY index.html \/www\/index.html\n ---> [0-9a-f]{12}\n/m);
  assert.match(out, /^Step 3\/5 : RUN echo built > \/www\/built.txt && echo "to stderr" >&2\n ---> Running in ([0-9a-f]{12})\n/m);
  assert.match(out, /\u001b\[91mto stderr\n\u001b\[0m/, 'the RUN output is streamed, stderr marked red as dockerd does');
  const running = /Running in ([0-9a-f]{12})/.exec(out)![1];
  assert.match(out, new RegExp(`Removing intermediate container ${running}\n ---> [0-9a-f]{12}\n`));
  assert.match(out, /^Step 4\/5 : EXPOSE 80\n/m);
  assert.match(out, /^Step 5\/5 : CMD \["httpd", "-f", "-p", "80", "-h", "\/www"\]\n/m);
  const built = /^Successfully built ([0-9a-f]{12})$/m.exec(out);
  assert.ok(built, out);
  assert.match(out, /^Successfully tagged web:latest$/m);
  const ps = await daemon.docker(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '', 'intermediate containers are removed');

  const second = await daemon.docker(['build', '-t', 'web', ctx]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.match(/ ---> Using cache/g)?.length, 4, second.stdout);
  assert.doesNotMatch(second.stdout, /Running in/);
  assert.match(second.stdout, new RegExp(`^Successfully built ${built![1]}$`, 'm'), 'the cached build gives the same image');

  const inspect = await daemon.docker(['image', 'inspect', 'web', '--format', '{{json .Config.ExposedPorts}} {{json .Config.Cmd}}']);
  assert.equal(inspect.stdout.trim(), '{"80/tcp":{}} ["httpd","-f","-p","80","-h","/www"]');
  const history = await daemon.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'web']);
  assert.match(history.stdout, /^\/bin\/sh -c #\(nop\)  CMD \["httpd" "-f" "-p" "80" "-h" "\/www"\]$/m);
  assert.match(history.stdout, /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/www\/index.html $/m);

  const run = await daemon.docker(['run', '-d', '-P', 'web']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const port = await daemon.docker(['port', id, '80/tcp']);
    assert.equal(port.code, 0, port.stderr);
    const hostPort = /:(\d+)$/m.exec(port.stdout)![1];
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      // A timeout: node's fetch can wait forever on a connection closed before the request went out
      // (what a proxy does while the server in the container is not up yet).
      body = await fetch(`http://127.0.0.1:${hostPort}/index.html`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => '');
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, 'hello from a built image\n');
    const exec = await daemon.docker(['run', '--rm', 'web', 'cat', '/www/built.txt']);
    assert.equal(exec.stdout, 'built\n');
  } finally {
    await daemon.docker(['rm', '-f', id]);
  }
});

test('bad Dockerfiles: a syntax error, a missing COPY source and a failing RUN are reported in Docker\'s words', async () => {
  const before = (await daemon.docker(['images', '-aq'])).stdout;
  const syntax = await daemon.docker(['build', '-t', 'bad', await context('syntax', { Dockerfile: 'FROM busybox\nRUN true\nFOO bar\n' })]);
  assert.equal(syntax.code, 1);
  assert.match(syntax.stderr, /Error response from daemon: dockerfile parse error on line 3: unknown instruction: FOO/);
  assert.equal((await daemon.docker(['images', '-aq'])).stdout, before, 'nothing was built');

  const missing = await daemon.docker(['build', '-t', 'bad', await context('missing', { Dockerfile: 'FROM busybox\nCOPY x /x\n' })]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat x: file does not exist/);

  const failing = await daemon.docker(['build', '-t', 'bad', await context('failing', { Dockerfile: 'FROM busybox\nRUN false\n' })]);
  assert.equal(failing.code, 1);
  assert.match(failing.stderr, /The command '\/bin\/sh -c false' returned a non-zero code: 1/);
  const tagged = await daemon.docker(['image', 'inspect', 'bad']);
  assert.notEqual(tagged.code, 0, 'no image is tagged after a failed build');
  // As Docker does, the failed step's container stays for inspection (without --force-rm).
  const kept = await daemon.docker(['ps', '-a', '--format', '{{.Command}} {{.Status}}']);
  assert.match(kept.stdout, /"\/bin\/sh -c false" Exited \(1\)/);
  const forced = await daemon.docker(['build', '--force-rm', await context('failing', { Dockerfile: 'FROM busybox\nRUN false\n' })]);
  assert.equal(forced.code, 1);
  assert.equal((await daemon.docker(['ps', '-aq'])).stdout.trim().split('\n').length, 1, '--force-rm removed its container');
  await daemon.docker(['container', 'prune', '-f']);
});
