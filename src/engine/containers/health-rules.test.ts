import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthState } from './container-types.js';
import { checkHealthcheck, healthTimings, mergeHealthcheck, probeCommand } from './health-config.js';
import { applyProbeResult, healthFilterValue, healthText, nextProbeDelay, startingHealth, type ProbeResult } from './health-rules.js';
import { initialState, setRunning, setStopped, statusText } from './container-state.js';
import { LimitedOutput } from '../runtime/health-probe.js';

const S = 1e9;
const MS = 1e6;
const T0 = Date.parse('2030-01-01T00:00:00Z');
const result = (atMs: number, exitCode: number, output = ''): ProbeResult => ({
  start: new Date(T0 + atMs), end: new Date(T0 + atMs + 10), exitCode, output,
});

test('create: Healthcheck is checked as dockerd checks it, with its words', () => {
  const refused: [unknown, string][] = [
    [{ Interval: -10 * MS }, 'Interval in Healthcheck cannot be less than 1ms'],
    [{ Interval: 500_000 }, 'Interval in Healthcheck cannot be less than 1ms'],
    [{ Timeout: -100 * MS }, 'Timeout in Healthcheck cannot be less than 1ms'],
    [{ Retries: -10 }, 'Retries in Healthcheck cannot be negative'],
    [{ StartPeriod: 5 }, 'StartPeriod in Healthcheck cannot be less than 1ms'],
    [{ StartInterval: 999_999 }, 'StartInterval in Healthcheck cannot be less than 1ms'],
    [{ Interval: '1s' }, 'json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
    [{ Test: 'true' }, 'json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Test of type []string'],
    [{ Retries: 1.5 }, 'json: cannot unmarshal number into Go struct field HealthConfig.Healthcheck.Retries of type int'],
  ];
  for (const [body, message] of refused) assert.throws(() => checkHealthcheck(body), { message }, JSON.stringify(body));
  // Zero means "the default" and is left out, as Go's omitempty shows it.
  assert.deepEqual(checkHealthcheck({ Test: ['CMD', 'true'], Interval: 0, Timeout: 1 * MS, Retries: 0, StartPeriod: 0 }),
    { Test: ['CMD', 'true'], Timeout: 1 * MS });
  assert.equal(checkHealthcheck(null), undefined);
});

test('merge: the image HEALTHCHECK under the user\'s, field by field (moby merge)', () => {
  const image = { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 10 * S, Retries: 5 };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Interval: 2 * S }, image), { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 2 * S, Retries: 5 });
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image), { Test: ['NONE'], Interval: 10 * S, Retries: 5 });
  assert.deepEqual(mergeHealthcheck({ Test: ['CMD', 'true'] }, undefined), { Test: ['CMD', 'true'] });
});

test('probe command: CMD as is, CMD-SHELL through the Shell or /bin/sh -c; none for NONE, empty or unknown', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'cat', '/ok'] }, undefined), ['cat', '/ok']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'test -f /ok'] }, undefined), ['/bin/sh', '-c', 'test -f /ok']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'x'] }, ['/bin/ash', '-e', '-c']), ['/bin/ash', '-e', '-c', 'x']);
  for (const health of [undefined, {}, { Test: ['NONE'] }, { Test: ['HTTP', 'x'] }, { Interval: S }]) {
    assert.equal(probeCommand(health, undefined), undefined, JSON.stringify(health));
  }
});

test('timings: dockerd\'s defaults (30s, 30s, no start period, 5s start interval, 3 retries)', () => {
  assert.deepEqual(healthTimings(undefined), { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 });
  assert.deepEqual(healthTimings({ Interval: 1500 * MS, Timeout: 2 * MS, StartPeriod: 60 * S, StartInterval: S, Retries: 1 }),
    { intervalMs: 1500, timeoutMs: 2, startPeriodMs: 60_000, startIntervalMs: 1000, retries: 1 });
});

test('results: success is healthy at once; `retries` failures in a row are unhealthy; status changes are reported once', () => {
  const timings = healthTimings({ Retries: 2 });
  const h = startingHealth(undefined);
  assert.equal(applyProbeResult(h, result(0, 1), timings, T0), undefined);
  assert.deepEqual([h.Status, h.FailingStreak], ['starting', 1]);
  assert.equal(applyProbeResult(h, result(1000, 0), timings, T0), 'healthy');
  assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
  assert.equal(applyProbeResult(h, result(2000, 1), timings, T0), undefined);
  assert.equal(applyProbeResult(h, result(3000, 2), timings, T0), 'unhealthy');
  assert.equal(applyProbeResult(h, result(4000, -1), timings, T0), undefined);
  assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 3]);
  assert.equal(applyProbeResult(h, result(5000, 0), timings, T0), 'healthy');
});

test('results: the log keeps the last five, oldest first, with times, exit codes and output', () => {
  const h = startingHealth(undefined);
  for (let i = 0; i < 7; i++) applyProbeResult(h, result(i * 1000, i % 2, `run ${i}\n`), healthTimings(undefined), T0);
  assert.deepEqual(h.Log.map((e) => e.Output), ['run 2\n', 'run 3\n', 'run 4\n', 'run 5\n', 'run 6\n']);
  assert.deepEqual(h.Log[0], { Start: '2030-01-01T00:00:02.000Z', End: '2030-01-01T00:00:02.010Z', ExitCode: 0, Output: 'run 2\n' });
});

test('start period: failures while starting do not count within it; after it, or once healthy, they do', () => {
  const timings = healthTimings({ StartPeriod: 10 * S, Retries: 1 });
  const h = startingHealth(undefined);
  assert.equal(applyProbeResult(h, result(9_000, 1), timings, T0), undefined);
  assert.deepEqual([h.Status, h.FailingStreak], ['starting', 0]);
  assert.equal(applyProbeResult(h, result(10_000, 1), timings, T0), 'unhealthy');

  const healthy = startingHealth(undefined);
  applyProbeResult(healthy, result(1000, 0), timings, T0);
  assert.equal(applyProbeResult(healthy, result(2000, 1), timings, T0), 'unhealthy', 'a healthy container counts failures in its start period');
});

test('next probe: interval after the start period; within it the start interval while starting, or the rest of it when shorter', () => {
  const t = healthTimings({ Interval: 30 * S, StartPeriod: 60 * S, StartInterval: 2 * S });
  assert.equal(nextProbeDelay(0, t, 'starting'), 2000);
  assert.equal(nextProbeDelay(0, t, 'healthy'), 30_000);
  // 20 s of the start period left, shorter than the interval: dockerd probes when it ends (even while starting).
  assert.equal(nextProbeDelay(40_000, t, 'starting'), 20_000);
  assert.equal(nextProbeDelay(60_000, t, 'starting'), 30_000);
  assert.equal(nextProbeDelay(5_000, healthTimings({ Interval: S }), 'starting'), 1000);
  assert.equal(nextProbeDelay(0, healthTimings(undefined), 'starting'), 30_000, 'no start period: the interval from the start');
});

test('ps and inspect: the STATUS words, the filter value, and the state across stop and start', () => {
  const s = initialState();
  assert.equal(healthFilterValue(s.health), 'none');
  setRunning(s, 42, new Date(T0));
  s.health = startingHealth(undefined);
  assert.equal(statusText(s, T0 + 5000), 'Up 5 seconds (health: starting)');
  applyProbeResult(s.health, result(1000, 0), healthTimings(undefined), T0);
  assert.equal(statusText(s, T0 + 5000), 'Up 5 seconds (healthy)');
  assert.equal(healthText(s.health), 'healthy');
  setStopped(s, { exitCode: 137, finishedAt: new Date(T0 + 6000), oomKilled: false });
  assert.deepEqual([s.health.Status, s.health.Log.length, healthFilterValue(s.health)], ['unhealthy', 1, 'unhealthy']);
  assert.equal(statusText(s, T0 + 7000), 'Exited (137) 1 second ago');
  setRunning(s, 43, new Date(T0 + 8000));
  const h = s.health as HealthState;
  assert.deepEqual([h.Status, h.FailingStreak, h.Log.length], ['starting', 0, 1], 'a new run starts over and keeps the log');
});

test('probe output: the first 4096 bytes of stdout and stderr together, "..." when cut', () => {
  const out = new LimitedOutput(4096);
  out.write(Buffer.from('a'.repeat(4000)));
  out.write(Buffer.from('b'.repeat(200)));
  const text = out.toString();
  assert.equal(text.length, 4099);
  assert.ok(text.endsWith('b'.repeat(96) + '...'));
  const short = new LimitedOutput(4096);
  short.write(Buffer.from('ok\n'));
  assert.equal(short.toString(), 'ok\n');
});
