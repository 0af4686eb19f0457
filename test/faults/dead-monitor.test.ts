import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// Faults injected under a real berthd, checked with the real docker CLI: a container's monitor
// (conmon) killed, runc's state of a container removed, a container's process stopped (SIGSTOP).
// What a user sees must match Docker: the container is Exited within 2 s, with the code dockerd gives
// (137 for a killed process), `die` in the event stream, and stop / rm -f / wait return.

let daemon: TestDaemon;
let t0: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  t0 = (Date.now() / 1000).toFixed(9);
});
after(async () => { await daemon.stop(); });

const ok = async (args: string[]): Promise<string> => (await daemon.ok(args)).trim();

async function idAndPid(name: string): Promise<{ id: string; pid: number }> {
  const [id, pid] = (await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', name])).split(' ');
  return { id: id!, pid: Number(pid) };
}

/** Kills the container's conmon with SIGKILL, as a user (or the OOM killer) would. */
async function killMonitor(id: string): Promise<void> {
  process.kill(Number(await readFile(join(daemon.execRoot, 'persist', id, 'conmon.pid'), 'utf8')), 'SIGKILL');
}

/** Whether the process runs, seen from the host (a zombie waiting to be reaped does not). */
function runs(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls `docker ps -a` until the container's status matches; resolves with the time it took. */
async function statusWithin(name: string, pattern: RegExp, ms: number): Promise<number> {
  const start = Date.now();
  let status = '';
  while (Date.now() - start < ms) {
    status = await ok(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']);
    if (pattern.test(status)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${name}: still "${status}" after ${ms} ms`);
}

/** Runs a docker command and resolves with its result and how long it took. */
async function timed(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const start = Date.now();
  const r = await daemon.docker(args);
  return { ...r, ms: Date.now() - start };
}

test('kill -9 of a running container\'s conmon: Exited (137) within 2 s, die in the events, rm -f returns', async () => {
  await ok(['run', '-d', '--name', 'fault-monitor', 'busybox', 'sleep', '1000']);
  const { id, pid } = await idAndPid('fault-monitor');
  await killMonitor(id);
  // The bound the issue states (2 s), measured including the CLI's own round trips.
  const took = await statusWithin('fault-monitor', /^Exited \(137\) /, 2000);
  assert.ok(took < 2000, `seen after ${took} ms`);
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', id]), 'exited 137 false');
  assert.equal(runs(pid), false, 'the process that outlived its monitor was ended, not orphaned');
  // The event is published once the record is saved, which may be just after ps shows the state.
  let events: string[] = [];
  for (const deadline = Date.now() + 2000; !events.includes('die 137') && Date.now() < deadline;) {
    const until = (Date.now() / 1000 + 0.001).toFixed(9);
    events = (await ok(['events', '--since', t0, '--until', until, '--filter', `container=${id}`, '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}'])).split('\n');
  }
  assert.deepEqual(events, ['create <no value>', 'start <no value>', 'die 137']);
  const rm = await timed(['rm', '-f', 'fault-monitor']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(await ok(['ps', '-aq', '--filter', `id=${id}`]), '');
});

test('a --restart always container comes back Up after its conmon is killed', async () => {
  await ok(['run', '-d', '--name', 'fault-always', '--restart', 'always', 'busybox', 'sleep', '1000']);
  const first = await idAndPid('fault-always');
  await killMonitor(first.id);
  const deadline = Date.now() + 5000;
  while (await ok(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'fault-always']) !== '1 running') {
    assert.ok(Date.now() < deadline, 'restarted within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(await ok(['ps', '--filter', 'name=^fault-always$', '--format', '{{.Status}}']), /^Up /);
  const again = await idAndPid('fault-always');
  assert.notEqual(again.pid, first.pid);
  assert.equal(runs(first.pid), false);
  await ok(['rm', '-f', 'fault-always']);
});

test('a conmon killed while berthd is down: the restarted daemon records the same 137 and ends the process', async () => {
  await ok(['run', '-d', '--name', 'fault-away', 'busybox', 'sleep', '1000']);
  const { id, pid } = await idAndPid('fault-away');
  await daemon.kill9();
  await killMonitor(id);
  await daemon.launch();
  await statusWithin('fault-away', /^Exited \(137\) /, 2000);
  assert.equal(runs(pid), false);
  await ok(['rm', 'fault-away']);
});

test('runc\'s state removed under a running container: stop, wait and rm -f return in bounded time', async () => {
  await ok(['run', '-d', '--name', 'fault-stateless', 'busybox', 'sleep', '1000']);
  await ok(['run', '-d', '--name', 'fault-stateless-rm', 'busybox', 'sleep', '1000']);
  const a = await idAndPid('fault-stateless');
  const b = await idAndPid('fault-stateless-rm');
  for (const { id } of [a, b]) await rm(join(daemon.execRoot, 'runc', id), { recursive: true });

  const waiting = timed(['wait', 'fault-stateless']);
  // sleep as PID 1 ignores SIGTERM: the stop ends with the SIGKILL after 1 s, sent to the process
  // itself since runc no longer knows it (dockerd 20.10 answers after 1 + 10 s, leaving it running).
  const stop = await timed(['stop', '-t', '1', 'fault-stateless']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(stop.ms < 1000 + 5000, `stop took ${stop.ms} ms`);
  const wait = await waiting;
  assert.equal(wait.stdout.trim(), '137');
  assert.equal(runs(a.pid), false);

  const rmf = await timed(['rm', '-f', 'fault-stateless-rm']);
  assert.equal(rmf.code, 0, rmf.stderr);
  assert.ok(rmf.ms < 5000, `rm -f took ${rmf.ms} ms`);
  assert.equal(runs(b.pid), false);
  await ok(['rm', 'fault-stateless']);
});

test('a container whose process is stopped (SIGSTOP): stop -t 1 returns after its timeout, Exited (137)', async () => {
  await ok(['run', '-d', '--name', 'fault-frozen', 'busybox', 'sleep', '1000']);
  const { pid } = await idAndPid('fault-frozen');
  process.kill(pid, 'SIGSTOP');
  const stop = await timed(['stop', '-t', '1', 'fault-frozen']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(stop.ms < 1000 + 5000, `stop took ${stop.ms} ms`);
  assert.equal(await ok(['inspect', '-f', '{{.State.ExitCode}}', 'fault-frozen']), '137');
  assert.equal(runs(pid), false);
  await ok(['rm', 'fault-frozen']);
});

test('kill -9 of an exec\'s conmon: the exec ends with 137 and its process is not left running', async () => {
  await ok(['run', '-d', '--name', 'fault-exec', 'busybox', 'sleep', '1000']);
  const execs = join(daemon.execRoot, 'execs');
  const session = daemon.docker(['exec', 'fault-exec', 'sh', '-c', 'echo ready; sleep 1000']);
  let execId = '';
  for (const deadline = Date.now() + 5000; !execId; await new Promise((r) => setTimeout(r, 50))) {
    assert.ok(Date.now() < deadline, 'the exec started');
    const [name] = await readdir(execs).catch(() => []);
    if (name && await readFile(join(execs, name, 'pid'), 'utf8').catch(() => '')) execId = name;
  }
  const pid = Number(await readFile(join(execs, execId, 'pid'), 'utf8'));
  process.kill(Number(await readFile(join(execs, execId, 'conmon.pid'), 'utf8')), 'SIGKILL');
  const r = await session;
  assert.equal(r.code, 137, r.stderr);
  assert.equal(r.stdout, 'ready\n');
  assert.equal(runs(pid), false);
  assert.equal((await daemon.api('GET', `/exec/${execId}/json`)).body.includes('"ExitCode":137'), true);
  await ok(['rm', '-f', 'fault-exec']);
});

test('a monitor that is stopped (SIGSTOP) cannot report the exit: kill answers dockerd\'s error after 10 s', async () => {
  await ok(['run', '-d', '--name', 'fault-stuck', 'busybox', 'sleep', '1000']);
  const { id } = await idAndPid('fault-stuck');
  const conmon = Number(await readFile(join(daemon.execRoot, 'persist', id, 'conmon.pid'), 'utf8'));
  process.kill(conmon, 'SIGSTOP');
  try {
    const kill = await timed(['kill', 'fault-stuck']);
    assert.equal(kill.code, 1);
    assert.match(kill.stderr, /^Error response from daemon: tried to kill container, but did not receive an exit event\n$/);
    assert.ok(kill.ms < 10_000 + 3000, `kill took ${kill.ms} ms`);
  } finally {
    process.kill(conmon, 'SIGCONT');
  }
  // Once the monitor runs again it records the exit it saw.
  await statusWithin('fault-stuck', /^Exited \(137\) /, 2000);
  await ok(['rm', 'fault-stuck']);
});
