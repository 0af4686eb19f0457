// The S3 driver against a real S3 server (Ceph radosgw, started here): the shared driver suite, then
// two registry instances sharing one bucket, blob downloads redirected to the storage (and not, with
// storage.redirect.disable), then a stalled request given up and sent again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { S3Driver } from '../../../src/registry/storage/s3.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';
import { startTestRegistry } from '../helpers/registry.js';
import { pushImage, randomBlob, req } from '../helpers/client.js';
import { driverSuite } from './driver-suite.js';

let s3: S3Server;
before(async () => {
  s3 = await startS3Server();
  await s3.createBucket('suite');
  await s3.createBucket('shared');
}, { timeout: 660_000 });
after(async () => { await s3?.stop(); });

driverSuite('s3 (radosgw)', {
  async create() {
    return new S3Driver({
      bucket: 'suite', region: s3.region, regionendpoint: s3.endpoint, accesskey: s3.accessKey, secretkey: s3.secretKey,
      rootdirectory: '/registry', chunksize: 5 * 1024 * 1024,
    });
  },
});

function s3Env(bucket: string): Record<string, string> {
  return {
    REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: bucket, REGISTRY_STORAGE_S3_REGION: s3.region,
    REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
    REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'true',
    REGISTRY_HUB_ENABLED: 'false',
  };
}

/** GET of a blob: the registry's 307 to the storage, followed as docker and skopeo follow it. */
async function fetchBlob(c: { url: string; headers: Record<string, string> }, path: string): Promise<Buffer> {
  const res = await req(c, 'GET', path);
  assert.equal(res.status, 307, await res.text());
  const followed = await fetch(res.headers.get('location')!);
  assert.equal(followed.status, 200);
  return Buffer.from(await followed.arrayBuffer());
}

describe('registries sharing one bucket', () => {
  it('an image pushed through one instance is pulled through another', async () => {
    const env = s3Env('shared');
    const a = await startTestRegistry(env);
    const b = await startTestRegistry(env);
    try {
      const layer = randomBlob(7 * 1024 * 1024);
      const img = await pushImage({ url: a.url, headers: {} }, 'team/app', '1.0', { layers: [layer] });
      // A chunked upload whose chunks go to different instances.
      const data = randomBlob(64 * 1024);
      let res = await req({ url: a.url, headers: {} }, 'POST', '/v2/team/app/blobs/uploads/');
      const location = res.headers.get('location')!;
      res = await req({ url: a.url, headers: {} }, 'PATCH', location, { body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } });
      assert.equal(res.status, 202);
      res = await req({ url: b.url, headers: {} }, 'PATCH', location, { body: data.subarray(1000), headers: { 'Content-Range': `1000-${data.length - 1}` } });
      assert.equal(res.status, 202);
      const { createHash } = await import('node:crypto');
      const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
      res = await req({ url: a.url, headers: {} }, 'PUT', `${location}?digest=${digest}`);
      assert.equal(res.status, 201);

      const bc = { url: b.url, headers: {} };
      res = await req(bc, 'GET', '/v2/team/app/manifests/1.0');
      assert.equal(await res.text(), img.body);
      assert.deepEqual(await fetchBlob(bc, `/v2/team/app/blobs/${img.layers[0]}`), layer);
      assert.deepEqual(await fetchBlob(bc, `/v2/team/app/blobs/${digest}`), data);
      res = await req(bc, 'GET', '/v2/_catalog');
      assert.deepEqual(await res.json(), { repositories: ['team/app'] });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('blob downloads answered by the storage (storage.redirect)', () => {
  it('a blob GET is a 307 to a presigned URL of the storage, valid 20 minutes: the bytes and ranges come from there; HEAD is answered by the registry', async () => {
    const r = await startTestRegistry(s3Env('shared'));
    try {
      const c = { url: r.url, headers: {} };
      const layer = randomBlob(3 * 1024 * 1024);
      const img = await pushImage(c, 'redirect/app', '1.0', { layers: [layer] });
      const path = `/v2/redirect/app/blobs/${img.layers[0]}`;
      const res = await req(c, 'GET', path);
      assert.equal(res.status, 307);
      assert.equal(res.headers.get('docker-content-digest'), img.layers[0]);
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.origin, new URL(s3.endpoint).origin);
      assert.equal(location.searchParams.get('X-Amz-Expires'), '1200');
      assert.ok(location.searchParams.get('X-Amz-Signature'));
      assert.deepEqual(await fetchBlob(c, path), layer);
      const range = await fetch(location, { headers: { Range: 'bytes=1000-1999' } });
      assert.equal(range.status, 206);
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), layer.subarray(1000, 2000));

      const head = await req(c, 'HEAD', path);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(layer.length));
      assert.equal(head.headers.get('docker-content-digest'), img.layers[0]);
      // A blob the repository does not link is unknown there: no URL is given out for it.
      const other = await req(c, 'GET', `/v2/redirect/other/blobs/${img.layers[0]}`);
      assert.equal(other.status, 404);
      assert.equal(other.headers.get('location'), null);
      // The URL is signed: altered, the storage refuses it.
      location.searchParams.set('X-Amz-Expires', '100000');
      assert.equal((await fetch(location)).status, 403);
    } finally {
      await r.stop();
    }
  });

  it('with storage.redirect.disable: true (REGISTRY_STORAGE_REDIRECT_DISABLE) the registry serves the bytes itself', async () => {
    const r = await startTestRegistry({ ...s3Env('shared'), REGISTRY_STORAGE_REDIRECT_DISABLE: 'true' });
    try {
      const c = { url: r.url, headers: {} };
      const layer = randomBlob(1024 * 1024);
      const img = await pushImage(c, 'redirect/served', '1.0', { layers: [layer] });
      const res = await req(c, 'GET', `/v2/redirect/served/blobs/${img.layers[0]}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), layer);
      assert.deepEqual(r.registry.config.warnings, []);
    } finally {
      await r.stop();
    }
  });
});

describe('a storage that stalls a request', () => {
  it('the request is given up and sent again: the write and the read go through, no request waits forever', { timeout: 60_000 }, async () => {
    // In front of radosgw: the first connection is taken and never answered, the others are relayed.
    const target = new URL(s3.endpoint);
    const held: Socket[] = [];
    let connections = 0;
    const front = createServer((client) => {
      if (connections++ === 0) {
        held.push(client);
        client.on('error', () => client.destroy());
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const driver = new S3Driver({
        bucket: 'suite', region: s3.region, regionendpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
        accesskey: s3.accessKey, secretkey: s3.secretKey, rootdirectory: '/stall', answerTimeoutMs: 1000,
      });
      const data = randomBlob(4096);
      await driver.putContent('/first', data);
      assert.deepEqual(await driver.getContent('/first'), data);
      assert.ok(connections >= 2, 'the stalled connection was left for another');
      driver.client.destroy();
    } finally {
      for (const c of held) c.destroy();
      front.close();
    }
  });
});
