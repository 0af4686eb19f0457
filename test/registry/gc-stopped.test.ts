// A collection that stops mid-sweep leaves no tombstone in force: stopped (the schedule's stop, Ctrl-C),
// it removes its own; killed, the next registry start removes them. Either way a push that references
// the blobs it was about to delete succeeds, and the next collection works.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { garbageCollect } from '../../src/registry/gc.js';
import { ROOT, startTestRegistry, tempDir, type TestRegistry } from './helpers/registry.js';
import { randomBlob } from './helpers/client.js';
import { assertPulls, makeImage, pushBlobs, putManifest } from './helpers/gc-images.js';

const GRACE_MS = 1000;
const AGE_MS = GRACE_MS + 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every tombstone and run record under a storage root. */
function gcLeftovers(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((p) => p.split('/').pop()!.startsWith('gc-deleting.'));
}


describe('a garbage collection that stops mid-sweep', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => { for (const f of cleanup.reverse()) await f(); });

  it('stopped after writing its tombstones: deletes nothing, removes them, and a push of its blobs succeeds', async () => {
    const reg = await startTestRegistry();
    cleanup.push(() => reg.stop());
    const c = { url: reg.url, headers: {} };
    const image = makeImage([randomBlob(3000)]);
    await pushBlobs(c, 'stopped/app', image);
    await sleep(AGE_MS);
    const stop = new AbortController();
    let seen: string[] = [];
    const result = await garbageCollect(reg.registry, {
      gracePeriodMs: GRACE_MS, signal: stop.signal,
      onPhase: (phase) => { if (phase === 'tombstoned') { seen = gcLeftovers(reg.root); stop.abort(); } },
    });
    assert.ok(seen.length >= image.blobs.length, `tombstones were out when it stopped (${seen.length})`);
    assert.deepEqual(result.deletedBlobs, []);
    assert.deepEqual(gcLeftovers(reg.root), [], 'no tombstone or record left');
    // A tombstone in force would make this PUT wait 10 s, then fail with MANIFEST_BLOB_UNKNOWN.
    assert.deepEqual(await putManifest(c, 'stopped/app', 'v1', image), { status: 201 });
    await assertPulls(c, 'stopped/app', 'v1', image);
    // The next collection keeps the now referenced blobs and leaves nothing behind.
    const next = await garbageCollect(reg.registry, { gracePeriodMs: GRACE_MS });
    assert.deepEqual(next.deletedBlobs, []);
    assert.deepEqual(gcLeftovers(reg.root), []);
  });

  it('killed after writing its tombstones: the next registry start removes them and the push succeeds', async () => {
    const root = tempDir();
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    const env = { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root };
    let reg: TestRegistry | undefined = await startTestRegistry(env);
    const image = makeImage([randomBlob(4000)]);
    await pushBlobs({ url: reg.url, headers: {} }, 'killed/app', image);
    await reg.stop();
    reg = undefined;
    await sleep(AGE_MS);

    // A collector in a process of its own, killed once its tombstones are out.
    const script = `
      import { loadConfig } from ${JSON.stringify(join(ROOT, 'src/registry/base/config.ts'))};
      import { Registry, createDriver } from ${JSON.stringify(join(ROOT, 'src/registry/content/registry.ts'))};
      import { garbageCollect } from ${JSON.stringify(join(ROOT, 'src/registry/gc.ts'))};
      const config = loadConfig(undefined, { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: ${JSON.stringify(root)} });
      const registry = new Registry(config, await createDriver(config));
      await garbageCollect(registry, { gracePeriodMs: ${GRACE_MS}, onPhase: async (p) => {
        if (p === 'tombstoned') { console.log('tombstoned'); await new Promise(() => {}); }
      } });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => { out += d; if (out.includes('tombstoned')) resolve(); });
      child.stderr.on('data', (d) => { out += d; });
      child.once('exit', () => reject(new Error(`the collector exited before its tombstones were out: ${out}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    assert.ok(gcLeftovers(root).length >= image.blobs.length, 'the killed run left its tombstones');

    reg = await startTestRegistry(env);
    cleanup.push(() => reg?.stop());
    assert.deepEqual(gcLeftovers(root), [], 'the start removed the stopped run\'s tombstones and record');
    const c = { url: reg.url, headers: {} };
    assert.deepEqual(await putManifest(c, 'killed/app', 'v1', image), { status: 201 });
    await assertPulls(c, 'killed/app', 'v1', image);
    const next = await garbageCollect(reg.registry, { gracePeriodMs: GRACE_MS });
    assert.deepEqual(next.deletedBlobs, []);
    assert.deepEqual(gcLeftovers(root), []);
  });
});
