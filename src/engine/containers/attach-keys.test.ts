import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachScanner, parseDetachKeys } from './attach-keys.js';

test('detach keys parse as a terminal sends them', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [0x10, 0x11]);
  assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[,ctrl-_')], [0x61, 0x00, 0x1b, 0x1f]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys \(ctrl-1\) provided/);
  assert.throws(() => parseDetachKeys('ab'), /Invalid detach keys/);
});

test('the scanner passes input through and stops at the sequence, even split across reads', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(s.push(Buffer.from('ls\n')), { pass: Buffer.from('ls\n'), detach: false });
  assert.deepEqual(s.push(Buffer.from('x\x10')), { pass: Buffer.from('x'), detach: false });
  assert.deepEqual(s.push(Buffer.from('\x11rest')), { pass: Buffer.alloc(0), detach: true });
});

test('a broken sequence gives back the held bytes in order', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(s.push(Buffer.from('\x10')).pass, Buffer.alloc(0));
  assert.deepEqual(s.push(Buffer.from('a\x10')).pass, Buffer.from('\x10a'));
  assert.deepEqual(s.push(Buffer.from('\x10\x11')), { pass: Buffer.from('\x10'), detach: true });
});
