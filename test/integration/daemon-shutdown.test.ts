import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, DOCKER, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon | undefined;
after(async () => { await daemon?.stop(); });

test('berthd stops on SIGTERM while clients follow logs and stay attached, and the container lives on', async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  const run = await daemon.docker(['run', '-d', '--name', 'talker', '--network', 'none', 'busybox', 'sh', '-c', 'while true; do echo tick; sleep 1; done']);
  assert.equal(run.code, 0, run.stderr);
  // Two long-lived streams: a log follower and an attached client.
  const followers = [['logs', '-f', 'talker'], ['attach', '--no-stdin', 'talker']]
    .map((args) => spawn(DOCKER, ['-H', daemon!.host, ...args], { stdio: 'ignore' }));
  await sleep(1500);

  const exited = new Promise<string>((resolve) => daemon!.proc!.once('exit', () => resolve('exited')));
  daemon.proc!.kill('SIGTERM');
  const outcome = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
  for (const f of followers) f.kill('SIGKILL');
  assert.equal(outcome, 'exited', 'berthd should end its streams and exit on SIGTERM');

  // Live restore: the container kept running while the daemon was down.
  await daemon.launch();
  const state = await daemon.docker(['inspect', '-f', '{{.State.Status}}', 'talker']);
  assert.equal(state.stdout.trim(), 'running');
});
