// The one test suite every storage driver passes. A backend's test file registers a constructor;
// each test works under its own directory and the suite fails if anything is left behind.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { copyToWritable, deleteFiles, walkFiles, type StorageDriver } from '../../../src/registry/storage/driver.js';
import { PassThrough, Writable } from 'node:stream';

export interface DriverFactory {
  create(): Promise<StorageDriver>;
  destroy?(driver: StorageDriver): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejectsNamed(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (err: Error) => { assert.equal(err.name, name); return true; });
}

export function driverSuite(name: string, factory: DriverFactory): void {
  describe(`storage driver suite: ${name}`, () => {
    let d: StorageDriver;
    let n = 0;
    let base: string;
    const p = (rel: string) => `${base}/${rel}`;

    before(async () => { d = await factory.create(); });
    after(async () => { await factory.destroy?.(d); await d.close?.(); });
    // Every test gets a fresh directory...
    const fresh = () => { base = `/suite-${process.pid}-${++n}`; };
    // ...and must leave nothing behind once it deleted it.
    afterEach(async () => {
      await d.delete(base).catch(() => {});
      assert.deepEqual(await d.list('/'), [], 'the test left files behind');
    });

    it('putContent then getContent returns the bytes; a second put replaces them', async () => {
      fresh();
      await d.putContent(p('a/b/file'), Buffer.from('first'));
      assert.equal((await d.getContent(p('a/b/file'))).toString(), 'first');
      await d.putContent(p('a/b/file'), Buffer.from('second, longer'));
      assert.equal((await d.getContent(p('a/b/file'))).toString(), 'second, longer');
      await d.putContent(p('empty'), Buffer.alloc(0));
      assert.equal((await d.getContent(p('empty'))).length, 0);
    });

    it('missing paths raise PathNotFoundError everywhere', async () => {
      fresh();
      await rejectsNamed(d.getContent(p('nope')), 'PathNotFoundError');
      await rejectsNamed(d.reader(p('nope')), 'PathNotFoundError');
      await rejectsNamed(d.stat(p('nope')), 'PathNotFoundError');
      await rejectsNamed(d.list(p('nope')), 'PathNotFoundError');
      await rejectsNamed(d.move(p('nope'), p('other')), 'PathNotFoundError');
      await rejectsNamed(d.delete(p('nope')), 'PathNotFoundError');
    });

    it('paths that are not clean absolute paths raise InvalidPathError', async () => {
      fresh();
      for (const bad of ['relative', '/a/../b', '/a/./b', '/a//b', '/a/b/', '', '/a b', '/../x', '/a/\u00e9']) {
        await rejectsNamed(d.putContent(bad, Buffer.from('x')), 'InvalidPathError');
        await rejectsNamed(d.getContent(bad), 'InvalidPathError');
      }
    });

    it('stat tells files (size) from directories', async () => {
      fresh();
      await d.putContent(p('dir/file'), Buffer.from('12345'));
      const file = await d.stat(p('dir/file'));
      assert.equal(file.isDir, false);
      assert.equal(file.size, 5);
      assert.ok(file.modTime.getTime() > Date.now() - 3_600_000);
      assert.equal((await d.stat(p('dir'))).isDir, true);
    });

    it('list gives the direct children, sorted, as full paths', async () => {
      fresh();
      for (const f of ['x/b', 'x/a', 'x/c/deep/file', 'y']) await d.putContent(p(f), Buffer.from(f));
      assert.deepEqual(await d.list(p('x')), [p('x/a'), p('x/b'), p('x/c')]);
      assert.deepEqual(await d.list(base), [p('x'), p('y')]);
      assert.ok((await d.list('/')).includes(base));
    });

    it('reader streams from an offset and for a length; past the end is InvalidOffsetError', async () => {
      fresh();
      const data = randomBytes(100_000);
      await d.putContent(p('blob'), data);
      assert.deepEqual(await readAll(await d.reader(p('blob'))), data);
      assert.deepEqual(await readAll(await d.reader(p('blob'), 99_000)), data.subarray(99_000));
      assert.deepEqual(await readAll(await d.reader(p('blob'), 10, 20)), data.subarray(10, 30));
      assert.equal((await readAll(await d.reader(p('blob'), 100_000))).length, 0);
      await rejectsNamed(d.reader(p('blob'), 100_001), 'InvalidOffsetError');
    });

    it('copyToWritable sends a range into a slow writable, whole and in order', async () => {
      fresh();
      const data = randomBytes(3 * 1024 * 1024 + 123);
      await d.putContent(p('send'), data);
      const received: Buffer[] = [];
      const slow = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) { received.push(Buffer.from(chunk)); setImmediate(cb); },
      });
      await copyToWritable(d, p('send'), slow, 1000, data.length - 2000);
      assert.deepEqual(Buffer.concat(received), data.subarray(1000, data.length - 1000));
      // A destination that goes away stops the copy without an error.
      const gone = new PassThrough();
      gone.destroy();
      await copyToWritable(d, p('send'), gone, 0, data.length);
    });

    it('a writer streams a file larger than one S3 part and commits it', async () => {
      fresh();
      const w = await d.writer(p('big'), false);
      const hash = createHash('sha256');
      for (let i = 0; i < 13; i++) {
        const chunk = randomBytes(1024 * 1024);
        hash.update(chunk);
        await w.write(chunk);
      }
      assert.equal(w.size, 13 * 1024 * 1024);
      await w.commit();
      const back = createHash('sha256');
      for await (const c of await d.reader(p('big'))) back.update(c as Buffer);
      assert.equal(back.digest('hex'), hash.digest('hex'));
      assert.equal((await d.stat(p('big'))).size, 13 * 1024 * 1024);
    });

    it('append continues a file (resumable uploads), small and above a part', async () => {
      fresh();
      const parts = [randomBytes(1000), randomBytes(6 * 1024 * 1024), randomBytes(10)];
      let w = await d.writer(p('up'), true);
      await w.write(parts[0]);
      await w.commit();
      w = await d.writer(p('up'), true);
      assert.equal(w.size, 1000);
      await w.write(parts[1]);
      await w.commit();
      w = await d.writer(p('up'), true);
      assert.equal(w.size, 1000 + 6 * 1024 * 1024);
      await w.write(parts[2]);
      await w.commit();
      assert.deepEqual(await readAll(await d.reader(p('up'))), Buffer.concat(parts));
    });

    it('cancel discards what the writer wrote and keeps what was there before', async () => {
      fresh();
      let w = await d.writer(p('new'), false);
      await w.write(randomBytes(500));
      await w.cancel();
      await rejectsNamed(d.stat(p('new')), 'PathNotFoundError');
      await d.putContent(p('kept'), Buffer.from('before'));
      w = await d.writer(p('kept'), true);
      await w.write(Buffer.from(' and after'));
      await w.cancel();
      assert.equal((await d.getContent(p('kept'))).toString(), 'before');
    });

    it('move puts a file in place, replacing what is there, and removes the source', async () => {
      fresh();
      await d.putContent(p('src/file'), Buffer.from('moved'));
      await d.putContent(p('dst/deep/file'), Buffer.from('old'));
      await d.move(p('src/file'), p('dst/deep/file'));
      assert.equal((await d.getContent(p('dst/deep/file'))).toString(), 'moved');
      await rejectsNamed(d.stat(p('src/file')), 'PathNotFoundError');
    });

    it('delete removes a file or a whole tree', async () => {
      fresh();
      await d.putContent(p('t/a'), Buffer.from('a'));
      await d.putContent(p('t/b/c'), Buffer.from('c'));
      await d.putContent(p('other'), Buffer.from('o'));
      await d.delete(p('t/a'));
      await rejectsNamed(d.stat(p('t/a')), 'PathNotFoundError');
      await d.delete(p('t'));
      await rejectsNamed(d.stat(p('t/b/c')), 'PathNotFoundError');
      assert.deepEqual(await d.list(base), [p('other')]);
    });

    it('concurrent whole-file writes leave one of the contents, never a mix', async () => {
      fresh();
      const a = Buffer.alloc(200_000, 'a');
      const b = Buffer.alloc(200_000, 'b');
      await Promise.all([d.putContent(p('race'), a), d.putContent(p('race'), b), d.putContent(p('race'), a)]);
      const got = await d.getContent(p('race'));
      assert.ok(got.equals(a) || got.equals(b));
    });

    it('walkFiles finds every file with its size and time; deleteFiles deletes files, gone ones too', async () => {
      fresh();
      const before = Date.now() - 5000;
      await d.putContent(p('w/a/1'), Buffer.from('one'));
      await d.putContent(p('w/a/b/2'), Buffer.from('three'));
      await d.putContent(p('w/c'), Buffer.alloc(0));
      const seen: Array<[string, number]> = [];
      await walkFiles(d, p('w'), (info) => {
        assert.ok(info.modTime.getTime() >= before, `${info.path} modTime`);
        seen.push([info.path, info.size]);
      });
      assert.deepEqual(seen.sort(), [[p('w/a/1'), 3], [p('w/a/b/2'), 5], [p('w/c'), 0]]);
      await walkFiles(d, p('nothing'), () => assert.fail('no files there'));
      await deleteFiles(d, [p('w/a/1'), p('w/c'), p('w/gone')]);
      await rejectsNamed(d.stat(p('w/a/1')), 'PathNotFoundError');
      assert.equal((await d.getContent(p('w/a/b/2'))).toString(), 'three');
      await d.removeEmptyDirs?.(p('w/a/b'), base);
      assert.equal((await d.getContent(p('w/a/b/2'))).toString(), 'three', 'removeEmptyDirs leaves a directory with files');
      await deleteFiles(d, [p('w/a/b/2')]);
      await d.removeEmptyDirs?.(p('w/a/b'), base);
      assert.deepEqual(await d.list(base).catch(() => []), [], 'nothing left under the test directory');
    });

    it('putContentExclusive writes only where nothing is: of racing writers exactly one wins', async () => {
      fresh();
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((v) => d.putContentExclusive(p('lock/file'), Buffer.from(v))));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = ['a', 'b', 'c', 'd'][results.indexOf(true)];
      assert.equal((await d.getContent(p('lock/file'))).toString(), winner);
      assert.equal(await d.putContentExclusive(p('lock/file'), Buffer.from('late')), false);
      await d.delete(p('lock/file'));
      assert.equal(await d.putContentExclusive(p('lock/file'), Buffer.from('again')), true);
      assert.deepEqual(await d.list(p('lock')), [p('lock/file')], 'no temp file is left');
    });
  });
}
