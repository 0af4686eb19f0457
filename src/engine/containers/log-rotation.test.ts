import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHumanSize, prepareRotatedLog, rotateIfReplaced, rotationPolicy } from './log-rotation.js';

test('sizes parse as dockerd parses them (decimal units); policies follow json-file and local defaults', () => {
  assert.equal(parseHumanSize('10m'), 10_000_000);
  assert.equal(parseHumanSize('1.5k'), 1500);
  assert.equal(parseHumanSize('2GB'), 2_000_000_000);
  assert.equal(parseHumanSize('300'), 300);
  assert.equal(parseHumanSize('-1'), undefined);
  assert.equal(parseHumanSize('abc'), undefined);
  assert.equal(rotationPolicy({ Type: 'json-file', Config: {} }), undefined);
  assert.equal(rotationPolicy({ Type: 'json-file', Config: { 'max-file': '3' } }), undefined, 'max-file alone rotates nothing');
  assert.deepEqual(rotationPolicy({ Type: 'json-file', Config: { 'max-size': '1k' } }), { maxSize: 1000, maxFile: 1 });
  assert.deepEqual(rotationPolicy({ Type: 'local', Config: { compress: 'false' } }), { maxSize: 20 * 1024 * 1024, maxFile: 5 });
  assert.throws(() => rotationPolicy({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '0' } }), { message: 'failed to initialize logging driver: max-file cannot be less than 1' });
  assert.throws(() => rotationPolicy({ Type: 'local', Config: { 'max-file': '1' } }), { message: 'failed to initialize logging driver: compression cannot be enabled when max file count is 1' });
});

test('a replaced log becomes .1, older ones move up, the oldest beyond max-file goes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-rotation-'));
  try {
    const log = join(dir, 'container.log');
    await writeFile(log, 'run 1\n');
    await prepareRotatedLog(log, { maxSize: 100, maxFile: 3 }); // the earlier run's lines become .1
    const replace = async (text: string) => {
      await writeFile(`${log}.tmp`, '');
      await rename(`${log}.tmp`, log); // as conmon does at --log-size-max
      await appendFile(log, text);
      await rotateIfReplaced(log, 3);
    };
    await appendFile(log, 'a\n');
    assert.equal(await rotateIfReplaced(log, 3), 2, 'not replaced: nothing moves');
    await replace('b\n');
    await replace('c\n');
    const names = (await readdir(dir)).sort();
    assert.deepEqual(names, ['container.log', 'container.log.1', 'container.log.2', 'container.log.held']);
    assert.deepEqual(await Promise.all(['.2', '.1', ''].map((s) => readFile(log + s, 'utf8'))), ['a\n', 'b\n', 'c\n']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
