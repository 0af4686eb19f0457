/**
 * The container API surface that Docker tooling calls, through the real docker CLI (and Debian's
 * python3 where a client library's call is the point): log drivers by Docker's names, logs --details,
 * wait conditions, inspect --size, prune filters, exec framing and detach keys, rm --link, the
 * running-container wording, and RestartCount across a daemon restart.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

const PYTHON = '/usr/bin/python3';
let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await daemon.docker(args, { env });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('log drivers go by Docker\'s names: json-file by default, local and journald read back, none refuses reading, others refused', async () => {
  await ok(['run', '--name', 'ld-default', 'busybox', 'echo', 'default']);
  assert.equal(await ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'ld-default']), '{"Type":"json-file","Config":{}}\n');
  assert.equal(await ok(['info', '-f', '{{.LoggingDriver}} {{.Plugins.Log}}']), 'json-file [journald json-file local]\n');
  for (const driver of ['json-file', 'local', 'journald']) {
    await ok(['run', '--name', `ld-${driver}`, '--log-driver', driver, 'busybox', 'echo', driver]);
    assert.equal(await ok(['logs', `ld-${driver}`]), `${driver}\n`);
  }
  // none: the attached run still prints, the logs are refused with dockerd's 501
  assert.equal(await ok(['run', '--name', 'ld-none', '--log-driver', 'none', 'busybox', 'echo', 'hi']), 'hi\n');
  const refused = await daemon.docker(['logs', 'ld-none']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'Error response from daemon: configured logging driver does not support reading\n');
  assert.equal((await daemon.api('GET', '/containers/ld-none/logs?stdout=1')).status, 501);
  const cases: [string[], string][] = [
    [['--log-driver', 'syslog'], 'error looking up logging plugin syslog: plugin "syslog" not found'],
    [['--log-driver', 'k8s-file'], 'error looking up logging plugin k8s-file: plugin "k8s-file" not found'],
    [['--log-opt', 'foo=bar'], "unknown log opt 'foo' for json-file log driver"],
    [['--log-opt', 'tag={{.Name}}'], "log opt 'tag' of the json-file log driver is not supported by berthd yet"],
    [['--log-driver', 'local', '--log-opt', 'compress=true'], "log opt 'compress' of the local log driver is not supported by berthd yet (rotated logs are kept uncompressed)"],
  ];
  for (const [flags, message] of cases) {
    const r = await daemon.docker(['create', ...flags, 'busybox', 'true']);
    assert.equal(r.code, 1, flags.join(' '));
    assert.equal(r.stderr, `Error response from daemon: ${message}\n`);
  }
  await ok(['rm', 'ld-default', 'ld-json-file', 'ld-local', 'ld-journald', 'ld-none']);
});

test('logs --details puts the labels and env the log options name before each line', async () => {
  await ok(['run', '--name', 'details', '-l', 'a=b', '-e', 'E=1', '--log-opt', 'labels=a,zz', '--log-opt', 'env=E,HOME',
    'busybox', 'sh', '-c', 'echo one; echo two >&2']);
  const r = await daemon.docker(['logs', '--details', 'details']);
  assert.equal(r.stdout, 'E=1,a=b one\n');
  assert.equal(r.stderr, 'E=1,a=b two\n');
  await ok(['run', '--name', 'plain', 'busybox', 'echo', 'one']);
  assert.equal(await ok(['logs', '--details', 'plain']), ' one\n');
  assert.match(await ok(['logs', '--details', '-t', 'plain']), /^\d{4}-\d\d-\d\dT[\d:.]+Z  one\n$/);
  await ok(['rm', 'details', 'plain']);
});

test('wait: not-running returns at the exit of a --restart always container; next-exit and removed as dockerd', async () => {
  await ok(['run', '-d', '--name', 'again', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 3']);
  const started = Date.now();
  const waited = await daemon.docker(['wait', 'again']);
  assert.equal(waited.stdout, '3\n', waited.stderr);
  assert.ok(Date.now() - started < 8000, 'returned at the first exit');
  // the docker CLI has no --condition: clients (compose, SDKs) send it in the query
  const next = await daemon.api('POST', '/containers/again/wait?condition=next-exit');
  assert.deepEqual([next.status, JSON.parse(next.body)], [200, { StatusCode: 3, Error: null }]);
  await ok(['create', '--name', 'idle', 'busybox', 'true']);
  const notRunning = await daemon.api('POST', '/containers/idle/wait?condition=not-running');
  assert.deepEqual(JSON.parse(notRunning.body), { StatusCode: 0, Error: null });
  const removal = daemon.api('POST', '/containers/idle/wait?condition=removed');
  await sleep(500);
  await ok(['rm', 'idle']);
  assert.deepEqual(JSON.parse((await removal).body), { StatusCode: 0, Error: null });
  const bad = await daemon.api('POST', '/containers/again/wait?condition=whenever');
  assert.equal(bad.status, 400);
  await ok(['rm', '-f', 'again']);
});

test('inspect --size shows the writable layer and the whole root filesystem', async () => {
  await ok(['run', '--name', 'sized', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /big']);
  const [rw, rootFs] = (await ok(['inspect', '--size', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'sized'])).trim().split(' ').map(Number);
  assert.equal(rw, 5000);
  assert.ok(rootFs! > 1_000_000 + 5000, `SizeRootFs ${rootFs}`);
  assert.equal(await ok(['inspect', '-f', '{{.SizeRw}}', 'sized']), '<nil>\n');
  await ok(['rm', 'sized']);
});

test('container prune honours --filter label and until', async () => {
  await ok(['run', '--name', 'keep', '-l', 'tier=keep', 'busybox', 'true']);
  await ok(['run', '--name', 'drop', '-l', 'tier=drop', 'busybox', 'true']);
  assert.equal(await ok(['container', 'prune', '-f', '--filter', 'until=2000-01-01T00:00:00Z']), 'Total reclaimed space: 0B\n');
  const pruned = await ok(['container', 'prune', '-f', '--filter', 'label=tier=drop']);
  assert.match(pruned, /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
  assert.equal(await ok(['ps', '-a', '--filter', 'label=tier', '--format', '{{.Names}}']), 'keep\n');
  await ok(['container', 'prune', '-f', '--filter', 'label!=tier=keep']);
  assert.equal(await ok(['ps', '-a', '--filter', 'label=tier', '--format', '{{.Names}}']), 'keep\n');
  await ok(['rm', 'keep']);
});

test('exec: the start request\'s Tty decides the framing, as dockerd\'s', async () => {
  await ok(['run', '-d', '--name', 'framing', 'busybox', 'sleep', '300']);
  // docker-py reads a tty=True start raw and a tty=False start as frames: a wrong framing garbles both.
  const script = `
import docker, json
api = docker.from_env().api
raw = api.exec_start(api.exec_create('framing', ['echo', 'out'], tty=False), tty=True)
framed = api.exec_start(api.exec_create('framing', ['echo', 'out'], tty=True), tty=False)
print(json.dumps([raw.decode(), framed.decode()]))`;
  const r = await run(PYTHON, ['-c', script], { env: { DOCKER_HOST: daemon.host } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['out\n', 'out\r\n']);
  await ok(['rm', '-f', 'framing']);
});

test('exec -it honours the detach keys of the client\'s config file', async () => {
  await ok(['run', '-d', '--name', 'detachable', 'busybox', 'sleep', '300']);
  const dir = await mkdtemp(join(tmpdir(), 'berth-detach-'));
  try {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-x,y' }));
    // a terminal for docker exec -it: python's pty, typing a command then ctrl-x y
    const script = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], [sys.argv[1], '-H', sys.argv[2], 'exec', '-it', 'detachable', 'sh'])
time.sleep(1.5)
os.write(fd, b'echo in-shell\\r')
time.sleep(0.5)
os.write(fd, b'\\x18y')
out = b''
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status), out.decode(errors='replace'))`;
    const r = await run(PYTHON, ['-c', script, '/usr/local/bin/docker', daemon.host], { env: { DOCKER_CONFIG: dir }, timeoutMs: 20_000 });
    assert.match(r.stdout, /^1 [\s\S]*in-shell[\s\S]*read escape sequence/);
    // the shell was only left, not ended: the container runs on
    assert.equal(await ok(['inspect', '-f', '{{.State.Running}}', 'detachable']), 'true\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await ok(['rm', '-f', 'detachable']);
  }
});

test('rm --link removes a legacy link; rm of a running container is refused with dockerd\'s wording', async () => {
  await ok(['run', '-d', '--name', 'db', 'busybox', 'sleep', '300']);
  await ok(['run', '-d', '--name', 'web', '--link', 'db:database', 'busybox', 'sleep', '300']);
  assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Links}}', 'web']), '[/db:/web/database]\n');
  assert.equal(await ok(['rm', '--link', '/web/database']), '/web/database\n');
  assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Links}} {{.State.Running}}', 'web']), '[] true\n');
  await ok(['restart', '-t', '0', 'web']);
  assert.equal((await daemon.docker(['exec', 'web', 'grep', '-c', 'database', '/etc/hosts'])).stdout, '0\n');
  const missing = await daemon.docker(['rm', '--link', '/web/nothing']);
  assert.equal(missing.stderr, 'Error response from daemon: No such container: web/nothing\n');
  const bare = await daemon.docker(['rm', '--link', 'web']);
  assert.equal(bare.stderr, 'Error response from daemon: Conflict, cannot remove the default link name of the container\n');
  const running = await daemon.docker(['rm', 'db']);
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'db'])).trim();
  assert.equal(running.stderr, `Error response from daemon: You cannot remove a running container ${id}. Stop the container before attempting removal or force remove\n`);
  await ok(['rm', '-f', 'web', 'db']);
});

test('a restart made by the daemon\'s own start-up keeps RestartCount as it was', async () => {
  await ok(['run', '-d', '--name', 'boot', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 3; exit 1']);
  assert.equal(await ok(['inspect', '-f', '{{.RestartCount}}', 'boot']), '0\n');
  await daemon.kill9();
  await sleep(4000); // the container exits while nobody watches
  await daemon.launch();
  assert.equal(await ok(['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', 'boot']), 'true 0\n');
  // a restart the daemon's monitor makes counts, as before
  const deadline = Date.now() + 15_000;
  while ((await ok(['inspect', '-f', '{{.RestartCount}}', 'boot'])).trim() === '0' && Date.now() < deadline) await sleep(200);
  assert.equal(await ok(['inspect', '-f', '{{.RestartCount}}', 'boot']), '1\n');
  await ok(['rm', '-f', 'boot']);
});
