import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelMatches } from '../../src/lib/label-filter.js';

test('label filters match as Docker: key present, key=value exact, own labels only', () => {
  const labels = { app: 'web', tier: '', 'com.example.v': 'a=b' };
  const cases: [string, boolean][] = [
    ['app', true], ['app=web', true], ['app=db', false], ['tier', true], ['tier=', true],
    ['missing', false], ['missing=', false], ['com.example.v=a=b', true], ['constructor', false], ['toString=', false],
  ];
  for (const [filter, expected] of cases) assert.equal(labelMatches(labels, filter), expected, filter);
});
