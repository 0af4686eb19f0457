// The spawn helper (native/berth-spawn.c driven by src/engine/runtime/spawn-helper.ts) on its own:
// the processes it starts, what it reports of them, its mounts, and what happens when it dies or is
// missing. No daemon is needed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SpawnHelper } from '../../src/engine/runtime/spawn-helper.js';
import { CommandFailure, helperProcesses, mountOverlay, nodeProcesses, runFile, unmountAt } from '../../src/engine/runtime/host-process.js';
import { isMounted } from '../../src/engine/containers/rootfs.js';
import { buildNative } from '../helpers/daemon.js';

let helper: SpawnHelper;
const processes = () => helperProcesses(helper);
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileOr(`/proc/${pid}/stat`));
function readFileOr(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  return !alive(pid);
}

function collect(stream: Readable | null | undefined): Promise<string> {
  let text = '';
  stream!.setEncoding('utf8').on('data', (d: string) => (text += d));
  return new Promise((resolve) => stream!.once('end', () => resolve(text)));
}

before(async () => {
  await buildNative();
  helper = new SpawnHelper();
});
after(() => helper.close());

describe('the spawn helper', () => {
  it('runs a command with the env and working directory asked, stdin empty, and returns its output', async () => {
    const out = await runFile('sh', ['-c', 'echo "$GREETING from $(pwd)"; cat; echo oops >&2'], { cwd: '/tmp', env: { GREETING: 'hello', PATH: '/usr/bin:/bin' } }, processes());
    assert.deepEqual(out, { stdout: 'hello from /tmp\n', stderr: 'oops\n' });
    assert.ok(helper.pid, 'the helper runs');
  });

  it('reports a failure with its exit status and its stderr, for the caller\'s message', async () => {
    const err = await runFile('sh', ['-c', 'echo partial; echo "no such thing" >&2; exit 3'], {}, processes()).catch((e: unknown) => e);
    assert.ok(err instanceof CommandFailure);
    assert.equal(err.exitCode, 3);
    assert.equal(err.stderr, 'no such thing\n');
    assert.equal(err.stdout, 'partial\n');
    assert.match(err.message, /exited with status 3: no such thing/);
  });

  it('says a command or a working directory is missing as Node does (spawn x ENOENT)', async () => {
    await assert.rejects(runFile('berth-no-such-command', [], {}, processes()), { code: 'ENOENT', message: 'spawn berth-no-such-command ENOENT' });
    await assert.rejects(runFile('pwd', [], { cwd: '/berth-no-such-dir' }, processes()), { code: 'ENOENT' });
  });

  it('kills a command that outlives its timeout, even one that ignores SIGTERM', async () => {
    const started = Date.now();
    const err = await runFile('sh', ['-c', 'trap "" TERM; echo $$; while :; do sleep 1; done'], { timeoutMs: 300 }, processes()).catch((e: unknown) => e);
    assert.ok(err instanceof CommandFailure);
    assert.equal(err.killedFor, 'timeout');
    assert.match(err.message, /did not finish within 0.3 s and was killed/);
    assert.ok(Date.now() - started < 5000);
    assert.ok(await gone(Number(err.stdout.trim())), 'the shell is gone');
  });

  it('starts a process in a session of its own when detached, with a sync pipe as fd 3', async () => {
    const child = helper.spawn('sh', ['-c', 'echo $$; cut -d" " -f6 /proc/$$/stat; echo report >&3'], { detached: true, stdout: true, sync: true });
    const [stdout, sync] = await Promise.all([collect(child.stdout), collect(child.stdio[3] as Readable)]);
    const [pid, session] = stdout.trim().split('\n');
    assert.equal(session, pid, 'its own session');
    assert.equal(sync, 'report\n');
    const [code] = await new Promise<unknown[]>((resolve) => child.once('close', (...a: unknown[]) => resolve(a)));
    assert.equal(code, 0);
  });

  it('when the helper dies, what it was running fails at once, and the next command starts a new helper', async () => {
    const child = helper.spawn('sleep', ['30'], { stdout: true });
    const failed = new Promise<Error>((resolve) => child.once('error', resolve));
    while ((child as unknown as { pid?: number }).pid === undefined) await sleep(5);
    const sleeper = (child as unknown as { pid: number }).pid;
    const first = helper.pid!;
    try {
      process.kill(first, 'SIGKILL');
      assert.match((await failed).message, /spawn helper .* exited \(SIGKILL\)/);
      assert.equal((await runFile('echo', ['again'], {}, processes())).stdout, 'again\n');
      assert.notEqual(helper.pid, first);
    } finally {
      process.kill(sleeper, 'SIGKILL'); // it lives on, as a child of a killed daemon would
    }
  });

  it('a missing helper binary is an error, not a hang; Node\'s child_process is the fallback', async () => {
    const missing = new SpawnHelper('/berth-no-such-helper');
    await assert.rejects(runFile('true', [], {}, helperProcesses(missing)), /cannot start the spawn helper \/berth-no-such-helper/);
    assert.equal((await runFile('echo', ['node'], {}, nodeProcesses)).stdout, 'node\n');
  });

  it('mounts an overlay and unmounts it, lazily when it is busy; unmounting nothing is fine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-spawn-test-'));
    const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(dir, d));
    try {
      for (const d of [lower, upper, work, merged]) await mkdir(d);
      await mountOverlay(merged, `lowerdir=${lower},upperdir=${upper},workdir=${work}`, processes());
      assert.ok(await isMounted(merged));
      await assert.rejects(mountOverlay(join(dir, 'none'), 'lowerdir=/nowhere', processes()), { code: 'ENOENT' });
      // A process with its working directory inside keeps it busy: the unmount detaches it.
      const holder = helper.spawn('sleep', ['30'], { cwd: merged });
      const holderClosed = new Promise((resolve) => holder.once('close', resolve).once('error', resolve));
      try {
        await unmountAt(merged, isMounted, processes());
        assert.equal(await isMounted(merged), false);
      } finally {
        holder.kill('SIGKILL');
        await holderClosed;
      }
      await unmountAt(merged, isMounted, processes());
      await unmountAt(join(dir, 'missing'), isMounted, processes());
      // Without the helper: mount(8) and umount(8), the same outcome.
      await mountOverlay(merged, `lowerdir=${lower},upperdir=${upper},workdir=${work}`, nodeProcesses);
      assert.ok(await isMounted(merged));
      await unmountAt(merged, isMounted, nodeProcesses);
      assert.equal(await isMounted(merged), false);
    } finally {
      if (await isMounted(join(dir, 'merged'))) await unmountAt(merged, isMounted, nodeProcesses);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
