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

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('docker run prints the output and returns the exit code', async () => {
  const hello = await daemon.docker(['run', '--name', 'hello', 'busybox', 'echo', 'hello']);
  assert.equal(hello.code, 0, hello.stderr);
  assert.equal(hello.stdout, 'hello\n');
  const failing = await daemon.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(failing.code, 3);
  assert.equal(failing.stdout, 'out\n');
  assert.equal(failing.stderr, 'err\n');
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Name}}', 'hello']), 'exited 0 /hello\n');
  await daemon.ok(['rm', 'hello']);
});

test('run -d, logs, ps, stop, rm: what a user sees', async () => {
  const id = (await daemon.ok(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo started; echo warn >&2; while true; do sleep 1; done'])).trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  await until(async () => (await daemon.docker(['logs', 'web'])).stdout === 'started\n', 'the first log line');
  const logs = await daemon.docker(['logs', 'web']);
  assert.equal(logs.stdout, 'started\n');
  assert.equal(logs.stderr, 'warn\n');

  const ps = await daemon.ok(['ps', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Status}} {{.Command}}']);
  assert.match(ps, new RegExp(`^${id.slice(0, 12)} web busybox Up (Less than a second|\\d+ seconds?) "sh -c 'echo started…"\\n$`));
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.Running}} {{.Config.Hostname}} {{.RestartCount}}', 'web']), `true ${id.slice(0, 12)} 0\n`);

  await daemon.ok(['stop', '-t', '1', 'web']);
  const status = await daemon.ok(['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}']);
  assert.match(status, /^Exited \(137\) (Less than a second|\d+ seconds?) ago\n$/);
  // A second stop changes nothing and is no error.
  await daemon.ok(['stop', 'web']);
  assert.equal(await daemon.ok(['ps', '-q']), '');
  await daemon.ok(['rm', id.slice(0, 10)]);
  const gone = await daemon.docker(['inspect', 'web']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such (container|object): web/);
});

test('a created container shows as Created; start prints nothing and runs it', async () => {
  await daemon.ok(['create', '--name', 'later', 'busybox', 'sh', '-c', 'echo late']);
  assert.equal(await daemon.ok(['ps', '-a', '--filter', 'name=later', '--format', '{{.Status}}']), 'Created\n');
  await daemon.ok(['start', 'later']);
  await until(async () => (await daemon.ok(['inspect', '-f', '{{.State.Status}}', 'later'])) === 'exited\n', 'exit');
  assert.equal(await daemon.ok(['logs', 'later']), 'late\n');
  await daemon.ok(['rm', 'later']);
});

test('a taken name is refused with Docker\'s message; rename frees it', async () => {
  const first = (await daemon.ok(['create', '--name', 'dup', 'busybox', 'true'])).trim();
  const again = await daemon.docker(['create', '--name', 'dup', 'busybox', 'true']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`Conflict. The container name "/dup" is already in use by container "${first}". You have to remove \\(or rename\\) that container to be able to reuse that name.`));
  assert.equal((await daemon.docker(['run', '--name', 'dup', 'busybox', 'true'])).code, 125);
  await daemon.ok(['rename', 'dup', 'dup2']);
  const second = (await daemon.ok(['create', '--name', 'dup', 'busybox', 'true'])).trim();
  assert.notEqual(second, first);
  await daemon.ok(['rm', 'dup', 'dup2']);
});

test('a running container is not removed without -f; with -f it is', async () => {
  await daemon.ok(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '1000']);
  const refused = await daemon.docker(['rm', 'busy']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/);
  await daemon.ok(['rm', '-f', 'busy']);
  assert.equal(await daemon.ok(['ps', '-aq', '--filter', 'name=busy']), '');
});

test('kill sends a signal; killing a stopped container is a 409', async () => {
  await daemon.ok(['run', '-d', '--name', 'trap', 'busybox', 'sh', '-c', 'trap "echo got USR1; exit 7" USR1; while true; do sleep 0.1; done']);
  await new Promise((r) => setTimeout(r, 300));
  await daemon.ok(['kill', '-s', 'USR1', 'trap']);
  assert.equal(await daemon.ok(['wait', 'trap']), '7\n');
  assert.equal(await daemon.ok(['logs', 'trap']), 'got USR1\n');
  const again = await daemon.docker(['kill', 'trap']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /Container [a-f0-9]{64} is not running/);
  await daemon.ok(['rm', 'trap']);
});

test('config is honoured: entrypoint, env, workdir, user, hostname, labels', async () => {
  const out = await daemon.ok(['run', '--rm', '-e', 'FOO=bar', '-w', '/made/here', '-u', 'nobody', '--hostname', 'box',
    '--label', 'a=b', '--entrypoint', 'sh', 'busybox', '-c', 'echo $FOO $(pwd) $(id -u):$(id -g) $(hostname) $HOSTNAME; echo $PATH']);
  assert.equal(out, 'bar /made/here 65534:65534 box box\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
  const numeric = await daemon.ok(['run', '--rm', '-u', '1234:55', 'busybox', 'id']);
  assert.match(numeric, /^uid=1234 gid=55/);
  const badUser = await daemon.docker(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
  assert.notEqual(badUser.code, 0);
  assert.match(badUser.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
});

test('changes in a container never reach the image', async () => {
  await daemon.ok(['run', '--name', 'writer', 'busybox', 'sh', '-c', 'echo changed > /bin/busybox-note; rm /bin/ls']);
  assert.equal(await daemon.ok(['run', '--rm', 'busybox', 'sh', '-c', 'ls /bin/ls; test -e /bin/busybox-note || echo clean']), '/bin/ls\nclean\n');
  await daemon.ok(['rm', 'writer']);
});

test('the berth CLI runs the same session', async () => {
  const berth = async (args: string[]) => {
    const r = await daemon.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const hello = await daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo hello; exit 5']);
  assert.deepEqual([hello.code, hello.stdout], [5, 'hello\n']);
  await berth(['run', '-d', '--name', 'bsession', 'busybox', 'sh', '-c', 'echo ready; sleep 100']);
  await until(async () => (await berth(['logs', 'bsession'])) === 'ready\n', 'the log line');
  assert.match(await berth(['ps', '--format', '{{.Names}} {{.Status}}']), /^bsession Up /);
  await berth(['stop', '-t', '1', 'bsession']);
  assert.equal(await berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'bsession']), 'exited 137\n');
  await berth(['rm', 'bsession']);
  assert.equal(await berth(['ps', '-aq']), '');
});

test('stop uses the container\'s stop signal, then SIGKILL after its stop timeout', async () => {
  await daemon.ok(['run', '-d', '--name', 'polite', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "echo bye; exit 0" USR1; while true; do sleep 0.1; done']);
  await new Promise((r) => setTimeout(r, 300));
  await daemon.ok(['stop', 'polite']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.ExitCode}} {{.Config.StopSignal}}', 'polite']), '0 USR1\n');
  assert.equal(await daemon.ok(['logs', 'polite']), 'bye\n');
  // sleep as PID 1 ignores SIGTERM: the stop timeout (1 s) ends in SIGKILL.
  await daemon.ok(['run', '-d', '--name', 'stubborn', '--stop-timeout', '1', 'busybox', 'sleep', '100']);
  await daemon.ok(['stop', 'stubborn']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.State.ExitCode}} {{.Config.StopTimeout}}', 'stubborn']), '137 1\n');
  await daemon.ok(['rm', 'polite', 'stubborn']);
});
