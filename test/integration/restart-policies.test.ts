import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

async function inspect(name: string, format: string): Promise<string> {
  return (await daemon.ok(['inspect', '-f', format, name])).trim();
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('on-failure:2 restarts a failing container twice, keeping its ID, then leaves it exited', async () => {
  const id = (await daemon.ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo attempt; exit 3'])).trim();
  await until(async () => (await inspect('flaky', '{{.State.Status}} {{.RestartCount}}')) === 'exited 2', 'two restarts, then exited');
  // No third restart comes later.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await inspect('flaky', '{{.Id}} {{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}'), `${id} exited 2 3`);
  assert.equal(await daemon.ok(['logs', 'flaky']), 'attempt\nattempt\nattempt\n');
  // A clean exit is not a failure: on-failure leaves it alone.
  await daemon.ok(['run', '-d', '--name', 'clean', '--restart', 'on-failure', 'busybox', 'true']);
  await until(async () => (await inspect('clean', '{{.State.Status}}')) === 'exited', 'exit');
  assert.equal(await inspect('clean', '{{.RestartCount}}'), '0');
  await daemon.ok(['rm', 'flaky', 'clean']);
});

test('always restarts with a growing back-off; docker stop ends the loop', async () => {
  await daemon.ok(['run', '-d', '--name', 'looper', '--restart', 'always', 'busybox', 'sh', '-c', 'echo run; exit 0']);
  await until(async () => Number(await inspect('looper', '{{.RestartCount}}')) >= 3, 'three restarts');
  const ps = await daemon.ok(['ps', '--filter', 'name=looper', '--format', '{{.Status}}']);
  assert.match(ps, /^(Restarting \(0\) (Less than a second|\d+ seconds?) ago|Up (Less than a second|\d+ seconds?))\n$/);
  await daemon.ok(['stop', 'looper']);
  const stoppedAt = await inspect('looper', '{{.RestartCount}}');
  assert.equal(await inspect('looper', '{{.State.Status}}'), 'exited');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await inspect('looper', '{{.State.Status}} {{.RestartCount}}'), `exited ${stoppedAt}`);
  // docker start begins a new sequence: the count starts again from zero.
  await daemon.ok(['start', 'looper']);
  await until(async () => Number(await inspect('looper', '{{.RestartCount}}')) >= 1, 'a restart after start');
  await daemon.ok(['rm', '-f', 'looper']);
});

test('a long-running always container is restarted after it is killed from inside', async () => {
  await daemon.ok(['run', '-d', '--name', 'service', '--restart', 'always', 'busybox', 'sh', '-c', 'echo up; sleep 1000']);
  const firstPid = Number(await inspect('service', '{{.State.Pid}}'));
  process.kill(firstPid, 'SIGKILL');
  await until(async () => {
    const [status, pid] = (await inspect('service', '{{.State.Status}} {{.State.Pid}}')).split(' ');
    return status === 'running' && Number(pid) !== firstPid && Number(pid) > 0;
  }, 'the restarted process');
  assert.equal(await inspect('service', '{{.RestartCount}} {{.State.ExitCode}}'), '1 0');
  await daemon.ok(['rm', '-f', 'service']);
});

test('across a daemon restart: always comes back, a stopped unless-stopped stays stopped', async () => {
  await daemon.ok(['run', '-d', '--name', 'keeper', '--restart', 'always', 'busybox', 'sleep', '1000']);
  await daemon.ok(['run', '-d', '--name', 'resting', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
  await daemon.ok(['run', '-d', '--name', 'persistent', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
  await daemon.ok(['stop', '-t', '0', 'keeper', 'resting']);
  await daemon.stopDaemon();
  await daemon.launch();
  await until(async () => (await inspect('keeper', '{{.State.Status}}')) === 'running', 'keeper running again');
  assert.equal(await inspect('resting', '{{.State.Status}}'), 'exited');
  assert.equal(await inspect('persistent', '{{.State.Status}}'), 'running');
  const names = (await daemon.ok(['ps', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(names, ['keeper', 'persistent']);
  await daemon.ok(['rm', '-f', 'keeper', 'resting', 'persistent']);
});
