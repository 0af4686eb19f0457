// The one resolver of paths inside an untrusted root: whatever the root holds, the answer stays under it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SYMLINKS, resolveInRoot } from '../../src/lib/root-path.js';
import { InvalidArgumentError } from '../../src/lib/errors.js';

let scratch: string;
let root: string;
/** A directory outside the root, which hostile links aim at. */
let outside: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-root-path-'));
  root = join(scratch, 'root');
  outside = join(scratch, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'host\n');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'passwd'), 'inside\n');
  await mkdir(join(root, 'real', 'inner'), { recursive: true });
  await symlink('/etc', join(root, 'etclink'));
  await symlink('/../../../../etc', join(root, 'up'));
  await symlink('../../../../../etc/passwd', join(root, 'etc', 'rel'));
  await symlink('../../../../..', join(root, 'real', 'out'));
  await symlink(outside, join(root, 'hostdir'));
  await symlink('/real', join(root, 'abs'));
  await symlink('/real/inner', join(root, 'deep'));
  await symlink('deep/..', join(root, 'back'));
  await symlink('self', join(root, 'self'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
  await symlink('/grow/x', join(root, 'grow'));
});
after(async () => { await rm(scratch, { recursive: true, force: true }); });

const inRoot = (p: string) => join(root, p);

test('.. chains never climb above the root', async () => {
  assert.equal(await resolveInRoot(root, '../../etc/passwd'), inRoot('etc/passwd'));
  assert.equal(await resolveInRoot(root, '/a/../../../b'), inRoot('b'));
  assert.equal(await resolveInRoot(root, '/../../x'), inRoot('x'));
  assert.equal(await resolveInRoot(root, '/etc/../../../../etc/./passwd'), inRoot('etc/passwd'));
  assert.equal(await resolveInRoot(root, '/'), root);
  assert.equal(await resolveInRoot(root, ''), root);
  assert.equal(await resolveInRoot(root, '/..'), root);
});

test('absolute links start again at the root: a link to /etc is the root\'s /etc, never the host\'s', async () => {
  assert.equal(await resolveInRoot(root, '/etclink/passwd'), inRoot('etc/passwd'));
  assert.equal(await resolveInRoot(root, '/etclink/missing/deeper'), inRoot('etc/missing/deeper'));
  assert.equal(await resolveInRoot(root, '/abs/x'), inRoot('real/x'));
  // A link naming a host directory by its full path names that path inside the root.
  assert.equal(await resolveInRoot(root, '/hostdir/secret'), inRoot(`${outside}/secret`));
});

test('relative links with more .. than depth stop at the root', async () => {
  assert.equal(await resolveInRoot(root, '/up/passwd'), inRoot('etc/passwd'));
  assert.equal(await resolveInRoot(root, '/etc/rel'), inRoot('etc/passwd'));
  assert.equal(await resolveInRoot(root, '/real/out/etc/passwd'), inRoot('etc/passwd'));
});

test('symlinked parents: every component is resolved, and a .. inside a link applies to where it led', async () => {
  assert.equal(await resolveInRoot(root, '/deep/f'), inRoot('real/inner/f'));
  assert.equal(await resolveInRoot(root, '/back/f'), inRoot('real/f'));
  assert.equal(await resolveInRoot(root, '/abs/out/etclink/rel'), inRoot('etc/passwd'));
  // The path as asked is cleaned first (Docker's rule): `deep/..` there is the root, not /real.
  assert.equal(await resolveInRoot(root, '/deep/../etc'), inRoot('etc'));
});

test('symlink loops fail with ELOOP\'s words and a 400, not a hang', async () => {
  for (const path of ['/self', '/loop1/x', '/grow']) {
    await assert.rejects(resolveInRoot(root, path), (err: Error) => {
      assert.ok(err instanceof InvalidArgumentError, path);
      assert.equal(err.message, `lstat ${path}: too many levels of symbolic links`);
      return true;
    });
  }
});

test(`up to ${MAX_SYMLINKS} links are followed in one resolution, as Linux does; a long path without links is fine`, async () => {
  const chain = join(root, 'chain');
  await mkdir(chain);
  await mkdir(join(chain, 'end'));
  for (let i = 0; i < MAX_SYMLINKS + 1; i++) await symlink(i === 0 ? 'end' : `l${i - 1}`, join(chain, `l${i}`));
  assert.equal(await resolveInRoot(root, `/chain/l${MAX_SYMLINKS - 1}/f`), inRoot('chain/end/f'));
  await assert.rejects(resolveInRoot(root, `/chain/l${MAX_SYMLINKS}/f`), /too many levels of symbolic links/);
  const long = Array.from({ length: 300 }, (_, i) => `d${i}`).join('/');
  assert.equal(await resolveInRoot(root, `/${long}`), inRoot(long));
});

test('a link swapped in between two resolutions is followed inside the root', async () => {
  const swap = join(root, 'swap');
  await mkdir(swap);
  assert.equal(await resolveInRoot(root, '/swap/secret'), inRoot('swap/secret'));
  for (const target of ['/etc', '../../../../../../etc', outside, `../../../../../..${outside}`]) {
    await rm(swap, { recursive: true, force: true });
    await symlink(target, swap);
    const resolved = await resolveInRoot(root, '/swap/secret');
    assert.ok(resolved.startsWith(`${root}/`), `${target} -> ${resolved}`);
    assert.equal(resolved, target.endsWith('etc') ? inRoot('etc/secret') : inRoot(`${outside}/secret`));
  }
  await rm(swap);
});

test('a file where a directory must be, and a NUL byte, are 400s naming the container path', async () => {
  await assert.rejects(resolveInRoot(root, '/etc/passwd/x'), (err: Error) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.equal(err.message, 'lstat /etc/passwd/x: not a directory');
    return true;
  });
  await assert.rejects(resolveInRoot(root, '/etc/pa\0sswd'), InvalidArgumentError);
});

test('a root given with a trailing slash, or the host root itself', async () => {
  assert.equal(await resolveInRoot(`${root}/`, '/etclink/passwd'), inRoot('etc/passwd'));
  assert.equal(await resolveInRoot('/', '/etc/../tmp'), '/tmp');
});
