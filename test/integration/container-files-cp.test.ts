import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// The busybox image's /etc/passwd (test/helpers/busybox.ts), never the host's.
const BUSYBOX_PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  work = await mkdtemp(join(tmpdir(), 'berth-cp-'));
});
after(async () => {
  await daemon.stop();
  await rm(work, { recursive: true, force: true });
});

function api(method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, method, path }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tarOf(entries: { name: string; body: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, mode: 0o644 }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('docker cp copies a host file into a running container, which reads it, and back out', async () => {
  await writeFile(join(work, 'greeting'), 'hello from the host\n');
  await daemon.ok(['run', '-d', '--network', 'none', '--name', 'reader', 'busybox', 'sleep', '600']);
  await daemon.ok(['cp', join(work, 'greeting'), 'reader:/tmp/']);
  assert.equal(await daemon.ok(['exec', 'reader', 'cat', '/tmp/greeting']), 'hello from the host\n');
  // A destination that does not exist yet names the copy, also at the container's root.
  await daemon.ok(['cp', join(work, 'greeting'), 'reader:/renamed']);
  assert.equal(await daemon.ok(['exec', 'reader', 'cat', '/renamed']), 'hello from the host\n');
  await daemon.ok(['cp', 'reader:/tmp/greeting', join(work, 'back')]);
  assert.equal(await readFile(join(work, 'back'), 'utf8'), 'hello from the host\n');
  await daemon.ok(['rm', '-f', 'reader']);
});

test('docker cp into a running container\'s volume writes into the volume', async () => {
  await writeFile(join(work, 'shared'), 'in the volume\n');
  await daemon.ok(['run', '-d', '--network', 'none', '--name', 'withvol', '-v', 'cpvol:/data', 'busybox', 'sleep', '600']);
  await daemon.ok(['cp', join(work, 'shared'), 'withvol:/data/shared']);
  assert.equal(await daemon.ok(['run', '--rm', '--network', 'none', '-v', 'cpvol:/data', 'busybox', 'cat', '/data/shared']), 'in the volume\n');
  await daemon.ok(['rm', '-f', '-v', 'withvol']);
  await daemon.ok(['volume', 'rm', 'cpvol']);
});

test('docker cp copies a file and a directory out of a container', async () => {
  await daemon.ok(['create', '--network', 'none', '--name', 'src', 'busybox', 'true']);
  const streamed = await daemon.ok(['cp', 'src:/etc/passwd', '-']);
  assert.match(streamed, /^passwd\0/, 'a tar whose entry is named after the file');
  assert.ok(streamed.includes(BUSYBOX_PASSWD));
  await daemon.ok(['cp', 'src:/etc', join(work, 'etc-copy')]);
  assert.deepEqual((await readdir(join(work, 'etc-copy'))).sort(), ['group', 'passwd']);
  assert.equal(await readFile(join(work, 'etc-copy', 'passwd'), 'utf8'), BUSYBOX_PASSWD);
  const missing = await daemon.docker(['cp', 'src:/nothing/here', join(work, 'none')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Could not find the file \/nothing\/here in container src/);
  await daemon.ok(['rm', 'src']);
});

test('docker cp into a stopped container: the file is there when it starts', async () => {
  await writeFile(join(work, 'config.txt'), 'copied while stopped\n');
  await daemon.ok(['create', '--network', 'none', '--name', 'later', 'busybox', 'cat', '/etc/config.txt']);
  await daemon.ok(['cp', join(work, 'config.txt'), 'later:/etc/config.txt']);
  assert.equal(await daemon.ok(['start', '-a', 'later']), 'copied while stopped\n');
  const dir = join(work, 'tree');
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'sub', 'leaf'), 'leaf\n');
  await daemon.ok(['cp', dir, 'later:/opt']);
  const out = await daemon.ok(['cp', 'later:/opt/sub/leaf', '-']);
  assert.ok(out.includes('leaf\n'));
  await daemon.ok(['rm', 'later']);
});

test('docker cp stays inside the container: .. and symlinks pointing out resolve within its root', async () => {
  const hostDir = await mkdtemp(join(tmpdir(), 'berth-canary-'));
  const canary = join(hostDir, 'canary');
  await writeFile(canary, 'host canary\n');
  try {
    // /out -> /../../../../<hostDir> and /etcout -> /../../../../etc: absolute links that climb.
    await daemon.ok(['run', '--network', 'none', '--name', 'tricky', 'busybox', 'sh', '-c',
      `ln -s /../../../..${hostDir} /out && ln -s /../../../../etc /etcout`]);
    const climbing = await daemon.ok(['cp', 'tricky:../../etc/passwd', '-']);
    assert.ok(climbing.includes(BUSYBOX_PASSWD), 'the container\'s /etc/passwd, not the host\'s');
    const viaLink = await daemon.ok(['cp', 'tricky:/etcout/passwd', '-']);
    assert.ok(viaLink.includes(BUSYBOX_PASSWD));
    const readOut = await daemon.docker(['cp', 'tricky:/out/canary', '-']);
    assert.notEqual(readOut.code, 0);
    assert.match(readOut.stderr, /Could not find the file \/out\/canary in container tricky/);
    await writeFile(join(work, 'canary'), 'overwritten\n');
    const writeOut = await daemon.docker(['cp', join(work, 'canary'), 'tricky:/out/canary']);
    assert.notEqual(writeOut.code, 0);
    assert.match(writeOut.stderr, /Could not find the file \/out in container tricky/);
    // Through a link to a directory that exists inside: the write lands in the container's /etc.
    await daemon.ok(['cp', join(work, 'canary'), 'tricky:/etcout/']);
    assert.ok((await daemon.ok(['cp', 'tricky:/etc/canary', '-'])).includes('overwritten\n'));
    assert.equal(await readFile(canary, 'utf8'), 'host canary\n');
    assert.deepEqual(await readdir(hostDir), ['canary']);

    // An archive whose entries climb out of the target is refused as a whole.
    const hostile = await tarOf([{ name: '../../../../escaped', body: 'x' }]);
    const r = await api('PUT', '/containers/tricky/archive?path=/tmp', hostile);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /refusing tar entry "..\/..\/..\/..\/escaped": path escapes/);
    const list = await api('GET', '/containers/tricky/changes');
    assert.ok(!list.body.includes('escaped'));
    // Extraction points must be directories; the path parameter is required.
    const notDir = await api('PUT', '/containers/tricky/archive?path=/etc/passwd', await tarOf([{ name: 'a', body: 'a' }]));
    assert.deepEqual([notDir.status, JSON.parse(notDir.body).message], [400, 'extraction point is not a directory']);
    const noPath = await api('GET', '/containers/tricky/archive');
    assert.equal(noPath.status, 400);
  } finally {
    await rm(hostDir, { recursive: true, force: true });
    await daemon.docker(['rm', '-f', 'tricky']);
  }
});

test('HEAD archive answers the path stat Docker\'s CLI decodes', async () => {
  await daemon.ok(['create', '--network', 'none', '--name', 'statme', 'busybox', 'true']);
  const decode = (h: string | string[] | undefined) => JSON.parse(Buffer.from(String(h), 'base64').toString());
  const dir = await api('HEAD', '/containers/statme/archive?path=/etc/');
  assert.equal(dir.status, 200);
  const d = decode(dir.headers['x-docker-container-path-stat']);
  assert.equal(d.name, 'etc');
  assert.equal(d.mode, 2 ** 31 + 0o755, 'Go\'s os.ModeDir | 0755');
  const link = decode((await api('HEAD', '/containers/statme/archive?path=/bin/sh')).headers['x-docker-container-path-stat']);
  assert.equal(link.linkTarget, '/bin/busybox');
  assert.equal(link.mode & 2 ** 27, 2 ** 27, 'Go\'s os.ModeSymlink');
  const none = await api('HEAD', '/containers/statme/archive?path=/nope');
  assert.equal(none.status, 404);
  await daemon.ok(['rm', 'statme']);
});
