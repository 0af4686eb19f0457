import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goFileMode, goTimeOf, preserveTrailing, resolvePath, statPath } from '../../src/engine/containers/archive-path.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-scope-'));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc', 'passwd'), 'inside\n');
  await symlink('/../../../../etc', join(root, 'up'));
});
after(async () => { await rm(root, { recursive: true, force: true }); });

// How a path resolves inside a root (links, `..`, loops) is tested in root-path.test.ts.
test('resolvePath keeps the last element as given and the trailing / or /.', async () => {
  assert.deepEqual(await resolvePath(root, '/up'), { absPath: '/up', resolved: join(root, 'up') });
  assert.deepEqual(await resolvePath(root, '/up/'), { absPath: '/up/', resolved: `${join(root, 'etc')}/` });
  assert.equal(preserveTrailing('/etc', 'etc/.'), '/etc/.');
  assert.equal(preserveTrailing('/', '/.'), '/.');
});

test('statPath: a symlink\'s linkTarget is its resolved container path; a missing file is Docker\'s 404 text', async () => {
  const st = await statPath(root, await resolvePath(root, '/up'), '/up', 'c1');
  assert.equal(st.name, 'up');
  assert.equal(st.linkTarget, '/etc');
  assert.equal(st.mode, 2 ** 27 + 0o777);
  await assert.rejects(statPath(root, await resolvePath(root, '/nope'), '/nope', 'c1'), /Could not find the file \/nope in container c1/);
});

test('Go file modes and times', async () => {
  assert.ok(goFileMode(await lstat(join(root, 'etc'))) >= 2 ** 31, 'os.ModeDir');
  assert.equal(goFileMode(await lstat(join(root, 'etc', 'passwd'))) >= 2 ** 19, false);
  assert.equal(goTimeOf(1_700_000_000_123_400_000n), '2023-11-14T22:13:20.1234Z');
  assert.equal(goTimeOf(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
});
