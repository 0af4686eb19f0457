import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { freePort } from '../helpers/ports.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, run, DOCKER, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
let tcpPort: number;
before(async () => {
  tcpPort = await freePort();
  daemon = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${tcpPort}`, '--tls=false'] });
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });


interface Reply { status: number; body: string; json: () => any }

function api(method: string, path: string, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, path, method, headers: body !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function containerDirs(): Promise<string[]> {
  return readdir(join(daemon.dataRoot, 'containers')).catch(() => []);
}

test('bad create bodies get a 400 in Docker\'s shape and create nothing', async () => {
  const before = await containerDirs();
  const cases: [string, RegExp][] = [
    ['{"Image":"busybox",', /invalid JSON/],
    ['{"Image":"busybox","Cmd":5}', /^json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string$/],
    ['{"Image":"busybox","Cmd":["true"],"Env":"A=1"}', /ContainerConfigWrapper.Env of type \[\]string/],
    ['{"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":"lots"}}', /HostConfig.Memory of type int64/],
    ['{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}', /^invalid restart policy 'sometimes'$/],
    ['{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":3}}}', /^maximum retry count cannot be used with restart policy 'always'$/],
    ['{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}}}', /^maximum retry count cannot be negative$/],
    ['{"Image":"busybox","Cmd":["true"],"HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}', /can't create 'AutoRemove' container with restart policy/],
    ['{"Image":"busybox","Cmd":["true"],"WorkingDir":"relative"}', /the working directory 'relative' is invalid, it needs to be an absolute path/],
    ['{"Image":"busybox"}', /^No command specified$/],
    ['[1]', /cannot unmarshal array/],
    ['', /Config cannot be empty/],
  ];
  for (const [body, message] of cases) {
    const r = await api('POST', '/v1.47/containers/create', body);
    assert.equal(r.status, 400, `${body}: ${r.body}`);
    assert.match(r.json().message, message, body);
  }
  const badName = await api('POST', '/v1.47/containers/create?name=a', '{"Image":"busybox","Cmd":["true"]}');
  assert.equal(badName.status, 400);
  assert.equal(badName.json().message, 'Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  const noImage = await api('POST', '/v1.47/containers/create', '{"Image":"nosuchimage","Cmd":["true"]}');
  assert.equal(noImage.status, 404);
  assert.equal(noImage.json().message, 'No such image: nosuchimage:latest');
  const huge = await api('POST', '/v1.47/containers/create', Buffer.alloc(9 * 1024 * 1024, 'a'));
  assert.equal(huge.status, 400);
  assert.match(huge.json().message, /too large/);
  assert.deepEqual(await containerDirs(), before);
  assert.equal((await ok(['ps', '-aq'])), '');
  // The daemon keeps serving.
  assert.equal((await api('GET', '/_ping')).status, 200);
});

test('unknown and ambiguous references, and Docker\'s status codes for no-ops', async () => {
  const missing = await api('GET', '/v1.47/containers/nosuch/json');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { message: 'No such container: nosuch' });
  for (const [method, path] of [['POST', 'start'], ['POST', 'stop'], ['POST', 'kill'], ['POST', 'wait'], ['GET', 'logs?stdout=1']]) {
    assert.equal((await api(method, `/v1.47/containers/nosuch/${path}`)).status, 404, path);
  }
  assert.equal((await api('DELETE', '/v1.47/containers/nosuch')).status, 404);

  const id = (await ok(['create', '--name', 'idle', 'busybox', 'true'])).trim();
  assert.equal((await api('GET', `/v1.47/containers/${id.slice(0, 5)}/json`)).json().Id, id);
  assert.equal((await api('POST', '/v1.47/containers/idle/stop')).status, 304);
  const kill = await api('POST', '/v1.47/containers/idle/kill');
  assert.equal(kill.status, 409);
  assert.equal(kill.json().message, `Cannot kill container: idle: Container ${id} is not running`);
  assert.equal((await api('POST', '/v1.47/containers/idle/kill?signal=NOPE')).json().message, 'Invalid signal: NOPE');
  const noStream = await api('GET', '/v1.47/containers/idle/logs');
  assert.equal(noStream.status, 400);
  assert.equal(noStream.json().message, 'Bad parameters: you must choose at least one stream');
  assert.equal((await api('GET', '/v1.47/containers/json?filters={"status":["sleeping"]}')).json().message, "Invalid filter 'status=sleeping'");

  // Two IDs sharing a first hex digit are likely among a few dozen; an ambiguous prefix is refused.
  const ids = [id];
  for (let i = 0; i < 20; i++) ids.push((await api('POST', '/v1.47/containers/create', '{"Image":"busybox","Cmd":["true"]}')).json().Id);
  const counts = new Map<string, number>();
  for (const x of ids) counts.set(x[0], (counts.get(x[0]) ?? 0) + 1);
  const shared = [...counts].find(([, n]) => n > 1)![0];
  const ambiguous = await api('GET', `/v1.47/containers/${shared}/json`);
  assert.equal(ambiguous.status, 400);
  assert.equal(ambiguous.json().message, `multiple IDs found with provided prefix: ${shared}`);
  await ok(['rm', ...ids]);
});

test('rename: taken and invalid names are refused as Docker does', async () => {
  const a = (await ok(['create', '--name', 'first', 'busybox', 'true'])).trim();
  await ok(['create', '--name', 'second', 'busybox', 'true']);
  const taken = await api('POST', '/v1.47/containers/second/rename?name=first');
  assert.equal(taken.status, 409);
  assert.equal(taken.json().message, `Error when allocating new name: Conflict. The container name "/first" is already in use by container "${a}". You have to remove (or rename) that container to be able to reuse that name.`);
  const invalid = await api('POST', '/v1.47/containers/second/rename?name=x');
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json().message, 'Error when allocating new name: Invalid container name (/x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  await ok(['rename', 'second', 'third']);
  assert.equal(await ok(['inspect', '-f', '{{.Name}}', 'third']), '/third\n');
  await ok(['rm', 'first', 'third']);
});

test('inspect has Docker\'s fields; ps filters and formats like Docker', async () => {
  const id = (await ok(['run', '-d', '--name', 'labelled', '--label', 'tier=web', 'busybox', 'sleep', '60'])).trim();
  assert.equal((await daemon.docker(['run', '--name', 'failed', 'busybox', 'sh', '-c', 'exit 2'])).code, 2);
  await daemon.docker(['run', '--name', 'failed2', 'busybox', 'sh', '-c', 'exit 2']);
  const [info] = JSON.parse(await ok(['inspect', id]));
  for (const key of ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath',
    'Name', 'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig',
    'GraphDriver', 'Mounts', 'Config', 'NetworkSettings']) assert.ok(key in info, key);
  assert.deepEqual(Object.keys(info.State), ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']);
  assert.equal(info.Path, 'sleep');
  assert.deepEqual(info.Args, ['60']);
  assert.ok(info.State.Pid > 0);
  assert.equal(info.Config.Labels.tier, 'web');
  assert.equal(info.HostConfig.RestartPolicy.Name, 'no');
  assert.match(info.Image, /^sha256:[a-f0-9]{64}$/);

  assert.equal(await ok(['ps', '--filter', 'label=tier=web', '--format', '{{.Names}}']), 'labelled\n');
  assert.equal(await ok(['ps', '-a', '--filter', 'exited=2', '--format', '{{.Names}}']), 'failed2\nfailed\n');
  assert.equal(await ok(['ps', '-a', '--filter', 'status=running', '--format', '{{.Names}}']), 'labelled\n');
  assert.equal(await ok(['ps', '-a', '--filter', `id=${id.slice(0, 8)}`, '--format', '{{.Names}}']), 'labelled\n');
  assert.equal(await ok(['ps', '-a', '--filter', 'ancestor=busybox', '-q']).then((s) => s.split('\n').filter(Boolean).length), 3);
  assert.equal(await ok(['ps', '-a', '-n', '1', '--format', '{{.Names}}']), 'failed2\n');
  assert.match(await ok(['ps', '-a', '--filter', 'name=failed2', '--format', '{{.Status}}']), /^Exited \(2\) (Less than a second|\d+ seconds?) ago\n$/);
  const sized = JSON.parse((await api('GET', '/v1.47/containers/json?size=1&filters={"name":["labelled"]}')).body);
  assert.equal(typeof sized[0].SizeRw, 'number');
  assert.ok(sized[0].SizeRootFs >= sized[0].SizeRw);
  await ok(['rm', '-f', 'labelled', 'failed', 'failed2']);
});

test('docker stats --no-stream and docker top show the container\'s resources and processes', async () => {
  await ok(['run', '-d', '--name', 'measured', 'busybox', 'sh', '-c', 'while true; do sleep 1; done']);
  const out = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'measured']);
  assert.match(out, /^measured \d+(\.\d+)?[KM]iB \/ \d+(\.\d+)?[MG]iB [12]\n$/);
  const top = (await ok(['top', 'measured'])).split('\n');
  assert.match(top[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
  assert.ok(top.some((l) => /sh -c while true; do sleep 1; done$/.test(l)), top.join('\n'));
  await ok(['rm', '-f', 'measured']);
  await ok(['create', '--name', 'notrunning', 'busybox', 'true']);
  const refused = await api('GET', '/v1.47/containers/notrunning/top');
  assert.equal(refused.status, 409);
  assert.match(refused.json().message, /^Container [a-f0-9]{64} is not running$/);
  await ok(['rm', 'notrunning']);
});

test('logs: streams kept apart, tail, timestamps, follow ends when the container stops', async () => {
  await ok(['run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 1; echo late']);
  const all = await daemon.docker(['logs', '-f', 'talker']);
  assert.equal(all.stdout, 'out1\nout2\nout3\nlate\n');
  assert.equal(all.stderr, 'err1\nerr2\nerr3\n');
  // As in Docker, the tail counts the log's last entries of both streams.
  const tail = await daemon.docker(['logs', '--tail', '2', 'talker']);
  assert.deepEqual([tail.stdout, tail.stderr], ['late\n', 'err3\n']);
  const stamped = (await daemon.docker(['logs', '-t', 'talker'])).stdout.split('\n')[0];
  assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1$/);
  const future = (await daemon.docker(['logs', '--since', '2099-01-01T00:00:00Z', 'talker'])).stdout;
  assert.equal(future, '');
  await ok(['rm', 'talker']);
});

test('the same session works over TCP and through a socat proxy of the socket', async () => {
  const tcp = (args: string[]) => run(DOCKER, ['-H', `tcp://127.0.0.1:${tcpPort}`, ...args]);
  const hello = await tcp(['run', '--rm', 'busybox', 'echo', 'over tcp']);
  assert.equal(hello.code, 0, hello.stderr);
  assert.equal(hello.stdout, 'over tcp\n');
  const proxySocket = join(daemon.dir, 'proxy.sock');
  const socat: ChildProcess = spawn('socat', [`UNIX-LISTEN:${proxySocket},fork`, `UNIX-CONNECT:${daemon.socket}`], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && !existsSync(proxySocket); i++) await new Promise((r) => setTimeout(r, 50));
    const viaProxy = (args: string[]) => run(DOCKER, ['-H', `unix://${proxySocket}`, ...args]);
    const r = await viaProxy(['run', '--name', 'proxied', 'busybox', 'sh', '-c', 'echo through; exit 4']);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, 'through\n');
    assert.equal((await viaProxy(['logs', 'proxied'])).stdout, 'through\n');
    const ps = await tcp(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    assert.match(ps.stdout, /^proxied Exited \(4\) /);
    assert.equal((await viaProxy(['rm', 'proxied'])).code, 0);
  } finally {
    socat.kill();
  }
});

test('container prune removes stopped containers only, honouring label filters', async () => {
  await ok(['run', '--name', 'kept', '--label', 'keep=1', 'busybox', 'true']);
  await ok(['run', '--name', 'junk', 'busybox', 'sh', '-c', 'echo data > /f']);
  await ok(['run', '-d', '--name', 'alive', 'busybox', 'sleep', '60']);
  const out = await ok(['container', 'prune', '-f', '--filter', 'label!=keep']);
  assert.match(out, /^Deleted Containers:\n[a-f0-9]{64}\n\nTotal reclaimed space: \d/);
  assert.equal(await ok(['ps', '-a', '--format', '{{.Names}}']), 'alive\nkept\n');
  await ok(['rm', '-f', 'alive', 'kept']);
});
