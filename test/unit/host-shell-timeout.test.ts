// The networking shell never waits forever: a script that overruns its bound is ended with what it
// started, answered as a failure that says so, and the next script runs in a new shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostShell } from '../../src/engine/network/host-shell.js';

test('a script past the bound is ended, with the commands it started, and the shell serves the next one', async () => {
  const shell = new HostShell(300);
  try {
    const started = Date.now();
    const stuck = await shell.run('echo before; sleep 30 & echo $! > /dev/null; sleep 30');
    assert.equal(stuck.code, -1);
    assert.match(stuck.output, /^before\n/);
    assert.match(stuck.output, /did not finish within 0\.3 s: echo before; sleep 30/);
    assert.ok(Date.now() - started < 5000, 'the bound was not kept');
    const next = await shell.run('echo again');
    assert.deepEqual(next, { code: 0, output: 'again\n' });
  } finally {
    shell.close();
  }
});
