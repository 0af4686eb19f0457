// `gc:` in config.yml: its checks, and a background collection in a serving registry that deletes an
// untagged image and tells the hub its repository is gone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/registry/base/config.js';
import { startTestRegistry } from './helpers/registry.js';
import { randomBlob, req, type Client } from './helpers/client.js';
import { makeImage, pushBlobs, putManifest } from './helpers/gc-images.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gc: in config.yml', () => {
  it('is off unless gc.interval is set; durations are Go durations; options without a schedule are refused', () => {
    assert.equal(loadConfig(undefined, {}).gc, undefined);
    assert.equal(loadConfig(undefined, {}).gcGraceMs, 3600_000);
    assert.deepEqual(loadConfig(undefined, { REGISTRY_GC_INTERVAL: '20s', REGISTRY_GC_GRACE: '1m30s', REGISTRY_GC_DELETEUNTAGGED: 'true' }).gc,
      { intervalMs: 20_000, graceMs: 90_000, dryRun: false, deleteUntagged: true });
    assert.equal(loadConfig(undefined, { REGISTRY_GC_GRACE: '10m' }).gcGraceMs, 600_000);
    assert.throws(() => loadConfig(undefined, { REGISTRY_GC_INTERVAL: '20' }), (e: Error) => e instanceof ConfigError && /gc.interval: time: missing unit/.test(e.message));
    assert.throws(() => loadConfig(undefined, { REGISTRY_GC_INTERVAL: '0s' }), /gc.interval must be positive/);
    assert.throws(() => loadConfig(undefined, { REGISTRY_GC_DRYRUN: 'true' }), /gc.dryrun needs gc.interval/);
  });

  it('a serving registry collects in the background: the untagged image goes, the tagged one stays, the hub forgets the emptied repository', async () => {
    const reg = await startTestRegistry({
      REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_GC_INTERVAL: '300ms', REGISTRY_GC_GRACE: '1s', REGISTRY_GC_DELETEUNTAGGED: 'true',
    });
    const c: Client = { url: reg.url, headers: {} };
    try {
      const gone = makeImage([randomBlob(3000)]);
      const kept = makeImage([randomBlob(3000)]);
      await pushBlobs(c, 'sched/gone', gone);
      assert.deepEqual(await putManifest(c, 'sched/gone', 'v1', gone), { status: 201 });
      await pushBlobs(c, 'sched/kept', kept);
      assert.deepEqual(await putManifest(c, 'sched/kept', 'v1', kept), { status: 201 });
      let res = await req(c, 'GET', '/v2/repositories/sched/gone/');
      assert.equal(res.status, 200, 'the hub knows the pushed repository');
      await res.arrayBuffer();
      res = await req(c, 'DELETE', '/v2/sched/gone/manifests/v1');
      assert.equal(res.status, 202);
      await res.arrayBuffer();

      let catalog: string[] = [];
      for (let i = 0; i < 100; i++) {
        await sleep(200);
        res = await req(c, 'GET', '/v2/_catalog');
        catalog = (await res.json() as { repositories: string[] }).repositories;
        if (!catalog.includes('sched/gone')) break;
      }
      assert.deepEqual(catalog, ['sched/kept'], 'the collection deleted the untagged manifest and its repository');
      for (const digest of gone.blobs) {
        res = await req(c, 'HEAD', `/v2/sched/kept/blobs/${digest}`);
        assert.equal(res.status, 404);
      }
      res = await req(c, 'GET', '/v2/repositories/sched/gone/');
      assert.equal(res.status, 404, 'the hub forgot the repository');
      await res.arrayBuffer();
      res = await req(c, 'GET', '/v2/sched/kept/manifests/v1');
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      for (const digest of kept.blobs) {
        res = await req(c, 'HEAD', `/v2/sched/kept/blobs/${digest}`);
        assert.equal(res.status, 200, `kept blob ${digest}`);
      }
    } finally {
      await reg.stop();
    }
  });
});
