import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Logger } from '../../src/engine/base/log.js';
import { ContainerManager } from '../../src/engine/containers/container-manager.js';
import type { Container } from '../../src/engine/containers/container.js';
import { images, network, rootfs, tempDataRoot, volumes } from '../helpers/container-doubles.js';
import type { Transition } from '../../src/engine/containers/container-transitions.js';
import { MemoryRuntime } from '../../src/engine/runtime/memory-runtime.js';

// ContainerManager's lifecycle (restart policies, --rm, stop by hand, daemon restart) on the in-memory
// runtime: Docker's rules end to end in milliseconds. Images, volumes, network and the rootfs mount
// are trivial doubles of their roles; the records are real files in a temp data root.

interface Daemon {
  manager: ContainerManager;
  runtime: MemoryRuntime;
  root: string;
  /** Every transition seen, as `kind` or `kind:detail`. */
  seen: string[];
}

async function openDaemon(root?: string, runtime = new MemoryRuntime()): Promise<Daemon> {
  if (!root) {
    root = await tempDataRoot('berth-lifecycle-');
  }
  const manager = await ContainerManager.open({
    dataRoot: root, execRoot: join(root, 'exec'), log: new Logger('error'), runtime, images, volumes, network, rootfs,
  });
  const seen: string[] = [];
  manager.onTransition((_c, t) => seen.push(describe(t)));
  return { manager, runtime, root, seen };
}

function describe(t: Transition): string {
  if (t.kind === 'die') return `die:${t.exitCode}${t.restarting ? ':restarting' : ''}`;
  return t.kind;
}

async function run(d: Daemon, cmd: string[], hostConfig: Record<string, unknown> = {}): Promise<Container> {
  const { Id } = await d.manager.create(undefined, { Image: 'busybox', Cmd: cmd, HostConfig: hostConfig });
  await d.manager.start(Id);
  return d.manager.get(Id);
}

/** Resolves once `count` transitions of `kind` were seen. */
function seenAtLeast(d: Daemon, kind: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (d.seen.filter((s) => s === kind || s.startsWith(`${kind}:`)).length < count) return;
      stop();
      resolve();
    };
    const stop = d.manager.onTransition(check);
    check();
  });
}

async function removeAll(d: Daemon): Promise<void> {
  for (const c of d.manager.all()) await d.manager.remove(c.id, { force: true });
  await d.manager.close();
  assert.deepEqual(d.runtime.ids(), [], 'the runtime holds nothing');
}

test('the transition hook sees create, start, die and destroy in order', async () => {
  const d = await openDaemon();
  const c = await run(d, ['sh', '-c', 'exit 3']);
  await c.whenNotRunning();
  assert.equal(c.state.exitCode, 3);
  await d.manager.remove(c.id);
  assert.deepEqual(d.seen, ['create', 'start', 'die:3', 'destroy']);
  assert.deepEqual(await readdir(join(d.root, 'containers')), [], 'the record is gone');
  await removeAll(d);
});

test('on-failure:2 restarts twice, then stays stopped with the last exit code', async () => {
  const d = await openDaemon();
  const c = await run(d, ['sh', '-c', 'exit 3'], { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } });
  await seenAtLeast(d, 'die:3', 3);
  await c.whenNotRunning();
  assert.equal(c.record.restartCount, 2);
  assert.equal(c.state.exitCode, 3);
  assert.equal(c.state.running, false);
  assert.deepEqual(d.seen, ['create', 'start', 'die:3:restarting', 'start', 'die:3:restarting', 'start', 'die:3']);
  await removeAll(d);
});

test('always restarts a process that exits 0, until it is stopped by hand', async () => {
  const d = await openDaemon();
  const c = await run(d, ['true'], { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  await seenAtLeast(d, 'start', 3);
  await d.manager.stop(c.id, { timeout: 0 });
  await c.whenNotRunning();
  const starts = d.seen.filter((s) => s === 'start').length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(d.seen.filter((s) => s === 'start').length, starts, 'no restart after a stop by hand');
  assert.equal(c.state.running, false);
  assert.ok(c.record.restartCount >= 2);
  assert.equal(c.record.hasBeenManuallyStopped, true);
  await removeAll(d);
});

test('AutoRemove removes the container once its process exits', async () => {
  const d = await openDaemon();
  const c = await run(d, ['sh', '-c', 'exit 0'], { AutoRemove: true });
  await c.whenRemoved();
  assert.deepEqual(d.manager.all(), []);
  assert.deepEqual(d.seen, ['create', 'start', 'die:0', 'destroy']);
  assert.throws(() => d.manager.get(c.id), /No such container/);
  await removeAll(d);
});

test('an --rm container that ran and comes back after its removal (a crash undid it) is removed at daemon start', async () => {
  // Its removal is written without fsync: this is what makes that safe.
  const first = await openDaemon();
  const c = await run(first, ['sleep', '100'], { AutoRemove: true });
  const recordFile = join(first.root, 'containers', c.id, 'container.json');
  const record = await readFile(recordFile);
  await first.manager.kill(c.id, 'SIGKILL');
  await c.whenRemoved();
  await first.manager.close();
  await mkdir(dirname(recordFile), { recursive: true });
  await writeFile(recordFile, record);

  const second = await openDaemon(first.root, first.runtime);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([seenAtLeast(second, 'destroy', 1), new Promise((resolve) => { timer = setTimeout(resolve, 5000); })]);
  clearTimeout(timer);
  assert.deepEqual(second.manager.all().map((x) => x.record.name), []);
  assert.deepEqual(await readdir(join(first.root, 'containers')), []);
  await removeAll(second);
});

test('a container stopped by hand is not restarted by its policy; a start resets the count', async () => {
  const d = await openDaemon();
  const c = await run(d, ['sleep', '100'], { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  // sleep as PID 1 ignores SIGTERM: the stop ends with SIGKILL once the timeout passed.
  await d.manager.stop(c.id, { timeout: 0 });
  assert.equal(c.state.exitCode, 137);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.state.running, false);
  assert.deepEqual(d.seen, ['create', 'start', 'kill', 'kill', 'die:137']);
  await d.manager.start(c.id);
  assert.equal(c.state.running, true);
  assert.equal(c.record.hasBeenManuallyStopped, false);
  await removeAll(d);
});

test('a failed start records Docker\'s exit code 127 and the runtime\'s message', async () => {
  const d = await openDaemon();
  const { Id } = await d.manager.create(undefined, { Image: 'busybox', Cmd: ['nosuch'] });
  await assert.rejects(d.manager.start(Id), (err: Error) => {
    assert.equal(err.name, 'InvalidArgumentError');
    assert.match(err.message, /exec: "nosuch": executable file not found in \$PATH: unknown$/);
    return true;
  });
  const c = d.manager.get(Id);
  assert.equal(c.state.exitCode, 127);
  assert.match(c.state.error, /executable file not found/);
  assert.equal(c.state.running, false);
  await removeAll(d);
});

test('daemon restart: a running process is adopted, exits while away are recorded (255 when unknown), always restarts', async () => {
  const first = await openDaemon();
  const adopted = await run(first, ['sleep', '100']);
  const killed = await run(first, ['sleep', '100']);
  const lost = await run(first, ['sleep', '100']);
  const always = await run(first, ['sleep', '100'], { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  const pid = adopted.state.pid;
  await first.manager.close();
  // While no daemon watches: one process is killed, one ends without a recorded exit, one exits.
  await first.runtime.kill(killed.id, 'SIGKILL');
  first.runtime.loseExit(lost.id);
  await first.runtime.kill(always.id, 'SIGKILL');

  const second = await openDaemon(first.root, first.runtime);
  const get = (c: Container) => second.manager.get(c.id);
  assert.equal(get(adopted).state.running, true);
  assert.equal(get(adopted).state.pid, pid);
  assert.equal(get(killed).state.running, false);
  assert.equal(get(killed).state.exitCode, 137);
  assert.equal(get(lost).state.exitCode, 255);
  await seenAtLeast(second, 'start', 1);
  assert.equal(get(always).state.running, true);
  // Started again by the daemon's start-up: RestartCount kept, not bumped (Docker's rule).
  assert.equal(get(always).record.restartCount, 0);
  // The adopted run is followed: its exit is handled by the new daemon.
  await second.manager.kill(adopted.id, 'SIGKILL');
  assert.equal(get(adopted).state.exitCode, 137);
  assert.equal(get(adopted).state.running, false);
  await removeAll(second);
});

test('pause and unpause: Paused state, counts, the refusals, and the transitions', async () => {
  const d = await openDaemon();
  const c = await run(d, ['sleep', '100'], { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  await d.manager.pause(c.id);
  assert.equal(c.state.paused, true);
  assert.equal(c.state.running, true);
  assert.deepEqual(d.manager.counts(), { total: 1, running: 0, paused: 1, stopped: 0 });
  assert.equal((await d.runtime.state(c.id))?.status, 'paused');
  await assert.rejects(d.manager.pause(c.id), /is already paused/);
  await assert.rejects(d.manager.start(c.id), /cannot start a paused container, try unpause instead/);
  await assert.rejects(d.manager.remove(c.id), /You cannot remove a paused container [0-9a-f]{64}\. Unpause and then stop/);
  await d.manager.unpause(c.id);
  assert.equal(c.state.paused, false);
  assert.equal((await d.runtime.state(c.id))?.status, 'running');
  await assert.rejects(d.manager.unpause(c.id), (err: Error) => err.name === 'UnknownError' && /is not paused/.test(err.message));
  assert.deepEqual(d.seen, ['create', 'start', 'pause', 'unpause']);
  await removeAll(d);
});

test('stop, kill and rm -f of a paused container thaw it so that it dies; no restart follows', async () => {
  const d = await openDaemon();
  const always = { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } };
  // sleep as PID 1 ignores SIGTERM: the stop ends with SIGKILL.
  const stopped = await run(d, ['sleep', '100'], always);
  await d.manager.pause(stopped.id);
  await d.manager.stop(stopped.id, { timeout: 0 });
  assert.equal(stopped.state.running, false);
  assert.equal(stopped.state.paused, false);
  assert.equal(stopped.state.exitCode, 137);
  assert.deepEqual(d.seen, ['create', 'start', 'pause', 'kill', 'unpause', 'kill', 'die:137']);
  // A signal that is not final (the container has a stop signal of its own) waits for the unpause.
  const { Id } = await d.manager.create(undefined, { Image: 'busybox', Cmd: ['sleep', '100'], StopSignal: 'SIGUSR1' });
  await d.manager.start(Id);
  await d.manager.pause(Id);
  await d.manager.kill(Id, 'SIGTERM');
  assert.equal(d.manager.get(Id).state.paused, true);
  await d.manager.remove(Id, { force: true });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(stopped.state.running, false, 'not restarted by its policy');
  await removeAll(d);
});

test('daemon restart: a paused container stays paused and is not restarted by its policy', async () => {
  const first = await openDaemon();
  const c = await run(first, ['sleep', '100'], { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  await first.manager.pause(c.id);
  await first.manager.close();
  const second = await openDaemon(first.root, first.runtime);
  const again = second.manager.get(c.id);
  assert.equal(again.state.paused, true);
  assert.equal(again.state.running, true);
  assert.equal(again.record.restartCount, 0);
  await second.manager.unpause(c.id);
  assert.equal((await second.runtime.state(c.id))?.status, 'running');
  await removeAll(second);
});

test('whilePaused (docker commit) freezes a running container for the work only; others are left as they are', async () => {
  const d = await openDaemon();
  const c = await run(d, ['sleep', '100']);
  const during = await d.manager.whilePaused(c, async () => (await d.runtime.state(c.id))?.status);
  assert.equal(during, 'paused');
  assert.equal(c.state.paused, false);
  await d.manager.pause(c.id);
  await d.manager.whilePaused(c, async () => undefined);
  assert.equal(c.state.paused, true, 'a container paused by hand stays paused');
  const { Id } = await d.manager.create(undefined, { Image: 'busybox', Cmd: ['true'] });
  await assert.rejects(d.manager.whilePaused(d.manager.get(Id), async () => { throw new Error('work failed'); }), /work failed/);
  assert.deepEqual(d.seen, ['create', 'start', 'pause', 'unpause', 'pause', 'create']);
  await removeAll(d);
});
