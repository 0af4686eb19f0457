import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { IgnoreMatcher, globRegExp, removeIgnored } from '../../src/engine/build/dockerignore.js';

test('.dockerignore patterns: globs, ** across directories, parents, ! exceptions, last match wins', () => {
  const m = IgnoreMatcher.parse('# comment\n*.log\n/tmp\ndocs/**/*.md\n!docs/keep.md\nbuild\n!build/out\n');
  assert.equal(m.excludes('a.log'), true);
  assert.equal(m.excludes('dir/a.log'), false, '* does not cross directories');
  assert.equal(m.excludes('tmp/x/y'), true, 'a matching parent excludes what is inside');
  assert.equal(m.excludes('docs/a/b/c.md'), true);
  assert.equal(m.excludes('docs/keep.md'), false);
  assert.equal(m.excludes('docs/x.md'), true, '**/ also matches no directory');
  assert.equal(m.excludes('build/a'), true);
  assert.equal(m.excludes('build/out'), false);
  assert.equal(m.excludes('src/main.go'), false);
});

test('globs: ? and classes stay within one element', () => {
  assert.ok(globRegExp('a?c').test('abc'));
  assert.ok(!globRegExp('a?c').test('a/c'));
  assert.ok(globRegExp('[a-c]x').test('bx'));
  assert.ok(!globRegExp('[!a-c]x').test('bx'));
  assert.ok(globRegExp('f\\*').test('f*'));
  assert.ok(!globRegExp('f\\*').test('fo'));
});

test('removeIgnored leaves re-included files inside excluded directories', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-ignore-'));
  try {
    await mkdir(join(dir, 'ign/sub'), { recursive: true });
    await writeFile(join(dir, 'ign/secret'), 's');
    await writeFile(join(dir, 'ign/keep'), 'k');
    await writeFile(join(dir, 'ign/sub/x'), 'x');
    await writeFile(join(dir, 'a.log'), 'l');
    await writeFile(join(dir, 'main'), 'm');
    await removeIgnored(dir, IgnoreMatcher.parse('ign\n!ign/keep\n*.log\n'));
    const left = execFileSync('find', ['.', '-mindepth', '1'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(left, ['./ign', './ign/keep', './main']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
