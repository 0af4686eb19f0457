import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedSerialQueue } from '../../src/lib/keyed-serial-queue.js';

test('jobs of one key run one at a time in order; other keys run alongside; a failure fails only its caller', async () => {
  const q = new KeyedSerialQueue();
  const log: string[] = [];
  const job = (name: string, ms: number, fail = false) => async () => {
    log.push(`start ${name}`);
    await sleep(ms);
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  };
  const a1 = q.run('a', job('a1', 20, true));
  const a2 = q.run('a', job('a2', 1));
  const b1 = q.run('b', job('b1', 1));
  assert.equal(q.size, 2);
  await assert.rejects(a1, /a1/);
  assert.equal(await a2, 'a2');
  assert.equal(await b1, 'b1');
  assert.ok(log.indexOf('end a1') < log.indexOf('start a2'), log.join(', '));
  assert.ok(log.indexOf('end b1') < log.indexOf('end a1'), 'b did not wait for a');
  assert.equal(q.size, 0, 'settled keys are dropped');
});
