import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { IgnoreMatcher, cleanPath, globRegExp, readDockerignore } from '../../src/lib/dockerignore.js';
import { InvalidArgumentError } from '../../src/lib/errors.js';
import { removeIgnored } from '../../src/engine/build/dockerignore.js';

test('the file reads as ignorefile.ReadAll reads it', () => {
  assert.deepEqual(
    readDockerignore('\uFEFF# comment\n  # not a comment\n\n/sub/ignored.txt\r\n! keep.log \n./a//b/../c/\n../up\n/\n!\n'),
    ['# not a comment', 'sub/ignored.txt', '!keep.log', 'a/c', '../up', '/', '!'],
  );
  assert.equal(cleanPath(''), '.');
  assert.equal(cleanPath('a/..'), '.');
  assert.equal(cleanPath('//a//b/'), '/a/b');
});

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
  assert.equal(m.hasExclusions, true);
  assert.equal(IgnoreMatcher.parse('a\n').hasExclusions, false);
  assert.equal(IgnoreMatcher.parse('# only a comment\n').empty, true);
});

test('matches like moby patternmatcher', () => {
  const m = IgnoreMatcher.parse('# comment\n/sub/ignored.txt\n*.log\n!keep.log\nbuild/**\ndocs/*/draft\n');
  assert.equal(m.excludes('sub/ignored.txt'), true);
  assert.equal(m.excludes('sub/other.txt'), false);
  assert.equal(m.excludes('a.log'), true);
  assert.equal(m.excludes('keep.log'), false);
  assert.equal(m.excludes('dir/a.log'), false);
  assert.equal(m.excludes('build/x/y'), true);
  assert.equal(m.excludes('build'), false, '"dir/**" is a prefix "dir/"');
  assert.equal(m.excludes('docs/en/draft'), true);
  assert.equal(m.excludes('docs/en/final'), false);
  assert.equal(IgnoreMatcher.parse('node_modules\n').excludes('node_modules/a/b.js'), true);
  assert.equal(IgnoreMatcher.parse('**/*.tmp\n').excludes('x.tmp'), true);
  assert.equal(IgnoreMatcher.parse('**/*.tmp\n').excludes('a/b/x.tmp'), true);
  assert.equal(IgnoreMatcher.parse('**/name\n').excludes('name'), true);
  assert.equal(IgnoreMatcher.parse('**/name\n').excludes('a/b/name'), true);
  assert.equal(IgnoreMatcher.parse('**/name\n').excludes('a/b/rename'), false);
  // patternmatcher's suffix test: a leading "**" without "/" matches any name ending so
  assert.equal(IgnoreMatcher.parse('**name\n').excludes('a/rename'), true);
  assert.equal(IgnoreMatcher.parse('**\n').excludes('anything/at/all'), true);
  assert.equal(IgnoreMatcher.parse('a.b\n').excludes('axb'), false, '. is itself');
  assert.equal(IgnoreMatcher.parse('f(1)+\n').excludes('f(1)+'), true);
  assert.equal(IgnoreMatcher.parse('dir\n!dir/keep\ndir/keep/x\n').excludes('dir/keep/x'), true);
  assert.equal(IgnoreMatcher.parse('dir\n!dir/keep\n').excludes('dir/keep/x'), false);
});

test('patterns Docker cannot read are refused with its messages', () => {
  for (const [text, message] of [['!\n', 'illegal exclusion pattern: "!"'], ['a[b\n', 'syntax error in pattern'], ['a\\\n', 'syntax error in pattern']]) {
    assert.throws(() => IgnoreMatcher.parse(text), (err: unknown) => err instanceof InvalidArgumentError && err.message === message, text);
  }
});

test('globs: ? and classes stay within one element', () => {
  assert.ok(globRegExp('a?c').test('abc'));
  assert.ok(!globRegExp('a?c').test('a/c'));
  assert.ok(globRegExp('[a-c]x').test('bx'));
  assert.ok(!globRegExp('[^a-c]x').test('bx'));
  assert.ok(globRegExp('[!a-c]x').test('!x'), 'a class is a Go regexp class: "!" is itself');
  assert.ok(globRegExp('f\\*').test('f*'));
  assert.ok(!globRegExp('f\\*').test('fo'));
  assert.ok(globRegExp('a/**').test('a/b/c'));
  assert.ok(globRegExp('**/c').test('c'));
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
