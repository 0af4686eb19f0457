import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { packPath } from '../../src/engine/layers/archive-pack.js';
import { unpackLayer } from '../../src/lib/tar-unpack.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-pack-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function entries(stream: AsyncIterable<Buffer>): Promise<{ name: string; type: string; linkname?: string | null }[]> {
  const extract = tar.extract();
  const out: { name: string; type: string; linkname?: string | null }[] = [];
  const feeding = pipeline(stream, extract);
  for await (const e of extract) {
    out.push({ name: e.header.name, type: e.header.type ?? '', linkname: e.header.linkname });
    e.resume();
  }
  await feeding;
  return out;
}

test('a directory is archived under the given name, links as links, hard links once', async () => {
  const src = join(dir, 'tree');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'sub', 'a'), 'a');
  await link(join(src, 'sub', 'a'), join(src, 'sub', 'b'));
  await symlink('/etc/passwd', join(src, 'out'));
  const got = await entries(packPath(src, { name: 'copy' }));
  assert.deepEqual(got.map((e) => `${e.type} ${e.name}${e.linkname ? ` -> ${e.linkname}` : ''}`), [
    'directory copy/', 'symlink copy/out -> /etc/passwd', 'directory copy/sub/', 'file copy/sub/a', 'link copy/sub/b -> copy/sub/a',
  ]);
});

test('overlay whiteouts and opaque directories become OCI entries and unpack back', async () => {
  const upper = join(dir, 'upper');
  await mkdir(join(upper, 'etc'), { recursive: true });
  await mkdir(join(upper, 'opaque'));
  await writeFile(join(upper, 'etc', 'new'), 'new');
  execFileSync('mknod', [join(upper, 'etc', 'gone'), 'c', '0', '0']);
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(upper, 'opaque')]);
  const names = (await entries(packPath(upper, { name: '', ociWhiteouts: true }))).map((e) => e.name);
  assert.deepEqual(names, ['etc/', 'etc/.wh.gone', 'etc/new', 'opaque/', 'opaque/.wh..wh..opq']);
  const back = join(dir, 'back');
  await mkdir(back);
  await unpackLayer(packPath(upper, { name: '', ociWhiteouts: true }), back);
  const gone = await lstat(join(back, 'etc', 'gone'));
  assert.ok(gone.isCharacterDevice() && gone.rdev === 0);
  assert.equal(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(back, 'opaque')], { encoding: 'utf8' }), 'y');
  assert.equal(await readFile(join(back, 'etc', 'new'), 'utf8'), 'new');
});

test('skip leaves paths and their descendants out', async () => {
  const names = (await entries(packPath(join(dir, 'tree'), { name: '', skip: (rel) => rel === 'sub' }))).map((e) => e.name);
  assert.deepEqual(names, ['out']);
});

test('copy mode: .wh. names are plain files, the target itself is untouched, dir/non-dir swaps refused on request', async () => {
  const target = join(dir, 'target');
  await mkdir(join(target, 'keepdir'), { recursive: true });
  const pack = (entriesIn: { name: string; type?: 'file' | 'directory' }[]) => {
    const p = tar.pack();
    for (const e of entriesIn) {
      if (e.type === 'directory') p.entry({ name: e.name, type: e.type, mode: 0o700 });
      else p.entry({ name: e.name, type: 'file', mode: 0o700 }, 'x');
    }
    p.finalize();
    return p as unknown as AsyncIterable<Buffer>;
  };
  const modeBefore = (await lstat(target)).mode;
  assert.notEqual(modeBefore & 0o777, 0o700);
  await unpackLayer(pack([{ name: './', type: 'directory' }, { name: '.wh.file' }]), target, { mode: 'copy' });
  assert.equal(await readFile(join(target, '.wh.file'), 'utf8'), 'x');
  assert.equal((await lstat(target)).mode, modeBefore, 'the ./ entry does not change the target directory');
  await assert.rejects(unpackLayer(pack([{ name: 'keepdir' }]), target, { mode: 'copy', noOverwriteDirNonDir: true }),
    /cannot overwrite directory "keepdir" with non-directory "keepdir"/);
  await assert.rejects(unpackLayer(pack([{ name: '.wh.file', type: 'directory' }]), target, { mode: 'copy', noOverwriteDirNonDir: true }),
    /cannot overwrite non-directory/);
  await assert.rejects(unpackLayer(pack([{ name: '../escape' }]), target, { mode: 'copy' }), /path escapes/);
});

test('a reader that goes away mid-archive ends the packing without an uncaught error', async () => {
  const src = join(dir, 'big');
  await mkdir(src, { recursive: true });
  for (let i = 0; i < 4; i++) await writeFile(join(src, `f${i}`), Buffer.alloc(8 << 20, i));
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const out = packPath(src, { name: 'big' });
    // Read one chunk, then hang up the way a client closing its connection does.
    await new Promise<void>((resolve) => out.once('data', () => resolve()));
    out.destroy();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  assert.deepEqual(uncaught, []);
});
