import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedJob } from './coalesced-job.js';

test('calls made while a run is going share one more run, which sees every change made before them', async () => {
  let state = 0;
  const applied: number[] = [];
  let release!: () => void;
  let first = true;
  const job = new CoalescedJob(async () => {
    const seen = state;
    if (first) {
      first = false;
      await new Promise<void>((r) => (release = r));
    }
    applied.push(seen);
  });
  state = 1;
  const a = job.run();
  await new Promise((r) => setImmediate(r)); // the first run has started and waits
  state = 2;
  const b = job.run();
  state = 3;
  const c = job.run();
  release();
  await Promise.all([a, b, c]);
  assert.deepEqual(applied, [1, 3]);
});

test('a failed run fails its callers only; the next call runs again', async () => {
  let fail = true;
  let runs = 0;
  const job = new CoalescedJob(async () => {
    runs++;
    if (fail) throw new Error('iptables-restore: broken');
  });
  await assert.rejects(job.run(), /broken/);
  fail = false;
  await job.run();
  assert.equal(runs, 2);
});
