// The OCI distribution-spec conformance requirements (the spec's conformance suite, v1.1), one test
// each, with the suite's own inputs: ".INVALID_MANIFEST_NAME" as the nonexistent manifest, a PUT to
// "sha256:totallywrong", chunks retried out of order, mounts from repositories that do not exist.
// docs/registry.md lists them under "Conformance".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRegistry, type TestRegistry } from './helpers/registry.js';
import { errorCode, OCI_INDEX, OCI_MANIFEST, pushBlob, randomBlob, req, sha256, type Client } from './helpers/client.js';

const SPEC_ERROR_CODES = ['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED', 'DENIED',
  'UNSUPPORTED', 'TOOMANYREQUESTS'];
const NONEXISTENT_MANIFEST = '.INVALID_MANIFEST_NAME';
const EMPTY_JSON = Buffer.from('{}');
const EMPTY_DESCRIPTOR = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY_JSON), size: 2 };
const REPO = 'conformance/app';

let reg: TestRegistry;
let c: Client;
let config: Buffer;
let layer: Buffer;

function descriptor(mediaType: string, data: Buffer) {
  return { mediaType, digest: sha256(data), size: data.length };
}

function imageManifest(extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: descriptor('application/vnd.oci.image.config.v1+json', config),
    layers: [descriptor('application/vnd.oci.image.layer.v1.tar+gzip', layer)],
    ...extra,
  }, null, '\t'));
}

async function putManifest(name: string, reference: string, body: Buffer, mediaType = OCI_MANIFEST): Promise<Response> {
  return req(c, 'PUT', `/v2/${name}/manifests/${reference}`, { body, headers: { 'Content-Type': mediaType } });
}

async function startUpload(name = REPO): Promise<string> {
  const res = await req(c, 'POST', `/v2/${name}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
  assert.equal(res.status, 202);
  const location = res.headers.get('location');
  assert.ok(location, 'POST answers a Location');
  return location;
}

/** The Location of a response, with `digest` added to its query as the spec's clients do. */
function withDigest(location: string, digest: string): string {
  const u = new URL(location, c.url);
  u.searchParams.set('digest', digest);
  return u.toString();
}

before(async () => {
  reg = await startTestRegistry({ REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_HUB_ENABLED: 'false' });
  c = { url: reg.url, headers: {} };
  config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, author: 'conformance' }));
  layer = randomBlob(4096);
  await pushBlob(c, REPO, config);
  await pushBlob(c, REPO, layer);
  await pushBlob(c, REPO, EMPTY_JSON);
});
after(async () => { await reg?.stop(); });

describe('conformance: pull', () => {
  it('GET and HEAD of the nonexistent manifest ".INVALID_MANIFEST_NAME" are 404 MANIFEST_UNKNOWN, not 400', async () => {
    let res = await req(c, 'GET', `/v2/${REPO}/manifests/${NONEXISTENT_MANIFEST}`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'MANIFEST_UNKNOWN');
    res = await req(c, 'HEAD', `/v2/${REPO}/manifests/${NONEXISTENT_MANIFEST}`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '');
  });

  it('a PUT to an invalid tag is still refused: 400 TAG_INVALID', async () => {
    const res = await putManifest(REPO, NONEXISTENT_MANIFEST, imageManifest());
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'TAG_INVALID');
  });

  it('a manifest PUT to "sha256:totallywrong" answers 400 with an OCI error body whose code is one of the spec\'s', async () => {
    const res = await putManifest(REPO, 'sha256:totallywrong', Buffer.from('blablabla'));
    assert.equal(res.status, 400);
    const body = await res.json() as { errors: Array<{ code: string; message: string }> };
    assert.ok(body.errors.length > 0);
    assert.ok(SPEC_ERROR_CODES.includes(body.errors[0].code), body.errors[0].code);
    assert.equal(typeof body.errors[0].message, 'string');
  });

  it('HEAD and GET of a nonexistent blob are 404', async () => {
    const missing = sha256('not here');
    let res = await req(c, 'HEAD', `/v2/${REPO}/blobs/${missing}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await req(c, 'GET', `/v2/${REPO}/blobs/${missing}`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'BLOB_UNKNOWN');
  });

  it('HEAD of a manifest by tag and by digest is 200 with Content-Length and Docker-Content-Digest', async () => {
    const body = imageManifest({ annotations: { pull: 'head' } });
    assert.equal((await putManifest(REPO, 'headtest', body)).status, 201);
    for (const ref of ['headtest', sha256(body)]) {
      const res = await req(c, 'HEAD', `/v2/${REPO}/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), String(body.length));
      assert.equal(res.headers.get('docker-content-digest'), sha256(body));
    }
  });

  it('a Range GET of a blob answers 206 with Content-Range, and 416 beyond its end', async () => {
    let res = await req(c, 'GET', `/v2/${REPO}/blobs/${sha256(layer)}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 10-19/${layer.length}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), layer.subarray(10, 20));
    res = await req(c, 'GET', `/v2/${REPO}/blobs/${sha256(layer)}`, { headers: { Range: `bytes=${layer.length + 10}-` } });
    assert.equal(res.status, 416);
    await res.arrayBuffer();
  });
});

describe('conformance: push', () => {
  it('streamed: POST, PATCH with the whole blob (202), PUT with the digest (201 and Location)', async () => {
    const blob = randomBlob(100);
    const location = await startUpload();
    let res = await req(c, 'PATCH', location, { body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 202);
    res = await req(c, 'PUT', withDigest(res.headers.get('location')!, sha256(blob)), { headers: { 'Content-Length': '0' } });
    assert.equal(res.status, 201);
    assert.ok(res.headers.get('location'));
  });

  it('monolithic: a POST with digest and body is 201 with Location; POST then PUT with the body is 201', async () => {
    const a = randomBlob(200);
    let res = await req(c, 'POST', `/v2/${REPO}/blobs/uploads/?digest=${sha256(a)}`, { body: a, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/${REPO}/blobs/${sha256(a)}`);
    const b = randomBlob(300);
    res = await req(c, 'PUT', withDigest(await startUpload(), sha256(b)), { body: b, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201);
    res = await req(c, 'GET', `/v2/${REPO}/blobs/${sha256(b)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), b);
  });

  it('chunked: an out-of-order first chunk is 416', async () => {
    const location = await startUpload();
    const res = await req(c, 'PATCH', location, { body: randomBlob(10), headers: { 'Content-Range': '20-29', 'Content-Length': '10' } });
    assert.equal(res.status, 416);
    await res.arrayBuffer();
  });

  it('chunked: first chunk 202; the same chunk again 416; GET status 204 with Range and Location; second chunk 202; PUT 201', async () => {
    const blob = randomBlob(70);
    const [one, two] = [blob.subarray(0, 40), blob.subarray(40)];
    let res = await req(c, 'PATCH', await startUpload(), { body: one, headers: { 'Content-Range': '0-39', 'Content-Length': '40' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('range'), '0-39');
    const location = res.headers.get('location')!;
    res = await req(c, 'PATCH', location, { body: one, headers: { 'Content-Range': '0-39', 'Content-Length': '40' } });
    assert.equal(res.status, 416);
    await res.arrayBuffer();
    res = await req(c, 'GET', location);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('range'), '0-39');
    assert.ok(res.headers.get('location'));
    res = await req(c, 'PATCH', res.headers.get('location')!, { body: two, headers: { 'Content-Range': '40-69', 'Content-Length': '30' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('range'), '0-69');
    res = await req(c, 'PUT', withDigest(res.headers.get('location')!, sha256(blob)));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('docker-content-digest'), sha256(blob));
  });

  it('chunked: the final chunk may come with the PUT (Content-Range) and is 201', async () => {
    const blob = randomBlob(50);
    let res = await req(c, 'PATCH', await startUpload(), { body: blob.subarray(0, 20), headers: { 'Content-Range': '0-19', 'Content-Length': '20' } });
    assert.equal(res.status, 202);
    res = await req(c, 'PUT', withDigest(res.headers.get('location')!, sha256(blob)),
      { body: blob.subarray(20), headers: { 'Content-Range': '20-49', 'Content-Length': '30' } });
    assert.equal(res.status, 201);
  });

  it('mount from another repository is 201 with the blob\'s Location, and the blob is then pulled there', async () => {
    const res = await req(c, 'POST', `/v2/conformance/cross/blobs/uploads/?mount=${sha256(layer)}&from=${REPO}`);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/conformance/cross/blobs/${sha256(layer)}`);
    const get = await req(c, 'GET', `/v2/conformance/cross/blobs/${sha256(layer)}`);
    assert.equal(get.status, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), layer);
  });

  it('mount of a nonexistent blob, or from a nonexistent repository, falls back to an upload session (202)', async () => {
    for (const query of [`mount=${sha256('nowhere')}&from=${REPO}`, `mount=${sha256(layer)}&from=conformance/none`]) {
      const res = await req(c, 'POST', `/v2/conformance/cross2/blobs/uploads/?${query}`);
      assert.equal(res.status, 202, query);
      assert.ok(res.headers.get('location'));
    }
  });

  it('mount without "from" links a blob the registry holds (201)', async () => {
    const res = await req(c, 'POST', `/v2/conformance/cross3/blobs/uploads/?mount=${sha256(config)}`);
    assert.equal(res.status, 201);
    assert.equal((await req(c, 'HEAD', `/v2/conformance/cross3/blobs/${sha256(config)}`)).status, 200);
  });

  it('manifests with an empty layer, an empty config, no layers, and each layer media type are accepted (201)', async () => {
    const bodies = [
      imageManifest({ layers: [EMPTY_DESCRIPTOR] }),
      imageManifest({ config: EMPTY_DESCRIPTOR }),
      imageManifest({ layers: [] }),
      ...['application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
        'application/vnd.oci.image.layer.v1.tar+zstd'].map((mediaType) => imageManifest({ layers: [{ ...descriptor(mediaType, layer) }] })),
    ];
    for (const [i, body] of bodies.entries()) {
      const res = await putManifest(REPO, `kind${i}`, body);
      assert.equal(res.status, 201, `manifest ${i}: ${await res.text()}`);
      assert.equal(res.headers.get('docker-content-digest'), sha256(body));
      assert.ok(res.headers.get('location'));
    }
  });

  it('a manifest of 4 MiB exactly is accepted', async () => {
    const base = imageManifest({ annotations: { pad: '' } }).toString();
    const body = Buffer.from(base.replace('"pad": ""', `"pad": "${'x'.repeat(4 * 1024 * 1024 - base.length)}"`));
    assert.equal(body.length, 4 * 1024 * 1024);
    const res = await putManifest(REPO, 'big', body);
    assert.equal(res.status, 201);
  });

  it('a manifest with a subject is 201 with OCI-Subject naming the subject', async () => {
    const subject = imageManifest({ annotations: { role: 'subject' } });
    await putManifest(REPO, 'subject', subject);
    const referrer = imageManifest({ artifactType: 'application/vnd.conformance.sig', config: EMPTY_DESCRIPTOR,
      subject: { mediaType: OCI_MANIFEST, digest: sha256(subject), size: subject.length } });
    const res = await putManifest(REPO, sha256(referrer), referrer);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('oci-subject'), sha256(subject));
  });

  it('a manifest naming a blob the repository lacks is 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const res = await putManifest(REPO, 'broken', imageManifest({ layers: [descriptor('application/vnd.oci.image.layer.v1.tar', Buffer.from('absent'))] }));
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'MANIFEST_BLOB_UNKNOWN');
  });
});

describe('conformance: content discovery', () => {
  const NAME = 'conformance/discovery';
  let subject: Buffer;
  const referrers: Buffer[] = [];
  before(async () => {
    for (const blob of [config, layer, EMPTY_JSON]) await pushBlob(c, NAME, blob);
    subject = imageManifest({ annotations: { role: 'discovery' } });
    for (const tag of ['test0', 'test1', 'test2', 'test3']) assert.equal((await putManifest(NAME, tag, subject)).status, 201);
    for (const [i, artifactType] of ['application/vnd.conformance.a', 'application/vnd.conformance.b'].entries()) {
      const body = imageManifest({ artifactType, config: EMPTY_DESCRIPTOR, annotations: { 'org.opencontainers.conformance.test': `v${i}` },
        subject: { mediaType: OCI_MANIFEST, digest: sha256(subject), size: subject.length } });
      assert.equal((await putManifest(NAME, sha256(body), body)).status, 201);
      referrers.push(body);
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, artifactType: 'application/vnd.conformance.index',
      manifests: [{ mediaType: OCI_MANIFEST, digest: sha256(subject), size: subject.length }],
      subject: { mediaType: OCI_MANIFEST, digest: sha256(subject), size: subject.length } }));
    assert.equal((await putManifest(NAME, sha256(index), index, OCI_INDEX)).status, 201);
    referrers.push(index);
  });

  it('tags list is 200 with every tag; n limits it; last starts after a tag; a Link names the next page', async () => {
    let res = await req(c, 'GET', `/v2/${NAME}/tags/list`);
    assert.deepEqual(await res.json(), { name: NAME, tags: ['test0', 'test1', 'test2', 'test3'] });
    res = await req(c, 'GET', `/v2/${NAME}/tags/list?n=2`);
    assert.deepEqual(await res.json(), { name: NAME, tags: ['test0', 'test1'] });
    assert.equal(res.headers.get('link'), `</v2/${NAME}/tags/list?n=2&last=test1>; rel="next"`);
    res = await req(c, 'GET', `/v2/${NAME}/tags/list?n=2&last=test1`);
    assert.deepEqual(await res.json(), { name: NAME, tags: ['test2', 'test3'] });
    assert.equal(res.headers.get('link'), null);
  });

  it('the catalog paginates with n, last and a Link header', async () => {
    let res = await req(c, 'GET', '/v2/_catalog?n=1');
    const first = await res.json() as { repositories: string[] };
    assert.equal(first.repositories.length, 1);
    assert.match(res.headers.get('link') ?? '', /^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
    res = await req(c, 'GET', `/v2/_catalog?n=100&last=${encodeURIComponent(first.repositories[0])}`);
    const rest = await res.json() as { repositories: string[] };
    assert.ok(!rest.repositories.includes(first.repositories[0]));
    assert.ok(rest.repositories.includes(NAME));
  });

  it('referrers are a 200 OCI index of descriptors with artifactType and annotations', async () => {
    const res = await req(c, 'GET', `/v2/${NAME}/referrers/${sha256(subject)}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), OCI_INDEX);
    const index = await res.json() as { schemaVersion: number; mediaType: string; manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string>; size: number }> };
    assert.equal(index.schemaVersion, 2);
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), referrers.map((r) => sha256(r)).sort());
    const a = index.manifests.find((m) => m.digest === sha256(referrers[0]))!;
    assert.equal(a.artifactType, 'application/vnd.conformance.a');
    assert.equal(a.size, referrers[0].length);
    assert.deepEqual(a.annotations, { 'org.opencontainers.conformance.test': 'v0' });
    assert.equal(index.manifests.find((m) => m.digest === sha256(referrers[2]))!.artifactType, 'application/vnd.conformance.index');
  });

  it('referrers of a digest nothing refers to are a 200 empty index', async () => {
    const res = await req(c, 'GET', `/v2/${NAME}/referrers/${sha256('nothing refers to me')}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  });

  it('referrers filtered by artifactType list only those, with OCI-Filters-Applied: artifactType', async () => {
    const res = await req(c, 'GET', `/v2/${NAME}/referrers/${sha256(subject)}?artifactType=application/vnd.conformance.b`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('oci-filters-applied'), 'artifactType');
    const index = await res.json() as { manifests: Array<{ digest: string }> };
    assert.deepEqual(index.manifests.map((m) => m.digest), [sha256(referrers[1])]);
  });
});

describe('conformance: content management', () => {
  const NAME = 'conformance/management';
  let manifest: Buffer;
  before(async () => {
    for (const blob of [config, layer]) await pushBlob(c, NAME, blob);
    manifest = imageManifest({ annotations: { role: 'management' } });
    for (const tag of ['keep', 'gone']) assert.equal((await putManifest(NAME, tag, manifest)).status, 201);
  });

  it('DELETE of a tag is 202; the tag is then 404 and the manifest stays by digest and other tags', async () => {
    let res = await req(c, 'DELETE', `/v2/${NAME}/manifests/gone`);
    assert.equal(res.status, 202);
    res = await req(c, 'GET', `/v2/${NAME}/manifests/gone`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'MANIFEST_UNKNOWN');
    assert.equal((await req(c, 'HEAD', `/v2/${NAME}/manifests/${sha256(manifest)}`)).status, 200);
    assert.equal((await req(c, 'HEAD', `/v2/${NAME}/manifests/keep`)).status, 200);
  });

  it('DELETE of an invalid tag name is 404 MANIFEST_UNKNOWN', async () => {
    const res = await req(c, 'DELETE', `/v2/${NAME}/manifests/${NONEXISTENT_MANIFEST}`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'MANIFEST_UNKNOWN');
  });

  it('DELETE of a manifest by digest is 202; it is then 404 and the tags list is empty', async () => {
    let res = await req(c, 'DELETE', `/v2/${NAME}/manifests/${sha256(manifest)}`);
    assert.equal(res.status, 202);
    res = await req(c, 'GET', `/v2/${NAME}/manifests/${sha256(manifest)}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await req(c, 'GET', `/v2/${NAME}/tags/list`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: NAME, tags: [] });
  });

  it('DELETE of a blob is 202; it is then 404', async () => {
    let res = await req(c, 'DELETE', `/v2/${NAME}/blobs/${sha256(layer)}`);
    assert.equal(res.status, 202);
    res = await req(c, 'GET', `/v2/${NAME}/blobs/${sha256(layer)}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('with deletes disabled, DELETE of a tag, a manifest or a blob is 405 UNSUPPORTED', async () => {
    const ro = await startTestRegistry({ REGISTRY_HUB_ENABLED: 'false' });
    try {
      const rc = { url: ro.url, headers: {} };
      await pushBlob(rc, NAME, config);
      await pushBlob(rc, NAME, layer);
      assert.equal((await req(rc, 'PUT', `/v2/${NAME}/manifests/v1`, { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);
      for (const path of [`manifests/v1`, `manifests/${sha256(manifest)}`, `blobs/${sha256(layer)}`]) {
        const res = await req(rc, 'DELETE', `/v2/${NAME}/${path}`);
        assert.equal(res.status, 405, path);
        assert.equal(await errorCode(res), 'UNSUPPORTED');
      }
    } finally {
      await ro.stop();
    }
  });
});
