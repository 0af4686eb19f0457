// Garbage collection while pushes go on, on the filesystem and on S3 (radosgw): a push whose blobs
// were uploaded before the collector's mark and whose manifest arrives during the sweep either keeps
// its blobs (the collector sees the manifest) or fails with MANIFEST_BLOB_UNKNOWN and leaves nothing
// behind — never a manifest whose blob is gone. The collector's phase hook places the manifest PUT at
// each point of the run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { garbageCollect, type GcPhase } from '../../src/registry/gc.js';
import { layout } from '../../src/registry/content/layout.js';
import { startTestRegistry, type TestRegistry } from './helpers/registry.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';
import { randomBlob, req, type Client } from './helpers/client.js';
import { assertPulls, makeImage, pushBlobs, putManifest, type TestImage } from './helpers/gc-images.js';

const GRACE_MS = 1000;
/** Older than the grace period, also by S3's clock (LastModified has whole seconds). */
const AGE_MS = GRACE_MS + 1300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPath(reg: TestRegistry, path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try { await reg.registry.driver.stat(path); return; } catch { await sleep(25); }
  }
  throw new Error(`${path} never appeared`);
}

function onlineSuite(label: string, start: () => Promise<TestRegistry>): void {
  describe(`online garbage collection (${label})`, () => {
    let reg: TestRegistry;
    let c: Client;
    before(async () => {
      reg = await start();
      c = { url: reg.url, headers: {} };
    });
    after(async () => { await reg?.stop(); });

    /** Blobs pushed and aged, then a collection with the manifest PUT started at `phase`. */
    async function pushDuring(name: string, phase: GcPhase, awaitPut: boolean): Promise<{ image: TestImage; put: { status: number; code?: string }; rescued: string[] }> {
      const image = makeImage([randomBlob(3000), randomBlob(5000)]);
      await pushBlobs(c, name, image);
      await sleep(AGE_MS);
      let put: Promise<{ status: number; code?: string }> | undefined;
      const result = await garbageCollect(reg.registry, {
        gracePeriodMs: GRACE_MS,
        onPhase: async (p) => {
          if (p !== phase) return;
          put = putManifest(c, name, 'v1', image);
          // Before the rescan, the PUT must have written its revision link (the collector then sees it);
          // after it, the PUT goes on alone.
          if (awaitPut) await put;
          else if (phase === 'tombstoned') await waitForPath(reg, layout.manifestRevisionLink(name, image.digest));
        },
      });
      assert.ok(put, `the collector reached ${phase}`);
      return { image, put: await put, rescued: result.rescued };
    }

    it('a manifest PUT during the mark: its blobs are kept and it pulls', async () => {
      const { image, put } = await pushDuring('online/mark', 'marked', true);
      assert.deepEqual(put, { status: 201 });
      await assertPulls(c, 'online/mark', 'v1', image);
    });

    it('a manifest PUT after the tombstones, before the rescan: the collector keeps its blobs and the PUT succeeds', async () => {
      const { image, put, rescued } = await pushDuring('online/kept', 'tombstoned', false);
      assert.deepEqual(put, { status: 201 });
      for (const b of image.blobs) assert.ok(rescued.includes(`blob ${b}`), `blob ${b} kept for the push`);
      await assertPulls(c, 'online/kept', 'v1', image);
    });

    it('a manifest PUT after the collector decided: MANIFEST_BLOB_UNKNOWN, no tag, no manifest; pushing again works', async () => {
      const { image, put } = await pushDuring('online/late', 'rescanned', false);
      assert.deepEqual(put, { status: 400, code: 'MANIFEST_BLOB_UNKNOWN' });
      let res = await req(c, 'GET', '/v2/online/late/manifests/v1');
      assert.equal(res.status, 404);
      await res.arrayBuffer();
      res = await req(c, 'GET', `/v2/online/late/manifests/${image.digest}`);
      assert.equal(res.status, 404, 'no manifest whose blobs are gone');
      await res.arrayBuffer();
      await pushBlobs(c, 'online/late', image);
      assert.deepEqual(await putManifest(c, 'online/late', 'v1', image), { status: 201 });
      await assertPulls(c, 'online/late', 'v1', image);
    });

    it('a collection afterwards deletes what nothing references and keeps every tagged image', async () => {
      const orphan = makeImage([randomBlob(4000)]);
      await pushBlobs(c, 'online/orphan', orphan);
      await sleep(AGE_MS);
      const result = await garbageCollect(reg.registry, { gracePeriodMs: GRACE_MS });
      for (const b of orphan.blobs) assert.ok(result.deletedBlobs.includes(b), `orphan ${b} deleted`);
      const res = await req(c, 'GET', '/v2/_catalog');
      assert.deepEqual((await res.json() as { repositories: string[] }).repositories, ['online/kept', 'online/late', 'online/mark']);
    });
  });
}

onlineSuite('filesystem', () => startTestRegistry({ REGISTRY_HUB_ENABLED: 'false' }));

let s3: S3Server | undefined;
onlineSuite('s3 (radosgw)', async () => {
  s3 = await startS3Server();
  await s3.createBucket('gc-online');
  return startTestRegistry({
    REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'gc-online', REGISTRY_STORAGE_S3_REGION: s3.region,
    REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
    REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'true', REGISTRY_HUB_ENABLED: 'false',
  });
});
after(async () => { await s3?.stop(); });
