import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  MonitorWatch, exitCodeOfWaitStatus, identify, isAlive, parseProcStat, readProcStat, type ProcessIdentity,
} from './monitor-watch.js';
import { lostMonitorExitCode } from './lost-monitor.js';
import { pidfdUnavailable } from './pidfd-watch.js';

// A zombie's /proc/<pid>/stat (52 fields): its name holds a space and parentheses.
const ZOMBIE = '4242 (my (odd) name) Z 1 4242 4242 0 -1 4228164 95 0 0 0 0 0 0 0 20 0 1 0 998877 0 0 '
  + '18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 9';

test('parseProcStat reads state, start time and a zombie\'s wait status past a name with parentheses', () => {
  assert.deepEqual(parseProcStat(ZOMBIE), { state: 'Z', startTime: 998877, waitStatus: 9 });
  assert.equal(parseProcStat('garbage'), undefined);
  assert.equal(parseProcStat('1 (x) S 0'), undefined, 'too short to have a start time');
  const own = readProcStat(process.pid)!;
  assert.ok(['R', 'S'].includes(own.state));
  assert.equal(own.waitStatus, 0);
});

test('exit codes from wait statuses: the code itself, or 128 + the signal', () => {
  assert.equal(exitCodeOfWaitStatus(0), 0);
  assert.equal(exitCodeOfWaitStatus(3 << 8), 3);
  assert.equal(exitCodeOfWaitStatus(9), 137);
  assert.equal(exitCodeOfWaitStatus(15 | 0x80), 143, 'a core dump flag does not change the code');
});

test('the code recorded for a dead monitor: 137 when killed or unknown, else the process\'s own', () => {
  assert.equal(lostMonitorExitCode({ kind: 'killed' }), 137);
  assert.equal(lostMonitorExitCode({ kind: 'gone' }), 137);
  assert.equal(lostMonitorExitCode({ kind: 'ended', waitStatus: 2 << 8 }), 2);
  assert.equal(lostMonitorExitCode({ kind: 'ended', waitStatus: 15 }), 143);
});

test('a process is the same only with the same start time; a recycled pid is not', () => {
  const me = identify(process.pid)!;
  assert.equal(isAlive(me), true);
  assert.equal(isAlive({ pid: me.pid, startTime: me.startTime + 1 }), false);
  assert.equal(isAlive(me, { state: 'Z', startTime: me.startTime, waitStatus: 0 }), false, 'a zombie is gone');
});

test('the watch resolves when a process dies, runs its timer only while it watches, and aborts', async () => {
  const live = new Set<number>([1, 2]);
  const watch = new MonitorWatch({ intervalMs: 5, alive: (p) => live.has(p.pid), exits: null });
  const id = (pid: number): ProcessIdentity => ({ pid, startTime: 0 });
  assert.equal(watch.running, false);
  await watch.whenGone(id(3)); // already gone: at once, no timer
  assert.equal(watch.running, false);
  const one = watch.whenGone(id(1));
  const ac = new AbortController();
  const two = watch.whenGone(id(2), ac.signal);
  assert.equal(watch.size, 2);
  assert.equal(watch.running, true);
  live.delete(1);
  await one;
  assert.equal(watch.size, 1);
  ac.abort(new Error('stopped waiting'));
  await assert.rejects(two, /stopped waiting/);
  assert.equal(watch.size, 0);
  assert.equal(watch.running, false, 'the timer stops with the last watched process');
});

test('without pidfds, the watch notices a real process killed with SIGKILL within a poll', async () => {
  const child = spawn('sleep', ['100'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const watch = new MonitorWatch({ intervalMs: 20, exits: null });
  const p = identify(child.pid!)!;
  const gone = watch.whenGone(p);
  child.kill('SIGKILL');
  await exited;
  await gone;
  assert.equal(watch.running, false);
});

test('with pidfds (native/pidfd.c), the kernel tells of the end: no timer runs, a kill and a zombie are noticed, an abort stops the watch', async () => {
  assert.equal(pidfdUnavailable(), undefined, 'the pidfd addon is built and usable');
  const watch = new MonitorWatch({ intervalMs: 60_000 });
  const child = spawn('sleep', ['100'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const gone = watch.whenGone(identify(child.pid!)!);
  assert.equal(watch.size, 1);
  assert.equal(watch.running, false, 'no timer: the kernel tells');
  const t0 = Date.now();
  child.kill('SIGKILL');
  await gone;
  assert.ok(Date.now() - t0 < 5_000, 'noticed long before the 60 s timer would have looked');
  await exited;

  // A zombie has ended: `sleep 0.2` is left unreaped by the `sleep 100` its shell became.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & exec sleep 100'], { stdio: 'ignore' });
  try {
    let zombiePid: number | undefined;
    for (let i = 0; i < 100 && !zombiePid; i++) {
      const children = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim();
      zombiePid = children ? Number(children.split(' ')[0]) : undefined;
      if (!zombiePid) await new Promise((r) => setTimeout(r, 10));
    }
    const p = identify(zombiePid!);
    assert.ok(p, 'the inner sleep runs');
    await watch.whenGone(p!);
    assert.equal(readProcStat(zombiePid!)?.state, 'Z', 'it ended and is a zombie, not reaped');

    const ac = new AbortController();
    const aborted = watch.whenGone(identify(parent.pid!)!, ac.signal);
    ac.abort(new Error('stopped waiting'));
    await assert.rejects(aborted, /stopped waiting/);
    assert.equal(watch.size, 0);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a pidfd that cannot be had is said once, and the timer looks at those processes instead', async () => {
  const live = new Set<number>([1, 2]);
  const warnings: string[] = [];
  const exits = { watch: () => { throw new Error('Too many open files'); }, unwatch: () => {} };
  const watch = new MonitorWatch({ intervalMs: 5, alive: (p) => live.has(p.pid), exits, warn: (m) => warnings.push(m) });
  const one = watch.whenGone({ pid: 1, startTime: 0 });
  const two = watch.whenGone({ pid: 2, startTime: 0 });
  assert.equal(watch.running, true, 'the timer looks at them');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /reading \/proc every 5 ms: no pidfd: Too many open files/);
  live.clear();
  await Promise.all([one, two]);
  assert.equal(watch.running, false);
});
