import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostShellPool } from './host-shell-pool.js';

/** A script that makes `mine` and then waits (up to about 5 s) for `theirs`: two of them finish only side by side. */
const meet = (mine: string, theirs: string) =>
  `touch ${mine}; i=0; while [ ! -e ${theirs} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; test -e ${theirs} && echo met`;

test('scripts run side by side in several shells, never more shells than the pool allows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-shell-pool-'));
  const pool = new HostShellPool(2);
  try {
    const [a, b] = await Promise.all([
      pool.run(meet(join(dir, 'a'), join(dir, 'b'))),
      pool.run(meet(join(dir, 'b'), join(dir, 'a'))),
    ]);
    assert.deepEqual([a, b], [{ code: 0, output: 'met\n' }, { code: 0, output: 'met\n' }]);
    const outputs = await Promise.all(['one', 'two', 'three', 'four'].map((w) => pool.run(`echo ${w}`)));
    assert.deepEqual(outputs.map((r) => r.output), ['one\n', 'two\n', 'three\n', 'four\n']);
    assert.equal(pool.size, 2);
  } finally {
    pool.close();
    await rm(dir, { recursive: true, force: true });
  }
});
