// A full disk under berthd: the data root on a small tmpfs, filled to the last byte (or nearly). Every
// command that needs space fails with Docker's "no space left on device" and makes nothing; the daemon
// keeps answering; once space is back everything works. A container whose log can no longer be
// written keeps running, the daemon says so once, and the log goes on when space returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, cleanupDir, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { cleanUpInOrder, copyToRegistry, tarOf, writeOciLayout } from '../helpers/distribution-peers.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers/registry.js';
import { emptyOut, fillUp, listTree, mountTmpfs, unmountTmpfs } from './tmpfs.js';

const FULL = 'no space left on device';
let dir: string;
let data: string;
let daemon: TestDaemon;
let registry: TestRegistry;
let smallTar: string;
let bigTar: string;

/** A tar of one file of `bytes` random hex characters (gzip halves it, no more). */
async function randomTar(path: string, bytes: number): Promise<void> {
  await writeFile(path, await tarOf([{ name: 'random.txt', content: randomBytes(bytes / 2).toString('hex') }]));
}

/** Pushes an image of one random layer of `bytes` to the test registry as `name`. */
async function pushRandomImage(name: string, bytes: number): Promise<void> {
  const layer = await tarOf([{ name: 'random.txt', content: randomBytes(bytes / 2).toString('hex') }]);
  const image = await writeOciLayout([layer]);
  try {
    await copyToRegistry(image, `${registry.host}/${name}`);
  } finally {
    await image.cleanup();
  }
}

async function lines(args: string[]): Promise<string[]> {
  return (await daemon.ok(args)).split('\n').filter(Boolean).sort();
}

/** What a user lists: containers, images, volumes. */
async function objects(): Promise<{ containers: string[]; images: string[]; volumes: string[] }> {
  return {
    containers: await lines(['ps', '-a', '--format', '{{.Names}} {{.Status}}']),
    images: await lines(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']),
    volumes: await lines(['volume', 'ls', '-q']),
  };
}

/** The data root's tree, without the event journal (it grows with every request). */
function dataTree(...skip: string[]): Promise<string[]> {
  return listTree(data, ['events', ...skip]);
}

function assertSameTree(after: string[], before: string[]): void {
  const added = after.filter((p) => !before.includes(p));
  const removed = before.filter((p) => !after.includes(p));
  assert.deepEqual({ added, removed }, { added: [], removed: [] }, 'the data root changed');
}

/** Temp names any store uses while writing; none may stay. */
function temps(tree: string[]): string[] {
  return tree.filter((p) => /(^|\/)(tmp-[^/]*|\.[^/]*\.tmp|\.berth-tmp-[^/]*)\/?$/.test(p)
    || /^(image\/content\/ingest|distribution\/tmp)\/./.test(p));
}

async function refusedForSpace(args: string[]): Promise<void> {
  const r = await daemon.docker(args);
  assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail: ${r.stdout}`);
  assert.ok(r.stderr.includes(FULL), `docker ${args.join(' ')} (exit ${r.code}): ${r.stdout}${r.stderr}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-faults-'));
  data = join(dir, 'data');
  await mountTmpfs(data, '48m');
  registry = await startTestRegistry();
  daemon = await startDaemon({ dir, dataRoot: data });
  await importBusybox(daemon);
  // An image with content at /data, for the volume copy-up: small files and 768 KiB of random bytes.
  await daemon.ok(['run', '--name', 'faults-mkdata', 'busybox', 'sh', '-c',
    'mkdir /data && echo hello > /data/hello && dd if=/dev/urandom of=/data/big bs=1024 count=768 2>/dev/null']);
  await daemon.ok(['commit', 'faults-mkdata', 'faults-data']);
  await daemon.ok(['rm', 'faults-mkdata']);
  await pushRandomImage('faults/pull-full:1', 64 * 1024);
  await pushRandomImage('faults/pull-nearly:1', 1024 * 1024);
  smallTar = join(dir, 'small.tar');
  bigTar = join(dir, 'big.tar');
  await randomTar(smallTar, 16 * 1024);
  await randomTar(bigTar, 1024 * 1024);
});

after(() => cleanUpInOrder(
  () => (data ? emptyOut(data) : undefined),
  () => daemon?.stop(),
  () => (data ? unmountTmpfs(data) : undefined),
  () => (dir ? cleanupDir(dir) : undefined),
  () => registry?.stop(),
));

test('a data root full to the last byte refuses run, create, import, pull and a volume copy-up, and makes nothing', async () => {
  const before = await objects();
  const tree = await dataTree();
  await fillUp(data);
  try {
    await refusedForSpace(['run', '--name', 'faults-run', 'busybox', 'true']);
    await refusedForSpace(['create', '--name', 'faults-create', 'busybox', 'true']);
    await refusedForSpace(['import', smallTar, 'faults-import:1']);
    await refusedForSpace(['pull', `${registry.host}/faults/pull-full:1`]);
    await refusedForSpace(['run', '--name', 'faults-copy', '-v', 'faults-vol:/data', 'faults-data', 'true']);
    // The daemon still answers, with the engine API's status for it (dockerd's: 500).
    const api = await daemon.api('POST', '/containers/create?name=faults-api', { Image: 'busybox', Cmd: ['true'] });
    assert.equal(api.status, 500);
    assert.match((JSON.parse(api.body) as { message: string }).message, /^write \/\S+: no space left on device$/);
    assert.deepEqual(await objects(), before, 'nothing half-made is listed');
    assertSameTree(await dataTree(), tree);
  } finally {
    await emptyOut(data);
  }

  await daemon.ok(['run', '--name', 'faults-run', 'busybox', 'true']);
  await daemon.ok(['create', '--name', 'faults-create', 'busybox', 'true']);
  await daemon.ok(['import', smallTar, 'faults-import:1']);
  await daemon.ok(['pull', `${registry.host}/faults/pull-full:1`]);
  await daemon.ok(['run', '--name', 'faults-copy', '-v', 'faults-vol:/data', 'faults-data', 'true']);
  assert.equal((await daemon.ok(['run', '--rm', '-v', 'faults-vol:/v', 'busybox', 'cat', '/v/hello'])).trim(), 'hello');
  const now = await objects();
  assert.deepEqual(now.containers.map((c) => c.split(' ')[0]), ['faults-copy', 'faults-create', 'faults-run']);
  assert.ok(now.images.some((i) => i.startsWith('faults-import:1 ')), now.images.join('\n'));
  assert.ok(now.images.some((i) => i.startsWith(`${registry.host}/faults/pull-full:1 `)), now.images.join('\n'));
  assert.deepEqual(now.volumes, ['faults-vol']);
  assert.deepEqual(temps(await dataTree()), []);
  await daemon.ok(['rm', '-f', 'faults-copy', 'faults-create', 'faults-run']);
  await daemon.ok(['volume', 'rm', 'faults-vol']);
  await daemon.ok(['rmi', 'faults-import:1', `${registry.host}/faults/pull-full:1`]);
});

test('a nearly full data root: import, pull and copy-up fail part way and leave no half layer, blob or volume content', async () => {
  const before = await objects();
  const stores = ['image', 'layers', 'distribution'];
  const storeTree = async () => (await dataTree()).filter((p) => stores.some((s) => p.startsWith(`${s}/`)));
  const tree = await storeTree();
  await fillUp(data, 256 * 1024);
  let volumeDir: string;
  try {
    await refusedForSpace(['import', bigTar, 'faults-import:2']);
    await refusedForSpace(['pull', `${registry.host}/faults/pull-nearly:1`]);
    // The records fit, the image's 768 KiB at /data do not: the start fails, and as under Docker the
    // container stays (Created); its volume is left empty, so the next start copies again.
    await refusedForSpace(['run', '--name', 'faults-copy2', '-v', 'faults-vol2:/data', 'faults-data', 'true']);
    volumeDir = (await daemon.ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'faults-vol2'])).trim();
    assert.deepEqual(await readdir(volumeDir), [], 'no half copy in the volume');
    assert.deepEqual((await objects()).images, before.images);
    assertSameTree(await storeTree(), tree);
  } finally {
    await emptyOut(data);
  }
  await daemon.ok(['start', 'faults-copy2']);
  assert.deepEqual((await readdir(volumeDir)).sort(), ['big', 'hello']);
  await daemon.ok(['import', bigTar, 'faults-import:2']);
  await daemon.ok(['pull', `${registry.host}/faults/pull-nearly:1`]);
  assert.deepEqual(temps(await dataTree()), []);
  await daemon.ok(['rm', '-f', 'faults-copy2']);
  await daemon.ok(['volume', 'rm', 'faults-vol2']);
  await daemon.ok(['rmi', 'faults-import:2', `${registry.host}/faults/pull-nearly:1`]);
});

test('a container whose log fills the disk keeps running; the daemon says so once, and the log goes on when space returns', async () => {
  // About 250 bytes a line every 50 ms: the log's last page is full within a second.
  const id = (await daemon.ok(['run', '-d', '--name', 'faults-logger', 'busybox', 'sh', '-c',
    'i=0; pad=$(printf "%0200d" 0); while true; do i=$((i+1)); echo "line $i $pad"; usleep 50000; done'])).trim();
  const lastLine = async () => {
    const out = (await daemon.ok(['logs', 'faults-logger'])).split('\n');
    return Math.max(0, ...out.map((l) => Number(/^line (\d+) /.exec(l)?.[1] ?? 0)));
  };
  try {
    await until('the first lines', async () => ((await lastLine()) > 2 ? true : undefined));
    const full = `container ${id}: write `;
    await fillUp(data);
    try {
      await until('the log-full message', async () => (daemon.output.includes(full) ? true : undefined));
      // Some more lines' time: still running, still told once.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal((await daemon.ok(['inspect', '-f', '{{.State.Status}}', 'faults-logger'])).trim(), 'running');
      const told = daemon.output.split('\n').filter((l) => l.includes(full));
      assert.equal(told.length, 1, told.join('\n'));
      assert.ok(told[0].includes(FULL), told[0]);
    } finally {
      await emptyOut(data);
    }
    const seen = await lastLine();
    await until('the log-written-again message', async () => (daemon.output.includes(`container ${id}: its log `) ? true : undefined));
    await until('new lines in docker logs', async () => ((await lastLine()) > seen + 5 ? true : undefined));
  } finally {
    await daemon.docker(['rm', '-f', 'faults-logger']);
  }
});
