import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

// berthd's idle memory: the packages it may never need load at their first use (lazyModule), so
// loading the engine and its whole route table must not load them.
const LAZY = ['undici', 'ws', 'tar-stream', 'dns-packet', '@aws-sdk'];

test('loading the engine and its API routes loads none of the lazily used packages', () => {
  const script = `
    import { createRequire } from 'node:module';
    await import('./src/engine/services/engine.ts');
    await import('./src/engine/api/server.ts');
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(cache.map((k) => k.split('node_modules/').pop())));
  `;
  const loaded = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  })) as string[];
  assert.ok(loaded.length > 0, 'the probe sees the CommonJS module cache');
  assert.deepEqual(LAZY.filter((pkg) => loaded.some((path) => path.startsWith(`${pkg}/`))), []);
});
