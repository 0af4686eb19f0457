import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, readdir, readFile, writeFile, unlink } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Logger } from '../../src/engine/base/log.js';
import { ImageStore } from '../../src/engine/images/image-store.js';
import { hostPlatform } from '../../src/engine/images/image-config.js';

// The layers the store unpacks are mounted by the real kernel overlayfs, as a container's root is.
async function makeTar(entries: (Partial<tar.Header> & { name: string; body?: string })[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const { body, ...h } of entries) pack.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, ...h }, body ?? '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let dir: string;
let merged: string;
let mounted = false;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-overlay-')); });
after(async () => {
  if (mounted) execFileSync('umount', [merged]);
  await rm(dir, { recursive: true, force: true });
});

test('whiteouts and opaque dirs of an upper layer hide lower content; container writes stay in its upper dir', async () => {
  const store = await ImageStore.open(join(dir, 'data', 'image'), new Logger('fatal'));
  const base = await store.registerLayer(Readable.from([await makeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/keep', body: 'keep' },
    { name: 'etc/gone', body: 'gone' },
    { name: 'var/', type: 'directory' },
    { name: 'var/old1', body: '1' },
    { name: 'var/old2', body: '2' },
  ])]));
  const top = await store.registerLayer(Readable.from([await makeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.gone' },
    { name: 'var/', type: 'directory' },
    { name: 'var/.wh..wh..opq' },
    { name: 'var/new', body: 'n' },
  ])]), base.chainId);
  const image = await store.addImage({ ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [base.diffId, top.diffId] } });

  const upper = join(dir, 'container', 'upper');
  const work = join(dir, 'container', 'work');
  merged = join(dir, 'container', 'merged');
  for (const d of [upper, work, merged]) await mkdir(d, { recursive: true });
  const lower = (await store.lowerDirs(image.id)).join(':');
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
  mounted = true;

  assert.deepEqual((await readdir(join(merged, 'etc'))).sort(), ['keep']);
  assert.deepEqual(await readdir(join(merged, 'var')), ['new']);

  await writeFile(join(merged, 'etc', 'keep'), 'changed by the container');
  await writeFile(join(merged, 'etc', 'added'), 'a');
  await unlink(join(merged, 'var', 'new'));

  const [topDir, baseDir] = await store.lowerDirs(image.id);
  assert.equal(await readFile(join(baseDir, 'etc', 'keep'), 'utf8'), 'keep');
  assert.deepEqual((await readdir(join(baseDir, 'etc'))).sort(), ['gone', 'keep']);
  assert.equal(await readFile(join(topDir, 'var', 'new'), 'utf8'), 'n');
  assert.deepEqual((await readdir(join(upper, 'etc'))).sort(), ['added', 'keep']);

  execFileSync('umount', [merged]);
  mounted = false;
});
