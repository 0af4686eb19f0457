import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

test('parseGoDuration reads what Go\'s time.ParseDuration reads', () => {
  const table: [string, number][] = [
    ['0', 0], ['1s', 1e9], ['500ms', 5e8], ['1m30s', 90e9], ['1.5s', 1.5e9], ['.5s', 5e8], ['2h', 7200e9],
    ['100us', 1e5], ['100µs', 1e5], ['3ns', 3], ['-1s', -1e9], ['+2m', 120e9], ['1h2m3.5s', 3723.5e9],
  ];
  for (const [text, ns] of table) assert.equal(parseGoDuration(text), ns, text);
});

test('parseGoDuration refuses with Go\'s words', () => {
  assert.throws(() => parseGoDuration('abc'), { message: 'time: invalid duration "abc"' });
  assert.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
  assert.throws(() => parseGoDuration('10'), { message: 'time: missing unit in duration "10"' });
  assert.throws(() => parseGoDuration('1d'), { message: 'time: unknown unit "d" in duration "1d"' });
});

test('formatGoDuration prints as Go\'s Duration.String()', () => {
  const table: [number, string][] = [
    [0, '0s'], [1, '1ns'], [1e6, '1ms'], [1.5e6, '1.5ms'], [5e8, '500ms'], [1e9, '1s'], [1.5e9, '1.5s'],
    [90e9, '1m30s'], [3600e9, '1h0m0s'], [3723.5e9, '1h2m3.5s'], [-2e9, '-2s'], [2500, '2.5µs'],
  ];
  for (const [ns, text] of table) assert.equal(formatGoDuration(ns), text, String(ns));
});
