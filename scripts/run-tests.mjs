#!/usr/bin/env node
// Runs every *.test.ts under test/ and src/ with node's built-in test runner (TypeScript through tsx).
// Arguments narrow the run to files whose path contains one of them: `npm test -- registry`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { snapshot, newSince } from './leftovers.mjs';

function collect(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...collect('test', []), ...collect('src', [])]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files match', filters.join(' '));
  process.exit(1);
}
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '2';
const before = snapshot();
const result = spawnSync(process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit' });
// Tests clean up all they create: anything of Berth's that appeared during the run and is still
// here is a leak, and fails the run.
const leaked = newSince(before, snapshot());
if (leaked.length > 0) {
  console.error(`\nleft behind by the tests (${leaked.length}):\n  ${leaked.join('\n  ')}`);
  process.exit(result.status || 1);
}
process.exit(result.status ?? 1);
