import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// docker pause / unpause with the real docker CLI and berth against a real berthd: runc's freezer
// stops a counter loop, unpause lets it go on; stop, kill, rm -f and restart of a paused container
// behave as with dockerd; a daemon restart keeps it paused.

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

/** The docker CLI fails (the daemon's refusal: exit 1) with `message` on stderr. */
const refused = (args: string[], message: string | RegExp): Promise<void> => daemon.refused(args, message, 1);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done';

/** The numbers the counter has written so far, checked to be 1, 2, 3... without a gap. */
async function counted(name: string): Promise<number> {
  const numbers = (await daemon.ok(['logs', name])).split('\n').filter(Boolean).map(Number);
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'every number, in order');
  return numbers.length;
}

test('pause freezes a counter loop and unpause resumes it; ps, inspect and info show the Paused state', async () => {
  const id = (await daemon.ok(['run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', COUNTER])).trim();
  await sleep(500);
  assert.equal(await daemon.ok(['pause', 'counter']), 'counter\n');
  await sleep(200); // output already in the pipe reaches the log
  const frozenAt = await counted('counter');
  assert.ok(frozenAt >= 2, `the counter ran before the pause (${frozenAt})`);
  await sleep(1000);
  assert.equal(await counted('counter'), frozenAt, 'no number is written while paused');

  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Paused}}', 'counter']), 'paused true true\n');
  assert.match(await daemon.ok(['ps', '--filter', 'name=counter', '--format', '{{.Status}}|{{.State}}']), /^Up \d+ seconds? \(Paused\)\|paused\n$/);
  assert.equal(await daemon.ok(['ps', '-a', '--filter', 'status=paused', '--format', '{{.Names}}']), 'counter\n');
  assert.equal(await daemon.ok(['ps', '-a', '--filter', 'status=running', '--format', '{{.Names}}']), '');
  assert.equal(await daemon.ok(['info', '--format', '{{.ContainersPaused}} {{.ContainersRunning}}']), '1 0\n');

  // What a paused container refuses, in dockerd's words.
  await refused(['pause', 'counter'], new RegExp(`Error response from daemon: Container ${id} is already paused`));
  await refused(['exec', 'counter', 'true'], /Error response from daemon: Container counter is paused, unpause the container before exec/);
  await refused(['start', 'counter'], /cannot start a paused container, try unpause instead/);
  await refused(['rm', 'counter'], /Error response from daemon: You cannot remove a paused container [0-9a-f]{64}\. Unpause and then stop the container before attempting removal or force remove/);
  const attach = await daemon.api('POST', '/containers/counter/attach?stream=1&stdout=1');
  assert.equal(attach.status, 409);
  assert.match(attach.body, /container counter is paused, unpause the container before attach/);

  assert.equal(await daemon.ok(['unpause', 'counter']), 'counter\n');
  await sleep(700);
  assert.ok(await counted('counter') > frozenAt + 2, 'the counter goes on after unpause');
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'counter']), 'running false\n');
  assert.equal(await daemon.ok(['info', '--format', '{{.ContainersPaused}} {{.ContainersRunning}}']), '0 1\n');
  await refused(['unpause', 'counter'], new RegExp(`Error response from daemon: Container ${id} is not paused`));
  const status = await daemon.api('POST', '/containers/counter/unpause');
  assert.equal(status.status, 500, 'dockerd answers 500 for unpausing a running container');
  await daemon.ok(['rm', '-f', 'counter']);
});

test('a stopped or unknown container cannot be paused or unpaused', async () => {
  const id = (await daemon.ok(['create', '--name', 'idle', 'busybox', 'true'])).trim();
  const pause = await daemon.api('POST', '/containers/idle/pause');
  assert.deepEqual([pause.status, JSON.parse(pause.body)], [409, { message: `Container ${id} is not running` }]);
  const unpause = await daemon.api('POST', '/containers/idle/unpause');
  assert.deepEqual([unpause.status, JSON.parse(unpause.body)], [500, { message: `Container ${id} is not paused` }]);
  const missing = await daemon.api('POST', '/containers/nothing/pause');
  assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { message: 'No such container: nothing' }]);
  await daemon.ok(['rm', 'idle']);
});

test('docker stop of a paused container thaws it: it hears its stop signal and ends Exited', async () => {
  await daemon.ok(['run', '-d', '--name', 'trapper', 'busybox', 'sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done']);
  await daemon.ok(['pause', 'trapper']);
  const started = Date.now();
  assert.equal(await daemon.ok(['stop', '-t', '10', 'trapper']), 'trapper\n');
  assert.ok(Date.now() - started < 5000, 'the stop signal was heard, no SIGKILL was needed');
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}', 'trapper']), 'exited false 7\n');
  assert.match(await daemon.ok(['ps', '-a', '--filter', 'name=trapper', '--format', '{{.Status}}']), /^Exited \(7\) /);

  // A process that ignores SIGTERM (sh as PID 1) is killed once the timeout passes.
  await daemon.ok(['run', '-d', '--name', 'deaf', 'busybox', 'sh', '-c', COUNTER]);
  await daemon.ok(['pause', 'deaf']);
  await daemon.ok(['stop', '-t', '1', 'deaf']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'deaf']), 'exited 137\n');
  await daemon.ok(['rm', 'trapper', 'deaf']);
});

test('kill, restart and rm -f of a paused container; a restart policy does not bring it back', async () => {
  await daemon.ok(['run', '-d', '--name', 'killed', '--restart', 'always', 'busybox', 'sleep', '1000']);
  await daemon.ok(['pause', 'killed']);
  assert.equal(await daemon.ok(['kill', 'killed']), 'killed\n');
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'killed']), 'exited 137\n');
  await sleep(500);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'killed']), 'exited 0\n', 'a kill by hand is final');

  await daemon.ok(['run', '-d', '--name', 'restarted', 'busybox', 'sh', '-c', COUNTER]);
  await daemon.ok(['pause', 'restarted']);
  assert.equal(await daemon.ok(['restart', '-t', '1', 'restarted']), 'restarted\n');
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'restarted']), 'running false\n');

  await daemon.ok(['pause', 'restarted']);
  assert.equal(await daemon.ok(['rm', '-f', 'restarted', 'killed']), 'restarted\nkilled\n');
  assert.equal(await daemon.ok(['ps', '-aq']), '');
});

test('a daemon restart keeps a paused container paused; unpause then resumes it', async () => {
  await daemon.ok(['run', '-d', '--name', 'sleeper', '--restart', 'always', 'busybox', 'sh', '-c', COUNTER]);
  await sleep(300);
  await daemon.ok(['pause', 'sleeper']);
  await sleep(200);
  const frozenAt = await counted('sleeper');
  await daemon.stopDaemon();
  await daemon.launch();
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.RestartCount}}', 'sleeper']), 'paused true 0\n');
  await sleep(500);
  assert.equal(await counted('sleeper'), frozenAt, 'still frozen');
  // berth's own CLI prints what docker prints.
  const r = await daemon.berth(['unpause', 'sleeper', 'nothing']);
  assert.deepEqual([r.code, r.stdout], [1, 'sleeper\n']);
  assert.match(r.stderr, /No such container: nothing/);
  await sleep(500);
  assert.ok(await counted('sleeper') > frozenAt, 'the counter goes on');
  await daemon.ok(['rm', '-f', 'sleeper']);
});

test('docker commit pauses a running container for the commit only (--pause=false does not)', async () => {
  await daemon.ok(['run', '-d', '--name', 'committed', 'busybox', 'sh', '-c', 'echo hi > /made; sleep 1000']);
  await sleep(200);
  const image = (await daemon.ok(['commit', 'committed', 'pause-commit:1'])).trim();
  assert.match(image, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'committed']), 'running false\n');
  await daemon.ok(['commit', '--pause=false', 'committed', 'pause-commit:2']);
  await daemon.ok(['pause', 'committed']);
  await daemon.ok(['commit', 'committed', 'pause-commit:3']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}}', 'committed']), 'paused\n', 'one paused by hand stays paused');
  assert.equal(await daemon.ok(['run', '--rm', 'pause-commit:3', 'cat', '/made']), 'hi\n');
  await daemon.ok(['rm', '-f', 'committed']);
  await daemon.ok(['rmi', 'pause-commit:1', 'pause-commit:2', 'pause-commit:3']);
});
