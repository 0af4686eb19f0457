// The S3 driver against a real S3 server (Ceph radosgw, started here): the shared driver suite, then
// two registry instances sharing one bucket, then a stalled request given up and sent again.
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

describe('registries sharing one bucket', () => {
  it('an image pushed through one instance is pulled through another', async () => {
    const env = {
      REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'shared', REGISTRY_STORAGE_S3_REGION: s3.region,
      REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
      REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'true',
      REGISTRY_HUB_ENABLED: 'false',
    };
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
      res = await req(bc, 'GET', `/v2/team/app/blobs/${img.layers[0]}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), layer);
      res = await req(bc, 'GET', `/v2/team/app/blobs/${digest}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
      res = await req(bc, 'GET', '/v2/_catalog');
      assert.deepEqual(await res.json(), { repositories: ['team/app'] });
    } finally {
      await a.stop();
      await b.stop();
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
