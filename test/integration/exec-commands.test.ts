// docker exec with the real CLI: output and exit codes, piped stdin, -e -w -u, -d with exec inspect,
// Docker's errors for bad input; and resource limits a user checks with inspect, stats and an OOM kill.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  const r = await daemon.docker(['run', '-d', '--name', 'svc', '--network', 'none', 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => { await daemon.stop(); });

const api = (method: string, path: string, body?: unknown) => daemon.api(method, path, body);

test('docker exec: stdout and stderr apart, the exit code passed back', async () => {
  const r = await daemon.docker(['exec', 'svc', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('docker exec -i pipes stdin to the process and closes it at EOF', async () => {
  const r = await daemon.docker(['exec', '-i', 'svc', 'sh', '-c', 'wc -l; echo after'], { input: 'a\nb\nc\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.replace(/ +/g, ''), '3\nafter\n');
});

test('docker exec -e -w -u: environment, working directory and user', async () => {
  const r = await daemon.docker(['exec', '-e', 'GREETING=hello', '-w', '/tmp', '-u', 'nobody', 'svc', 'sh', '-c', 'echo $GREETING $(pwd) $(id -u):$(id -g)']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello /tmp 65534:65534\n');
  const byId = await daemon.docker(['exec', '-u', '123:456', 'svc', 'sh', '-c', 'echo $(id -u):$(id -g)']);
  assert.equal(byId.stdout, '123:456\n');
});

test('docker exec -d runs in the background; exec inspect and container inspect follow it', async () => {
  const created = await api('POST', '/containers/svc/exec', { Cmd: ['sh', '-c', 'sleep 1; exit 3'] });
  assert.equal(created.status, 201);
  const { Id } = JSON.parse(created.body) as { Id: string };
  const before = JSON.parse((await api('GET', `/exec/${Id}/json`)).body);
  assert.equal(before.Running, false);
  assert.equal(before.ExitCode, null);
  assert.equal(before.Pid, 0);
  assert.deepEqual(before.ProcessConfig, { tty: false, entrypoint: 'sh', arguments: ['-c', 'sleep 1; exit 3'], privileged: false });

  const started = await api('POST', `/exec/${Id}/start`, { Detach: true });
  assert.equal(started.status, 200);
  const running = JSON.parse((await api('GET', `/exec/${Id}/json`)).body);
  assert.equal(running.Running, true);
  assert.ok(running.Pid > 0);
  const ids = await daemon.docker(['inspect', '-f', '{{json .ExecIDs}}', 'svc']);
  assert.deepEqual(JSON.parse(ids.stdout), [Id]);

  const again = await api('POST', `/exec/${Id}/start`, { Detach: true });
  assert.equal(again.status, 409);
  assert.match(again.body, /Exec command .* has already run/);

  let done;
  do {
    await new Promise((r) => setTimeout(r, 100));
    done = JSON.parse((await api('GET', `/exec/${Id}/json`)).body);
  } while (done.Running);
  assert.equal(done.ExitCode, 3);
  assert.equal((await daemon.docker(['inspect', '-f', '{{json .ExecIDs}}', 'svc'])).stdout.trim(), 'null');
});

test('bad input: a missing binary or directory, an unknown user, an empty command, a stopped container', async () => {
  const missing = await daemon.docker(['exec', 'svc', 'nosuch']);
  assert.equal(missing.code, 126);
  assert.match(missing.stdout + missing.stderr, /OCI runtime exec failed: .*executable file not found in \$PATH/);
  const dir = await daemon.docker(['exec', '-w', '/nosuchdir', 'svc', 'true']);
  assert.equal(dir.code, 126);
  const user = await daemon.docker(['exec', '-u', 'nosuchuser', 'svc', 'true']);
  assert.equal(user.code, 126);
  assert.match(user.stdout + user.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);

  const empty = await api('POST', '/containers/svc/exec', { Cmd: [] });
  assert.equal(empty.status, 400);
  assert.equal(JSON.parse(empty.body).message, 'No exec command specified');
  const wrongType = await api('POST', '/containers/svc/exec', { Cmd: 'ls' });
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.body, /cannot unmarshal string into Go struct field ExecOptions.Cmd of type \[\]string/);
  const unknown = await api('GET', '/exec/nosuch/json');
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).message, 'No such exec instance: nosuch');

  const id = (await daemon.docker(['create', '--network', 'none', 'busybox', 'true'])).stdout.trim();
  const stopped = await daemon.docker(['exec', id, 'true']);
  assert.notEqual(stopped.code, 0);
  assert.match(stopped.stderr, new RegExp(`Container ${id} is not running`));
});

test('limits: --memory 64m kills a container that allocates more (137, OOMKilled); inspect and stats show limits', async () => {
  const oom = await daemon.docker(['run', '--name', 'hog', '--network', 'none', '--memory', '64m', 'busybox', 'sh', '-c',
    'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived']);
  assert.equal(oom.code, 137);
  assert.doesNotMatch(oom.stdout, /survived/);
  const state = await daemon.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog']);
  assert.equal(state.stdout.trim(), 'true 137');

  const run = await daemon.docker(['run', '-d', '--name', 'limited', '--network', 'none', '--memory', '96m', '--cpus', '0.5',
    '--pids-limit', '50', 'busybox', 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  const hc = await daemon.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', 'limited']);
  assert.equal(hc.stdout.trim(), '100663296 500000000 50');
  const stats = await daemon.docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'limited']);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stdout, /\/ 96MiB/);
  // The pids limit holds for the container's processes, exec'd ones included.
  const fork = await daemon.docker(['exec', 'limited', 'sh', '-c', 'i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; echo all started']);
  assert.notEqual(fork.code, 0);
  assert.match(fork.stderr, /can't fork: Resource temporarily unavailable/);
  const pids = await daemon.docker(['stats', '--no-stream', '--format', '{{.PIDs}}', 'limited']);
  const n = Number(pids.stdout.trim());
  assert.ok(n > 40 && n <= 50, `${n} processes: the background sleeps run, up to the limit`);
});
