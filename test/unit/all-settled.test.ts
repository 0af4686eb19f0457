import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allOrFirstError } from '../../src/lib/all-settled.js';

const after = <T>(ms: number, value: T, fail = false): Promise<T> =>
  new Promise((resolve, reject) => setTimeout(() => (fail ? reject(value) : resolve(value)), ms));

test('gives every value in order once all have settled', async () => {
  assert.deepEqual(await allOrFirstError([after(20, 'a'), after(5, 2), Promise.resolve(undefined)]), ['a', 2, undefined]);
});

test('throws the first failure in the order given, only after the others have settled', async () => {
  let slowDone = false;
  const slow = after(40, 'slow').then((v) => { slowDone = true; return v; });
  await assert.rejects(allOrFirstError([slow, after(30, new Error('second'), true), after(5, new Error('first'), true)]), /second/);
  assert.equal(slowDone, true, 'a preparation still running when the caller starts to undo');
});
