import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecords } from './attach-log.js';

test('k8s-file lines become output records: F restores the newline, P passes on at once', () => {
  const log = Buffer.from([
    '2024-01-02T03:04:05.000000001+00:00 stdout F hello',
    '2024-01-02T03:04:05.000000002+00:00 stdout P / # ',
    '2024-01-02T03:04:05.000000003+00:00 stderr F oops',
    '2024-01-02T03:04:05.000000004+00:00 stdout F',
    '2024-01-02T03:04:05.000000005+00:00 stdout F incompl',
  ].join('\n'));
  const { records, rest } = parseRecords(log);
  assert.deepEqual(records.map((r) => [r.stream, r.data.toString()]), [
    [1, 'hello\n'], [1, '/ # '], [2, 'oops\n'], [1, '\n'],
  ]);
  assert.equal(rest.toString(), '2024-01-02T03:04:05.000000005+00:00 stdout F incompl');
});

test('records are copies, not views of a buffer the reader reuses', () => {
  const buf = Buffer.from('2024-01-02T03:04:05.000000001+00:00 stdout P abc\n');
  const { records } = parseRecords(buf);
  buf.fill(0);
  assert.equal(records[0]!.data.toString(), 'abc');
});
