// The OCI distribution API, requirement by requirement (docs/registry.md maps each to the spec).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestRegistry, type TestRegistry } from './helpers/registry.js';
import { errorCode, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, randomBlob, rawRequest, req, sha256, sha512, type Client } from './helpers/client.js';

let reg: TestRegistry;
let c: Client;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name)); else out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}
const blobFiles = () => filesUnder(join(reg.root, 'docker/registry/v2/blobs'));

before(async () => {
  reg = await startTestRegistry({ REGISTRY_STORAGE_DELETE_ENABLED: 'true' });
  c = { url: reg.url, headers: {} };
});
after(async () => { await reg.stop(); });

describe('determining support', () => {
  it('GET /v2/ answers 200 with the API version header', async () => {
    const res = await req(c, 'GET', '/v2/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    await res.arrayBuffer();
  });
});

describe('pull', () => {
  let image: Awaited<ReturnType<typeof pushImage>>;
  before(async () => { image = await pushImage(c, 'pull/app', 'v1', { layers: [randomBlob(10_000)] }); });

  it('GET manifest by tag returns the exact bytes, its media type and digest', async () => {
    const res = await req(c, 'GET', '/v2/pull/app/manifests/v1', { headers: { Accept: OCI_MANIFEST } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(res.headers.get('docker-content-digest'), image.digest);
    const body = await res.text();
    assert.equal(body, image.body);
    assert.equal(sha256(body), image.digest);
  });

  it('GET manifest by digest returns it', async () => {
    const res = await req(c, 'GET', `/v2/pull/app/manifests/${image.digest}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), image.body);
  });

  it('HEAD manifest gives digest and Content-Length, no body', async () => {
    const res = await req(c, 'HEAD', '/v2/pull/app/manifests/v1');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), image.digest);
    assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(image.body));
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  it('a missing manifest or repository is 404 MANIFEST_UNKNOWN', async () => {
    let res = await req(c, 'GET', '/v2/pull/app/manifests/nope');
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'MANIFEST_UNKNOWN');
    res = await req(c, 'GET', '/v2/no/such/repo/manifests/latest');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('GET and HEAD blob return the bytes, digest and length', async () => {
    const digest = image.layers[0];
    let res = await req(c, 'GET', `/v2/pull/app/blobs/${digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    const data = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(data), digest);
    res = await req(c, 'HEAD', `/v2/pull/app/blobs/${digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '10000');
  });

  it('a blob that is missing, or only in another repository, is 404 BLOB_UNKNOWN', async () => {
    let res = await req(c, 'GET', `/v2/pull/app/blobs/${sha256('nothing')}`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'BLOB_UNKNOWN');
    res = await req(c, 'GET', `/v2/pull/other/blobs/${image.layers[0]}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('Range requests return the bytes asked for (206), or 416 outside the blob', async () => {
    const digest = image.layers[0];
    const whole = Buffer.from(await (await req(c, 'GET', `/v2/pull/app/blobs/${digest}`)).arrayBuffer());
    let res = await req(c, 'GET', `/v2/pull/app/blobs/${digest}`, { headers: { Range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 100-199/10000');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(100, 200));
    res = await req(c, 'GET', `/v2/pull/app/blobs/${digest}`, { headers: { Range: 'bytes=9990-' } });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(9990));
    res = await req(c, 'GET', `/v2/pull/app/blobs/${digest}`, { headers: { Range: 'bytes=20000-' } });
    assert.equal(res.status, 416);
    await res.arrayBuffer();
  });
});

describe('push', () => {
  it('POST then PUT: 202 with a Location, then 201 with the blob Location', async () => {
    const data = randomBlob(5000);
    let res = await req(c, 'POST', '/v2/push/app/blobs/uploads/');
    assert.equal(res.status, 202);
    const location = res.headers.get('location')!;
    assert.match(location, /\/v2\/push\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
    res = await req(c, 'PUT', `${location}?digest=${sha256(data)}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/push/app/blobs/${sha256(data)}`);
    res = await req(c, 'GET', res.headers.get('location')!);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  });

  it('a single POST with digest stores the blob (201)', async () => {
    const data = randomBlob(3000);
    await pushBlob(c, 'push/app', data);
    const res = await req(c, 'HEAD', `/v2/push/app/blobs/${sha256(data)}`);
    assert.equal(res.status, 200);
  });

  it('chunked: PATCH with Content-Range answers 202 and Range; PUT closes; GET tells the offset', async () => {
    const data = randomBlob(30_000);
    let res = await req(c, 'POST', '/v2/push/chunked/blobs/uploads/', { headers: { 'Content-Length': '0' } });
    let location = res.headers.get('location')!;
    res = await req(c, 'PATCH', location, { body: data.subarray(0, 10_000), headers: { 'Content-Range': '0-9999', 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('range'), '0-9999');
    location = res.headers.get('location')!;
    res = await req(c, 'GET', location);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('range'), '0-9999');
    res = await req(c, 'PATCH', location, { body: data.subarray(10_000, 20_000), headers: { 'Content-Range': '10000-19999' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('range'), '0-19999');
    // The last chunk comes with the closing PUT.
    res = await req(c, 'PUT', `${res.headers.get('location')}?digest=${sha256(data)}`, { body: data.subarray(20_000), headers: { 'Content-Range': '20000-29999' } });
    assert.equal(res.status, 201);
    res = await req(c, 'GET', `/v2/push/chunked/blobs/${sha256(data)}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  });

  it('a chunk out of order is 416 and changes nothing; the upload resumes from GET status', async () => {
    const data = randomBlob(2000);
    let res = await req(c, 'POST', '/v2/push/order/blobs/uploads/');
    const location = res.headers.get('location')!;
    res = await req(c, 'PATCH', location, { body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } });
    assert.equal(res.status, 202);
    res = await req(c, 'PATCH', location, { body: data.subarray(1500), headers: { 'Content-Range': '1500-1999' } });
    assert.equal(res.status, 416);
    await res.arrayBuffer();
    res = await req(c, 'GET', location);
    assert.equal(res.headers.get('range'), '0-999');
    res = await req(c, 'PATCH', location, { body: data.subarray(1000), headers: { 'Content-Range': '1000-1999' } });
    assert.equal(res.status, 202);
    res = await req(c, 'PUT', `${location}?digest=${sha256(data)}`);
    assert.equal(res.status, 201);
  });

  it('a truncated chunk (shorter than its Content-Range) is refused and not kept', async () => {
    let res = await req(c, 'POST', '/v2/push/trunc/blobs/uploads/');
    const location = res.headers.get('location')!;
    res = await req(c, 'PATCH', location, { body: randomBlob(500), headers: { 'Content-Range': '0-999', 'Content-Length': '500' } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'SIZE_INVALID');
    res = await req(c, 'GET', location);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('range'), '0-0');
  });

  it('a chunk cut off by the client (connection dropped mid-body) is rolled back', async () => {
    let res = await req(c, 'POST', '/v2/push/cut/blobs/uploads/');
    const location = res.headers.get('location')!;
    res = await req(c, 'PATCH', location, { body: randomBlob(1000), headers: { 'Content-Range': '0-999' } });
    assert.equal(res.status, 202);
    const { request } = await import('node:http');
    const u = new URL(reg.url);
    await new Promise<void>((resolve) => {
      const r = request({ host: u.hostname, port: u.port, method: 'PATCH', path: location,
        headers: { 'Content-Length': '200000', 'Content-Range': '1000-200999' } });
      r.on('error', () => resolve());
      r.write(randomBlob(100_000), () => setTimeout(() => { r.destroy(); resolve(); }, 50));
    });
    // Until the server has rolled the cut chunk back, the upload is busy (400); then it continues at 1000.
    const first = randomBlob(1000);
    for (let i = 0; i < 100; i++) {
      res = await req(c, 'PATCH', location, { body: first, headers: { 'Content-Range': '1000-1999' } });
      if (res.status !== 400) break;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(res.status, 202, 'the cut chunk left nothing behind');
    assert.equal(res.headers.get('range'), '0-1999');
  });

  it('DELETE cancels an upload (204); it is then unknown (404 BLOB_UPLOAD_UNKNOWN)', async () => {
    let res = await req(c, 'POST', '/v2/push/cancel/blobs/uploads/');
    const location = res.headers.get('location')!;
    await req(c, 'PATCH', location, { body: randomBlob(100) });
    res = await req(c, 'DELETE', location);
    assert.equal(res.status, 204);
    res = await req(c, 'GET', location);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('a wrong digest is 400 DIGEST_INVALID and no blob is stored', async () => {
    const before = blobFiles().length;
    const data = randomBlob(100);
    let res = await req(c, 'POST', `/v2/push/wrong/blobs/uploads/?digest=${sha256('something else')}`, { body: data });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
    res = await req(c, 'POST', '/v2/push/wrong/blobs/uploads/?digest=sha256:1234', { body: data });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
    res = await req(c, 'POST', `/v2/push/wrong/blobs/uploads/?digest=md5:${'0'.repeat(32)}`, { body: data });
    assert.equal(res.status, 400);
    await res.arrayBuffer();
    assert.equal(blobFiles().length, before);
  });

  it('sha512 blobs are pushed (digest-algorithm) and pulled', async () => {
    const data = randomBlob(4000);
    let res = await req(c, 'POST', '/v2/push/sha512/blobs/uploads/?digest-algorithm=sha512');
    assert.equal(res.status, 202);
    res = await req(c, 'PATCH', res.headers.get('location')!, { body: data });
    res = await req(c, 'PUT', `${res.headers.get('location')}?digest=${sha512(data)}`);
    assert.equal(res.status, 201);
    res = await req(c, 'GET', `/v2/push/sha512/blobs/${sha512(data)}`);
    assert.equal(res.headers.get('docker-content-digest'), sha512(data));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  });

  it('mount from another repository is 201; an unknown blob starts an upload (202)', async () => {
    const data = randomBlob(700);
    const digest = await pushBlob(c, 'mount/src', data);
    let res = await req(c, 'POST', `/v2/mount/dst/blobs/uploads/?mount=${digest}&from=mount/src`);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/mount/dst/blobs/${digest}`);
    res = await req(c, 'GET', `/v2/mount/dst/blobs/${digest}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    res = await req(c, 'POST', `/v2/mount/dst/blobs/uploads/?mount=${sha256('absent')}&from=mount/src`);
    assert.equal(res.status, 202);
    assert.ok(res.headers.get('location'));
  });

  it('anonymous mount (no from) links a blob the registry holds', async () => {
    const digest = await pushBlob(c, 'mount/anon-src', randomBlob(300));
    const res = await req(c, 'POST', `/v2/mount/anon-dst/blobs/uploads/?mount=${digest}`);
    assert.equal(res.status, 201);
  });

  it('manifest PUT answers 201 with Location and digest; GET returns the same bytes', async () => {
    const img = await pushImage(c, 'push/manifest', 'latest');
    const res = await req(c, 'GET', `/v2/push/manifest/manifests/${img.digest}`);
    assert.equal(await res.text(), img.body);
  });

  it('a manifest naming missing blobs is 400 MANIFEST_BLOB_UNKNOWN and not stored', async () => {
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('missing config'), size: 14 },
      layers: [],
    });
    let res = await req(c, 'PUT', '/v2/push/missing/manifests/v1', { body, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_BLOB_UNKNOWN');
    res = await req(c, 'GET', '/v2/push/missing/manifests/v1');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('a manifest whose subject does not exist yet is accepted, with OCI-Subject', async () => {
    const subject = { mediaType: OCI_MANIFEST, digest: sha256('not pushed yet'), size: 10 };
    const img = await pushImage(c, 'push/subject', 'sig', { extra: { subject, artifactType: 'application/vnd.example.sig' } });
    const res = await req(c, 'HEAD', `/v2/push/subject/manifests/${img.digest}`);
    assert.equal(res.status, 200);
  });

  it('PUT by digest with tag parameters answers OCI-Tag for each tag', async () => {
    const img = await pushImage(c, 'push/tags', 'first');
    const res = await req(c, 'PUT', `/v2/push/tags/manifests/${img.digest}?tag=a&tag=b`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('oci-tag'), 'a, b');
    const tags = await (await req(c, 'GET', '/v2/push/tags/tags/list')).json() as { tags: string[] };
    assert.deepEqual(tags.tags, ['a', 'b', 'first']);
  });

  it('a manifest PUT by digest that does not match its body is DIGEST_INVALID', async () => {
    const img = await pushImage(c, 'push/bydigest', 'x');
    const res = await req(c, 'PUT', `/v2/push/bydigest/manifests/${sha256('other')}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
  });

  it('a manifest over 4 MiB is 413 and not stored; bad JSON is MANIFEST_INVALID', async () => {
    const before = blobFiles().length;
    const huge = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, annotations: { x: 'a'.repeat(4 * 1024 * 1024) } });
    let res = await req(c, 'PUT', '/v2/push/huge/manifests/v1', { body: huge, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 413);
    await res.arrayBuffer();
    res = await req(c, 'PUT', '/v2/push/huge/manifests/v1', { body: '{"schemaVersion": 2,', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_INVALID');
    res = await req(c, 'PUT', '/v2/push/huge/manifests/v1', { body: '{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST + '"}', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_INVALID');
    assert.equal(blobFiles().length, before);
  });

  it('an index whose manifests are missing is MANIFEST_BLOB_UNKNOWN; with them it is stored', async () => {
    const img = await pushImage(c, 'push/index', 'amd64');
    const index = (digest: string) => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
      { mediaType: OCI_MANIFEST, digest, size: Buffer.byteLength(img.body), platform: { os: 'linux', architecture: 'amd64' } },
    ] });
    let res = await req(c, 'PUT', '/v2/push/index/manifests/multi', { body: index(sha256('nope')), headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_BLOB_UNKNOWN');
    res = await req(c, 'PUT', '/v2/push/index/manifests/multi', { body: index(img.digest), headers: { 'Content-Type': OCI_INDEX } });
    assert.equal(res.status, 201);
    res = await req(c, 'GET', '/v2/push/index/manifests/multi', { headers: { Accept: `${OCI_INDEX}, ${OCI_MANIFEST}` } });
    assert.equal(res.headers.get('content-type'), OCI_INDEX);
    await res.arrayBuffer();
    // A client that only takes image manifests gets the linux/amd64 one.
    res = await req(c, 'GET', '/v2/push/index/manifests/multi', { headers: { Accept: OCI_MANIFEST } });
    assert.equal(res.headers.get('docker-content-digest'), img.digest);
    await res.arrayBuffer();
  });
});

describe('Docker media types', () => {
  it('stores Docker schema 2 manifests and manifest lists and serves them with their media type', async () => {
    const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
    const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
    const config = Buffer.from('{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = randomBlob(1234);
    const cd = await pushBlob(c, 'docker/app', config);
    const ld = await pushBlob(c, 'docker/app', layer);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: cd },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: ld }] });
    let res = await req(c, 'PUT', '/v2/docker/app/manifests/arm64', { body: manifest, headers: { 'Content-Type': DOCKER_MANIFEST } });
    assert.equal(res.status, 201);
    const list = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [
      { mediaType: DOCKER_MANIFEST, size: Buffer.byteLength(manifest), digest: sha256(manifest), platform: { architecture: 'arm64', os: 'linux' } },
    ] });
    res = await req(c, 'PUT', '/v2/docker/app/manifests/latest', { body: list, headers: { 'Content-Type': DOCKER_LIST } });
    assert.equal(res.status, 201);
    res = await req(c, 'GET', '/v2/docker/app/manifests/latest', { headers: { Accept: `${DOCKER_LIST}, ${DOCKER_MANIFEST}` } });
    assert.equal(res.headers.get('content-type'), DOCKER_LIST);
    assert.equal(await res.text(), list);
    res = await req(c, 'GET', '/v2/docker/app/manifests/arm64');
    assert.equal(res.headers.get('content-type'), DOCKER_MANIFEST);
    assert.equal(await res.text(), manifest);
    // A mediaType that contradicts the Content-Type, and a list entry without platform, are refused.
    res = await req(c, 'PUT', '/v2/docker/app/manifests/bad', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_INVALID');
    const noPlatform = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [
      { mediaType: DOCKER_MANIFEST, size: Buffer.byteLength(manifest), digest: sha256(manifest) }] });
    res = await req(c, 'PUT', '/v2/docker/app/manifests/bad', { body: noPlatform, headers: { 'Content-Type': DOCKER_LIST } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_INVALID');
  });
});

describe('content discovery', () => {
  before(async () => {
    const img = await pushImage(c, 'disc/app', 'b');
    for (const tag of ['a', 'c', 'd', 'e']) {
      const res = await req(c, 'PUT', `/v2/disc/app/manifests/${tag}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(res.status, 201);
    }
  });

  it('tags/list returns every tag in order', async () => {
    const res = await req(c, 'GET', '/v2/disc/app/tags/list');
    assert.deepEqual(await res.json(), { name: 'disc/app', tags: ['a', 'b', 'c', 'd', 'e'] });
  });

  it('n and last paginate, with a Link header while more remain; n=0 is empty without Link', async () => {
    let res = await req(c, 'GET', '/v2/disc/app/tags/list?n=2');
    assert.deepEqual((await res.json() as { tags: string[] }).tags, ['a', 'b']);
    assert.equal(res.headers.get('link'), '</v2/disc/app/tags/list?n=2&last=b>; rel="next"');
    res = await req(c, 'GET', '/v2/disc/app/tags/list?n=2&last=b');
    assert.deepEqual((await res.json() as { tags: string[] }).tags, ['c', 'd']);
    res = await req(c, 'GET', '/v2/disc/app/tags/list?n=2&last=d');
    assert.deepEqual((await res.json() as { tags: string[] }).tags, ['e']);
    assert.equal(res.headers.get('link'), null);
    res = await req(c, 'GET', '/v2/disc/app/tags/list?last=c');
    assert.deepEqual((await res.json() as { tags: string[] }).tags, ['d', 'e']);
    res = await req(c, 'GET', '/v2/disc/app/tags/list?n=0');
    assert.deepEqual((await res.json() as { tags: string[] }).tags, []);
    assert.equal(res.headers.get('link'), null);
  });

  it('tags/list of an unknown repository is 404 NAME_UNKNOWN', async () => {
    const res = await req(c, 'GET', '/v2/disc/none/tags/list');
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'NAME_UNKNOWN');
  });

  it('_catalog lists repositories with n/last and Link', async () => {
    let res = await req(c, 'GET', '/v2/_catalog');
    const all = (await res.json() as { repositories: string[] }).repositories;
    assert.ok(all.includes('disc/app') && all.includes('pull/app'));
    assert.deepEqual(all, [...all].sort());
    res = await req(c, 'GET', '/v2/_catalog?n=1');
    assert.deepEqual((await res.json() as { repositories: string[] }).repositories, [all[0]]);
    assert.equal(res.headers.get('link'), `</v2/_catalog?n=1&last=${encodeURIComponent(all[0])}>; rel="next"`);
  });

  it('referrers lists manifests with that subject, with artifactType, filterable', async () => {
    const subject = await pushImage(c, 'refs/app', 'v1');
    const subjectDesc = { mediaType: OCI_MANIFEST, digest: subject.digest, size: Buffer.byteLength(subject.body) };
    const sbom = await pushImage(c, 'refs/app', 'sbom', { extra: { subject: subjectDesc, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example': 'x' } } });
    const sig = await pushImage(c, 'refs/app', 'sig', { extra: { subject: subjectDesc, artifactType: 'application/vnd.example.sig' } });
    let res = await req(c, 'GET', `/v2/refs/app/referrers/${subject.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), OCI_INDEX);
    const index = await res.json() as { manifests: Array<{ digest: string; artifactType: string; annotations?: Record<string, string> }> };
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sbom.digest, sig.digest].sort());
    assert.equal(index.manifests.find((m) => m.digest === sbom.digest)!.annotations!['org.example'], 'x');
    res = await req(c, 'GET', `/v2/refs/app/referrers/${subject.digest}?artifactType=application/vnd.example.sig`);
    assert.equal(res.headers.get('oci-filters-applied'), 'artifactType');
    const filtered = await res.json() as { manifests: Array<{ digest: string }> };
    assert.deepEqual(filtered.manifests.map((m) => m.digest), [sig.digest]);
    res = await req(c, 'GET', `/v2/refs/app/referrers/${sha256('no referrers')}`);
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json() as { manifests: unknown[] }).manifests, []);
    res = await req(c, 'GET', '/v2/refs/app/referrers/sha256:bad');
    assert.equal(res.status, 400);
    await res.arrayBuffer();
  });
});

describe('content management', () => {
  it('DELETE of a tag is 202; the tag is then 404, the manifest stays by digest', async () => {
    const img = await pushImage(c, 'mgmt/tag', 'gone');
    let res = await req(c, 'DELETE', '/v2/mgmt/tag/manifests/gone');
    assert.equal(res.status, 202);
    res = await req(c, 'GET', '/v2/mgmt/tag/manifests/gone');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await req(c, 'GET', `/v2/mgmt/tag/manifests/${img.digest}`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  it('DELETE of a manifest by digest is 202; it and its tags are then 404', async () => {
    const img = await pushImage(c, 'mgmt/manifest', 'v1');
    let res = await req(c, 'DELETE', `/v2/mgmt/manifest/manifests/${img.digest}`);
    assert.equal(res.status, 202);
    for (const ref of [img.digest, 'v1']) {
      res = await req(c, 'GET', `/v2/mgmt/manifest/manifests/${ref}`);
      assert.equal(res.status, 404);
      await res.arrayBuffer();
    }
  });

  it('DELETE of a blob is 202, then 404; of a missing one 404', async () => {
    const digest = await pushBlob(c, 'mgmt/blob', randomBlob(100));
    let res = await req(c, 'DELETE', `/v2/mgmt/blob/blobs/${digest}`);
    assert.equal(res.status, 202);
    res = await req(c, 'GET', `/v2/mgmt/blob/blobs/${digest}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await req(c, 'DELETE', `/v2/mgmt/blob/blobs/${digest}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});

describe('hostile input', () => {
  it('invalid repository names are 400 NAME_INVALID', async () => {
    for (const name of ['Team/app', 'team/../etc', '..', 'a//b', '-a', 'team/%2e%2e/x', 'a'.repeat(256)]) {
      const res = await rawRequest(reg.url, 'GET', `/v2/${name}/tags/list`).catch((err: Error) => ({ status: 0, body: `${name}: ${err.message}` }));
      assert.equal(res.status, 400, name);
      assert.equal(JSON.parse(res.body).errors[0].code, 'NAME_INVALID', name);
    }
    const res = await req(c, 'POST', `/v2/UP/blobs/uploads/?digest=${sha256('x')}`, { body: 'x' });
    assert.equal(res.status, 400);
    await res.arrayBuffer();
  });

  it('nothing outside the storage root is written, whatever the path', async () => {
    const attempts: Array<[string, string]> = [
      ['POST', `/v2/../../etc/blobs/uploads/?digest=${sha256('{}')}`], ['PUT', '/v2/a/blobs/uploads/..%2F..%2Fx?digest=' + sha256('{}')],
      ['PUT', '/v2/a/manifests/..'], ['PUT', '/v2/a/manifests/..%2f..%2fx'], ['PUT', '/v2/a/../../manifests/x'],
      ['DELETE', '/v2/a/blobs/sha256:..%2f..'], ['PATCH', '/v2/a/blobs/uploads/../../../../x'],
    ];
    for (const [method, path] of attempts) {
      const res = await rawRequest(reg.url, method, path, '{}').catch((err: Error) => ({ status: 0, body: `${method} ${path}: ${err.message}` }));
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.body}`);
    }
    const files = filesUnder(reg.root);
    // The hub's database lies beside the storage tree (docs/hub.md).
    assert.ok(files.every((f) => f.startsWith(reg.root + '/docker/registry/v2/') || /^\/hub\.db(-wal|-shm)?$/.test(f.slice(reg.root.length))));
  });

  it('unknown endpoints and methods get OCI errors', async () => {
    let res = await req(c, 'PATCH', '/v2/a/manifests/latest');
    assert.equal(res.status, 405);
    assert.equal(await errorCode(res), 'UNSUPPORTED');
    res = await req(c, 'GET', '/v3/');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});

describe('access log', () => {
  it('writes one entry per request with user, method, path, status, bytes and duration', async () => {
    const before = reg.log.length;
    await (await req(c, 'GET', '/v2/')).arrayBuffer();
    const entry = reg.log[before];
    assert.equal(reg.log.length, before + 1);
    assert.equal(entry.method, 'GET');
    assert.equal(entry.path, '/v2/');
    assert.equal(entry.status, 200);
    assert.equal(entry.bytes, 2);
    assert.equal(entry.remote, '127.0.0.1');
    assert.ok(entry.duration_ms >= 0 && !Number.isNaN(Date.parse(entry.time)));
  });
});
