import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, readFile, lstat, readlink, readdir, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { unpackLayer, cleanEntryName, UnsafeTarEntryError } from '../../src/lib/tar-unpack.js';
import { InvalidArgumentError } from '../../src/lib/errors.js';

type Entry = Partial<tar.Header> & { name: string; body?: string };

/** Builds a tar in memory from entries (tests only: real layers are streamed). */
async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: 0o644, mtime: new Date(1_000_000_000_000), ...header }, body ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let dir: string;
let target: string;
let outside: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-unpack-'));
  target = join(dir, 'layer');
  outside = join(dir, 'outside');
  await mkdir(target);
  await mkdir(outside);
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function listOutside(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== 'layer' && n !== 'outside').concat(await readdir(outside));
}

test('a plain tar unpacks with modes, owners, times, symlinks and hard links, and its diffID is the sha256 of the tar', async () => {
  const data = await makeTar([
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/tool', body: '#!/bin/sh\necho hi\n', mode: 0o4755, uid: 1000, gid: 1001 },
    { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
    { name: 'bin/copy', type: 'link', linkname: 'bin/tool' },
    { name: 'etc/conf', body: 'x=1\n' },
  ]);
  const result = await unpackLayer([data], target);
  assert.equal(result.diffId, `sha256:${createHash('sha256').update(data).digest('hex')}`);
  assert.equal(result.size, '#!/bin/sh\necho hi\n'.length + 4);
  const tool = await stat(join(target, 'bin/tool'));
  assert.equal(tool.mode & 0o7777, 0o4755);
  assert.equal(tool.uid, 1000);
  assert.equal(tool.gid, 1001);
  assert.equal(tool.nlink, 2);
  assert.equal(tool.mtime.getTime(), 1_000_000_000_000);
  assert.equal(await readlink(join(target, 'bin/alias')), 'tool');
  assert.equal(await readFile(join(target, 'bin/copy'), 'utf8'), '#!/bin/sh\necho hi\n');
  assert.equal(await readFile(join(target, 'etc/conf'), 'utf8'), 'x=1\n');
  assert.equal((await stat(join(target, 'bin'))).mtime.getTime(), 1_000_000_000_000);
});

test('a gzip-compressed tar unpacks and keeps the diffID of the uncompressed tar', async () => {
  const data = await makeTar([{ name: 'hello', body: 'hi\n' }]);
  const result = await unpackLayer([gzipSync(data)], target);
  assert.equal(result.diffId, `sha256:${createHash('sha256').update(data).digest('hex')}`);
  assert.equal(await readFile(join(target, 'hello'), 'utf8'), 'hi\n');
});

test('an empty stream is an empty layer', async () => {
  const result = await unpackLayer([], target);
  assert.equal(result.diffId, `sha256:${createHash('sha256').digest('hex')}`);
  assert.deepEqual(await readdir(target), []);
});

test('absolute names are taken relative to the layer root', async () => {
  await unpackLayer([await makeTar([{ name: '/etc/passwd', body: 'root\n' }, { name: '/../../x', body: 'y' }])], target);
  assert.equal(await readFile(join(target, 'etc/passwd'), 'utf8'), 'root\n');
  assert.equal(await readFile(join(target, 'x'), 'utf8'), 'y');
  assert.deepEqual(await listOutside(), []);
});

test('names that climb out of the root with .. are refused and nothing is written outside', async () => {
  for (const name of ['../escape', 'a/../../escape', '../outside/escape', './../escape']) {
    await assert.rejects(unpackLayer([await makeTar([{ name, body: 'pwned' }])], target), (err: Error) => {
      assert.ok(err instanceof UnsafeTarEntryError, `${name}: ${err}`);
      assert.match(err.message, /path escapes the layer root/);
      return true;
    });
  }
  assert.deepEqual(await listOutside(), []);
});

test('a symlink in the tar is never followed to write a later entry', async () => {
  for (const link of ['../outside', outside, '/']) {
    await rm(target, { recursive: true, force: true });
    await mkdir(target);
    const data = await makeTar([
      { name: 'evil', type: 'symlink', linkname: link },
      { name: 'evil/pwned', body: 'pwned' },
    ]);
    await assert.rejects(unpackLayer([data], target), /refusing tar entry "evil\/pwned": parent evil is a symbolic link/);
  }
  assert.deepEqual(await listOutside(), []);
});

test('a symlinked parent directory deeper in the path is refused too', async () => {
  const data = await makeTar([
    { name: 'a/', type: 'directory' },
    { name: 'a/b', type: 'symlink', linkname: '../../outside' },
    { name: 'a/b/c/d', body: 'pwned' },
  ]);
  await assert.rejects(unpackLayer([data], target), UnsafeTarEntryError);
  assert.deepEqual(await listOutside(), []);
});

test('an entry replacing a symlink replaces the link itself, not what it points to', async () => {
  const victim = join(outside, 'victim');
  execFileSync('sh', ['-c', `echo original > ${victim}`]);
  const data = await makeTar([
    { name: 'f', type: 'symlink', linkname: victim },
    { name: 'f', body: 'new' },
    { name: 'd', type: 'symlink', linkname: outside },
    { name: 'd', type: 'directory', mode: 0o700 },
  ]);
  await unpackLayer([data], target);
  assert.equal(await readFile(victim, 'utf8'), 'original\n');
  assert.equal(await readFile(join(target, 'f'), 'utf8'), 'new');
  assert.ok((await lstat(join(target, 'd'))).isDirectory());
  assert.equal((await stat(outside)).mode & 0o777, 0o755);
});

test('hard links must point inside the layer', async () => {
  const cases: [string, RegExp][] = [
    ['../outside/secret', /path escapes the layer root/],
    [join(outside, 'secret'), /does not exist in the layer/],
    ['missing', /does not exist in the layer/],
  ];
  execFileSync('sh', ['-c', `echo secret > ${join(outside, 'secret')}`]);
  for (const [linkname, message] of cases) {
    await assert.rejects(unpackLayer([await makeTar([{ name: 'leak', type: 'link', linkname }])], target), message);
    await assert.rejects(lstat(join(target, 'leak')));
  }
});

test('a hard link through a symlinked parent is refused', async () => {
  execFileSync('sh', ['-c', `echo secret > ${join(outside, 'secret')}`]);
  const data = await makeTar([
    { name: 'up', type: 'symlink', linkname: outside },
    { name: 'leak', type: 'link', linkname: 'up/secret' },
  ]);
  await assert.rejects(unpackLayer([data], target), /parent up is a symbolic link/);
  await assert.rejects(lstat(join(target, 'leak')));
});

test('OCI whiteouts become overlay whiteouts and opaque directories', async () => {
  const data = await makeTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/.wh.removed', body: '' },
    { name: 'var/', type: 'directory', mode: 0o755 },
    { name: 'var/.wh..wh..opq', body: '' },
    { name: 'var/kept', body: 'k' },
    { name: '.wh..wh.plnk/', type: 'directory' },
  ]);
  await unpackLayer([data], target);
  const wh = await lstat(join(target, 'etc/removed'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  await assert.rejects(lstat(join(target, 'etc/.wh.removed')));
  const opaque = execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(target, 'var')], { encoding: 'utf8' });
  assert.equal(opaque, 'y');
  assert.equal(await readFile(join(target, 'var/kept'), 'utf8'), 'k');
  assert.deepEqual((await readdir(target)).sort(), ['etc', 'var']);
});

test('a whiteout cannot name . or .. nor sit under a symlink', async () => {
  await assert.rejects(unpackLayer([await makeTar([{ name: 'a/.wh..', body: '' }])], target), /invalid whiteout name/);
  const data = await makeTar([
    { name: 'l', type: 'symlink', linkname: outside },
    { name: 'l/.wh.x', body: '' },
  ]);
  await assert.rejects(unpackLayer([data], target), /parent l is a symbolic link/);
  assert.deepEqual(await listOutside(), []);
});

test('data that is not a tar gets a clear error', async () => {
  await assert.rejects(unpackLayer([Buffer.from('garbage\n')], target), (err: Error) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.match(err.message, /^Error processing tar file\(exit status 1\): /);
    return true;
  });
  await assert.rejects(unpackLayer([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0])], target), /unsupported compression format zstd/);
  await assert.rejects(unpackLayer([Buffer.concat([gzipSync(Buffer.alloc(2048)).subarray(0, 20)])], target), /gzip|tar/);
});

test('entry names are cleaned like Docker cleans them', () => {
  assert.equal(cleanEntryName('./a/b/'), 'a/b');
  assert.equal(cleanEntryName('/a//b/./c'), 'a/b/c');
  assert.equal(cleanEntryName('./'), '');
  assert.equal(cleanEntryName('/../a'), 'a');
  assert.throws(() => cleanEntryName('a/../../b'), UnsafeTarEntryError);
  assert.throws(() => cleanEntryName('..'), UnsafeTarEntryError);
});

test('an entry type the unpacker cannot decode (a GNU sparse file) is refused, not written as garbage', async () => {
  const data = await makeTar([{ name: 'sparse', body: 'x' }]);
  data[156] = 'S'.charCodeAt(0);
  // The header checksum covers the type flag: recompute it.
  data.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += data[i];
  data.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  await assert.rejects(unpackLayer([data], target), /refusing tar entry "sparse": unsupported tar entry type/);
});
