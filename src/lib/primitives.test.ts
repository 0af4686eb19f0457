import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialQueue } from './serial-queue.js';
import { bestEffort } from './best-effort.js';
import * as idPrefix from './id-prefix.js';

test('a serial queue runs jobs one at a time in order, and a failed job does not stop the next', async () => {
  const q = new SerialQueue();
  const order: string[] = [];
  const slow = q.run(async () => { await new Promise((r) => setTimeout(r, 20)); order.push('slow'); return 1; });
  const failing = q.run(async () => { order.push('failing'); throw new Error('boom'); });
  const fast = q.run(() => { order.push('fast'); return 3; });
  assert.equal(await slow, 1);
  await assert.rejects(failing, /boom/);
  assert.equal(await fast, 3);
  assert.deepEqual(order, ['slow', 'failing', 'fast']);
  await q.idle();
});

test('bestEffort reports a failure to the log and resolves undefined; a success passes its value', async () => {
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m) };
  assert.equal(await bestEffort(log, 'removing x', Promise.reject(new Error('EBUSY'))), undefined);
  assert.equal(await bestEffort(log, 'reading y', async () => 7), 7);
  assert.equal(await bestEffort(log, 'sync z', () => { throw new Error('bad'); }), undefined);
  assert.deepEqual(warnings, ['removing x: EBUSY', 'sync z: bad']);
});

test('an ID prefix finds the one object whose ID starts with it, nothing when none does, and names an ambiguity', () => {
  const { findByIdPrefix } = idPrefix;
  const entries: [string, string][] = [['abc123', 'one'], ['abd456', 'two']];
  assert.equal(findByIdPrefix(entries, 'abc', () => new Error('x')), 'one');
  assert.equal(findByIdPrefix(entries, 'zz', () => new Error('x')), undefined);
  assert.equal(findByIdPrefix(entries, '', () => new Error('x')), undefined);
  assert.throws(() => findByIdPrefix(entries, 'ab', (n) => new Error(`${n} matches`)), /2 matches/);
});
