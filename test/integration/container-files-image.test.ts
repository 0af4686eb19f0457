import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, run, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  // One container with an addition, a modification and a deletion, used by diff, export and commit.
  await ok(['run', '--network', 'none', '--name', 'changed', 'busybox', 'sh', '-c',
    'echo hi > /tmp/new && rm /etc/group && echo extra:x:5:5::/:/bin/sh >> /etc/passwd']);
});
after(async () => { await daemon.stop(); });

async function ok(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('docker diff shows what the container added, changed and deleted', async () => {
  assert.equal(await ok(['diff', 'changed']), 'C /etc\nD /etc/group\nC /etc/passwd\nC /tmp\nA /tmp/new\n');
  await ok(['create', '--network', 'none', '--name', 'pristine', 'busybox', 'true']);
  assert.equal(await ok(['diff', 'pristine']), '');
  await ok(['rm', 'pristine']);
});

test('docker export writes the merged root filesystem as a tar', async () => {
  const r = await run('sh', ['-c', `docker -H ${daemon.host} export changed | tar t`]);
  assert.equal(r.code, 0, r.stderr);
  const names = r.stdout.split('\n');
  for (const name of ['bin/busybox', 'bin/sh', 'etc/passwd', 'tmp/new']) assert.ok(names.includes(name), `${name} in ${r.stdout.slice(0, 200)}`);
  assert.ok(!names.includes('etc/group'), 'a deleted file is not exported');
  const content = await run('sh', ['-c', `docker -H ${daemon.host} export changed | tar xO tmp/new`]);
  assert.equal(content.stdout, 'hi\n');
});

test('docker commit makes an image with the container\'s changes; the original image keeps none of them', async () => {
  const id = (await ok(['commit', '-m', 'my change', '-a', 'tester', 'changed', 'committed:v1'])).trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'committed:v1', 'cat', '/tmp/new']), 'hi\n');
  assert.match(await ok(['run', '--rm', '--network', 'none', 'committed:v1', 'cat', '/etc/passwd']), /extra:x:5:5/);
  const gone = await daemon.docker(['run', '--rm', '--network', 'none', 'committed:v1', 'cat', '/etc/group']);
  assert.notEqual(gone.code, 0, 'the deletion is carried as a whiteout');
  const original = await daemon.docker(['run', '--rm', '--network', 'none', 'busybox', 'cat', '/tmp/new']);
  assert.notEqual(original.code, 0);
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'busybox', 'cat', '/etc/group']), 'root:x:0:\nnogroup:x:65534:\n');
  assert.equal(await ok(['inspect', '-f', '{{.Comment}} {{.Author}} {{len .RootFS.Layers}}', 'committed:v1']), 'my change tester 2\n');
  const history = await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:v1']);
  assert.match(history.split('\n')[0], /^sh -c echo hi > \/tmp\/new.*\|my change$/);
});

test('docker commit -c applies Dockerfile changes to the new image\'s config', async () => {
  await ok(['commit', '-c', 'CMD ["cat", "/tmp/new"]', '-c', 'ENV STAGE=committed', 'changed', 'committed:cmd']);
  assert.equal(await ok(['inspect', '-f', '{{json .Config.Cmd}}', 'committed:cmd']), '["cat","/tmp/new"]\n');
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'committed:cmd']), 'hi\n');
  assert.equal(await ok(['run', '--rm', '--network', 'none', 'committed:cmd', 'sh', '-c', 'echo $STAGE']), 'committed\n');
  const bad = await daemon.docker(['commit', '-c', 'RUN true', 'changed', 'committed:bad']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /run is not a valid change command/);
  const missing = await daemon.docker(['commit', 'nosuch', 'committed:none']);
  assert.match(missing.stderr, /No such container: nosuch/);
});

test('docker top lists the container\'s processes like ps -ef', async () => {
  await ok(['run', '-d', '--network', 'none', '--name', 'sleeper', 'busybox', 'sleep', '600']);
  const out = await ok(['top', 'sleeper']);
  const [titles, ...rows] = out.trim().split('\n');
  assert.deepEqual(titles.trim().split(/\s+/), ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.equal(rows.length, 1, out);
  assert.match(rows[0], /^root\s+\d+\s+\d+\s+.*sleep 600$/);
  const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', 'sleeper'])).trim();
  assert.equal(rows[0].trim().split(/\s+/)[1], pid);
  const aux = await ok(['top', 'sleeper', 'aux']);
  assert.match(aux.split('\n')[0], /^USER\s+PID\s+%CPU/);
  await ok(['rm', '-f', 'sleeper']);
  const stopped = await daemon.docker(['top', 'changed']);
  assert.notEqual(stopped.code, 0);
  assert.match(stopped.stderr, /Container [a-f0-9]{64} is not running/);
});
