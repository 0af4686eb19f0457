import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RestartPolicy } from './container-types.js';
import {
  decideAtDaemonStart, decideExit, initialBackoff, needsExitRecord, nextDelay, shouldRestart, signalCancelsRestart,
  type ExitFacts, type LifecycleFacts, type RecordedState, type RuntimeStatus,
} from './lifecycle-rules.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const iso = (ms: number) => at(ms).toISOString();
const policy = (spec: string): RestartPolicy => {
  const [name, max] = spec.split(':');
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: Number(max ?? 0) };
};
const exit = (exitCode: number, ms = 50): ExitFacts => ({ exitCode, finishedAt: at(ms), oomKilled: false });
const facts = (over: Partial<LifecycleFacts> = {}): LifecycleFacts => ({
  policy: policy('no'), autoRemove: false, manuallyStopped: false, restartCount: 0, hasBeenStartedBefore: true,
  startedAt: iso(0), backoff: initialBackoff(), ...over,
});

test('shouldRestart: each policy as Docker decides it', () => {
  const table: [policy: string, exitCode: number, manual: boolean, count: number, restart: boolean][] = [
    ['no', 1, false, 0, false],
    ['', 1, false, 0, false],
    ['always', 0, false, 0, true],
    ['always', 0, true, 0, true],
    ['always', 137, false, 99, true],
    ['unless-stopped', 0, false, 5, true],
    ['unless-stopped', 0, true, 0, false],
    ['on-failure', 0, false, 0, false],
    ['on-failure', 1, false, 1000, true],
    ['on-failure:2', 1, false, 1, true],
    ['on-failure:2', 1, false, 2, false],
    ['on-failure:2', 0, false, 0, false],
    ['on-failure:2', 3, true, 0, true],
  ];
  for (const [p, code, manual, count, want] of table) {
    assert.equal(shouldRestart(policy(p), code, manual, count), want, `${p} exit ${code} manual ${manual} count ${count}`);
  }
});

test('back-off: 100 ms doubling to a minute, back to 100 ms after a 10 s run', () => {
  const table: [previous: number, ranMs: number, next: number][] = [
    [0, 50, 100], [100, 50, 200], [200, 50, 400], [800, 9_999, 1_600], [6_400, 10_000, 100],
    [40_000, 1, 60_000], [60_000, 1, 60_000], [0, 10_000, 100],
  ];
  for (const [previous, ran, next] of table) assert.equal(nextDelay(previous, ran), next, `${previous} after ${ran} ms`);
});

test('decideExit: restart with the back-off, stop, auto-remove; a stop by hand is final', () => {
  const table: [what: string, f: Partial<LifecycleFacts>, code: number, want: unknown][] = [
    ['no policy stops', {}, 1, { action: 'stop', autoRemove: false, backoff: { delayMs: 100, cancelled: false } }],
    ['--rm is removed', { autoRemove: true }, 0, { action: 'stop', autoRemove: true, backoff: { delayMs: 100, cancelled: false } }],
    ['always restarts after 100 ms', { policy: policy('always') }, 0,
      { action: 'restart', delayMs: 100, backoff: { delayMs: 100, cancelled: false } }],
    ['the delay doubles', { policy: policy('always'), backoff: { delayMs: 400, cancelled: false } }, 0,
      { action: 'restart', delayMs: 800, backoff: { delayMs: 800, cancelled: false } }],
    ['on-failure:2 restarts the second time', { policy: policy('on-failure:2'), restartCount: 1 }, 1,
      { action: 'restart', delayMs: 100, backoff: { delayMs: 100, cancelled: false } }],
    ['on-failure:2 stops the third time', { policy: policy('on-failure:2'), restartCount: 2 }, 1,
      { action: 'stop', autoRemove: false, backoff: { delayMs: 100, cancelled: false } }],
    ['on-failure stops on 0', { policy: policy('on-failure') }, 0,
      { action: 'stop', autoRemove: false, backoff: { delayMs: 100, cancelled: false } }],
    ['stopped by hand: final, back-off kept', { policy: policy('always'), backoff: { delayMs: 400, cancelled: true } }, 137,
      { action: 'stop', autoRemove: false, backoff: { delayMs: 400, cancelled: true } }],
    ['unless-stopped after a manual stop', { policy: policy('unless-stopped'), manuallyStopped: true }, 0,
      { action: 'stop', autoRemove: false, backoff: { delayMs: 100, cancelled: false } }],
  ];
  for (const [what, f, code, want] of table) assert.deepEqual(decideExit(facts(f), exit(code)), want, what);
  // A long run resets the back-off before the next delay is taken.
  const long = decideExit(facts({ policy: policy('always'), backoff: { delayMs: 3_200, cancelled: false } }), exit(0, 20_000));
  assert.deepEqual(long, { action: 'restart', delayMs: 100, backoff: { delayMs: 100, cancelled: false } });
});

const running: RecordedState = { running: true, restarting: false, exitCode: 0, finishedAt: iso(-1000) };
const restarting: RecordedState = { running: true, restarting: true, exitCode: 1, finishedAt: iso(-1000) };
const stopped: RecordedState = { running: false, restarting: false, exitCode: 1, finishedAt: iso(-1000) };
const created: RecordedState = { running: false, restarting: false, exitCode: 0, finishedAt: '0001-01-01T00:00:00Z' };

test('needsExitRecord: only when the process is gone and the record cannot say how it ended', () => {
  const table: [RecordedState, RuntimeStatus, boolean][] = [
    [running, 'running', false], [running, 'paused', false], [running, undefined, true], [running, 'stopped', true],
    [running, 'created', true], [restarting, undefined, false], [stopped, undefined, false], [stopped, 'stopped', true],
    [created, 'created', false],
  ];
  for (const [state, rt, want] of table) assert.equal(needsExitRecord(state, rt), want, `${JSON.stringify(state)} ${rt}`);
});

test('decideAtDaemonStart: adopt, ended while away (255 when unknown), settle', () => {
  const now = at(5000);
  const table: [what: string, f: Partial<LifecycleFacts>, state: RecordedState, rt: RuntimeStatus, ex: ExitFacts | undefined, want: unknown][] = [
    ['a running process is adopted', {}, running, 'running', undefined, { action: 'adopt', markStarted: false, paused: false }],
    ['a paused one too, and stays paused', {}, running, 'paused', undefined, { action: 'adopt', markStarted: false, paused: true }],
    ['... whatever its policy: it is not restarted', { policy: policy('always') }, running, 'paused', undefined,
      { action: 'adopt', markStarted: false, paused: true }],
    ['a start cut short after runc start is adopted as started', {}, created, 'running', undefined, { action: 'adopt', markStarted: true, paused: false }],
    ['a pending restart that runs is adopted as started', {}, restarting, 'running', undefined, { action: 'adopt', markStarted: true, paused: false }],
    ['ended while away: conmon\'s exit code', {}, running, 'stopped', exit(3, 4000),
      { action: 'ended', exit: exit(3, 4000), decision: { action: 'stop', autoRemove: false, backoff: { delayMs: 100, cancelled: false } } }],
    ['ended without an exit file: 255, now', {}, running, undefined, undefined,
      { action: 'ended', exit: { exitCode: 255, finishedAt: now, oomKilled: false }, decision: { action: 'stop', autoRemove: false, backoff: { delayMs: 100, cancelled: false } } }],
    ['ended with always: restarted', { policy: policy('always') }, running, 'stopped', exit(0, 4000),
      { action: 'ended', exit: exit(0, 4000), decision: { action: 'restart', delayMs: 100, backoff: { delayMs: 100, cancelled: false } } }],
    ['ended with --rm: removed', { autoRemove: true }, running, undefined, exit(0, 4000),
      { action: 'ended', exit: exit(0, 4000), decision: { action: 'stop', autoRemove: true, backoff: { delayMs: 100, cancelled: false } } }],
    ['a pending restart is started', {}, restarting, undefined, undefined, { action: 'settle', then: 'start' }],
    ['stopped, no policy: left alone', {}, stopped, undefined, undefined, { action: 'settle', recordExit: undefined, then: 'none' }],
    ['stopped, always: started at boot', { policy: policy('always') }, stopped, undefined, undefined, { action: 'settle', recordExit: undefined, then: 'start' }],
    ['stopped by hand, unless-stopped: left alone', { policy: policy('unless-stopped'), manuallyStopped: true }, stopped, undefined, undefined,
      { action: 'settle', recordExit: undefined, then: 'none' }],
    ['stopped, unless-stopped: started', { policy: policy('unless-stopped') }, stopped, undefined, undefined,
      { action: 'settle', recordExit: undefined, then: 'start' }],
    ['never started, always: left alone', { policy: policy('always'), hasBeenStartedBefore: false }, created, undefined, undefined,
      { action: 'settle', recordExit: undefined, then: 'none' }],
    ['stopped --rm: removed', { autoRemove: true }, stopped, undefined, undefined, { action: 'settle', recordExit: undefined, then: 'auto-remove' }],
    ['a cut-short start whose process ended: its exit is recorded', { hasBeenStartedBefore: false }, created, 'stopped', exit(4, 4000),
      { action: 'settle', recordExit: exit(4, 4000), then: 'none' }],
    ['... and on-failure starts it again', { hasBeenStartedBefore: false, policy: policy('on-failure') }, created, 'stopped', exit(4, 4000),
      { action: 'settle', recordExit: exit(4, 4000), then: 'start' }],
    ['an exit older than the record is ignored', {}, stopped, 'stopped', exit(4, -2000), { action: 'settle', recordExit: undefined, then: 'none' }],
    ['a recorded exit ends a pending restart', {}, restarting, 'stopped', exit(0, 4000), { action: 'settle', recordExit: exit(0, 4000), then: 'none' }],
  ];
  for (const [what, f, state, rt, ex, want] of table) {
    assert.deepEqual(decideAtDaemonStart(facts(f), state, rt, ex, now), want, what);
  }
});

test('signalCancelsRestart: any signal without a stop signal, else SIGKILL or the stop signal', () => {
  const table: [signal: number, stopSignal: string | undefined, want: boolean][] = [
    [15, undefined, true], [10, undefined, true], [9, 'SIGUSR1', true], [10, 'SIGUSR1', true], [10, 'usr1', true],
    [15, 'SIGUSR1', false], [15, 'NOPE', false], [9, 'NOPE', true],
  ];
  for (const [signal, stop, want] of table) assert.equal(signalCancelsRestart(signal, stop), want, `${signal} ${stop}`);
});
