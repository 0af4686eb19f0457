import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from './detach-keys.js';
import { InvalidArgumentError } from './errors.js';

test('detach keys parse as a terminal sends them (moby/term ToBytes)', () => {
  assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [0x10, 0x11]);
  assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[,ctrl-_')], [0x61, 0x00, 0x1b, 0x1f]);
  assert.deepEqual([...parseDetachKeys('ctrl-\\,ctrl-],ctrl-^,ctrl-z')], [0x1c, 0x1d, 0x1e, 0x1a]);
});

test('keys Docker refuses get the daemon\'s message', () => {
  for (const keys of ['ctrl-1', 'ab', 'foo', '', 'ctrl-p,', 'ctrl-p, ctrl-q', ' ctrl-p', 'ctrl-P', 'é', ',', 'ctrl-p,,']) {
    assert.throws(() => parseDetachKeys(keys), (err: unknown) =>
      err instanceof InvalidArgumentError && err.message === `Invalid detach keys (${keys}) provided`, keys);
  }
});

test('the scanner passes input through and stops at the sequence, even split across reads', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(s.push(Buffer.from('ls\n')), { pass: Buffer.from('ls\n'), detach: false });
  assert.deepEqual(s.push(Buffer.from('x\x10')), { pass: Buffer.from('x'), detach: false });
  assert.deepEqual(s.push(Buffer.from('\x11rest')), { pass: Buffer.alloc(0), detach: true });
});

test('a broken sequence gives back the held bytes in order', () => {
  const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(s.push(Buffer.from('ab\x10')), { pass: Buffer.from('ab'), detach: false });
  assert.deepEqual(s.push(Buffer.from('x')), { pass: Buffer.from('\x10x'), detach: false });
  assert.deepEqual(s.push(Buffer.from('\x10')).pass, Buffer.alloc(0));
  assert.deepEqual(s.push(Buffer.from('a\x10')).pass, Buffer.from('\x10a'));
  assert.deepEqual(s.push(Buffer.from('\x10\x11')), { pass: Buffer.from('\x10'), detach: true });
});

test('no keys: everything passes', () => {
  assert.deepEqual(new DetachScanner(Buffer.alloc(0)).push(Buffer.from('\x10\x11')), { pass: Buffer.from('\x10\x11'), detach: false });
});
