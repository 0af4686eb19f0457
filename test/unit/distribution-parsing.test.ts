// The pure parts of the registry client: WWW-Authenticate challenges, X-Registry-Auth, Docker's progress
// bar, manifest checks and platform selection, insecure-registry rules, pull references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseChallenges } from '../../src/lib/auth-challenge.js';
import { decodeRegistryAuth } from '../../src/engine/distribution/credentials.js';
import { humanSize, progressBar } from '../../src/engine/progress/json-progress.js';
import { parseManifest, selectPlatform } from '../../src/engine/distribution/manifest.js';
import { RegistryHosts } from '../../src/engine/distribution/registry-hosts.js';
import { parsePlatform, pullReference } from '../../src/engine/api/image-transfer.js';
import { loginRegistry } from '../../src/engine/distribution/login.js';

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

test('challenges: Bearer with quoted params, Basic, several in one header', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="basic-realm"', 'Bearer realm="r"']), [
    { scheme: 'basic', params: { realm: 'basic-realm' } }, { scheme: 'bearer', params: { realm: 'r' } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('X-Registry-Auth: base64url JSON, the auth field, empty, and garbage refused', () => {
  const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.deepEqual(decodeRegistryAuth(encode({ username: 'a', password: 'p', serveraddress: 'h:5000' })), { username: 'a', password: 'p', serveraddress: 'h:5000' });
  assert.deepEqual(decodeRegistryAuth(encode({ auth: Buffer.from('u:p:w').toString('base64') })), { auth: Buffer.from('u:p:w').toString('base64'), username: 'u', password: 'p:w' });
  assert.deepEqual(decodeRegistryAuth('e30='), {});
  assert.deepEqual(decodeRegistryAuth(undefined), {});
  assert.throws(() => decodeRegistryAuth('!!!not json'), /invalid X-Registry-Auth header/);
});

test('progress bar and sizes exactly as dockerd renders them', () => {
  assert.equal(humanSize(36445), '36.45kB');
  assert.equal(humanSize(1031456), '1.031MB');
  assert.equal(humanSize(512), '512B');
  assert.equal(progressBar(36445, 1031456), `[=>${' '.repeat(49)}]  36.45kB/1.031MB`);
  assert.equal(progressBar(1031456, 1031456), `[${'='.repeat(50)}>]  1.031MB/1.031MB`);
});

test('manifests: digests checked, schema 1 and unknown types refused, platforms chosen', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('c'), size: 1 };
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [] }));
  const ok = parseManifest({ bytes: body, mediaType: 'application/vnd.oci.image.manifest.v1+json' }, sha(body.toString()));
  assert.equal(ok.kind, 'image');
  assert.throws(() => parseManifest({ bytes: body, mediaType: '' }, sha('other')), /manifest verification failed/);
  assert.throws(() => parseManifest({ bytes: body, mediaType: '', headerDigest: sha('other') }), /manifest verification failed/);
  assert.throws(() => parseManifest({ bytes: Buffer.from('{"schemaVersion":1}'), mediaType: '' }), /schema 1 are not supported/);
  const weirdLayer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [{ mediaType: 'x/y', digest: sha('l'), size: 1 }] }));
  assert.throws(() => parseManifest({ bytes: weirdLayer, mediaType: '' }), /unsupported layer media type x\/y/);
  const artifact = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { ...config, mediaType: 'application/vnd.cncf.helm.config.v1+json' }, layers: [] }));
  assert.throws(() => parseManifest({ bytes: artifact, mediaType: '' }), /not a container image/);

  const entry = (architecture: string, variant?: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(architecture + (variant ?? '')), size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const index = { mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [entry('arm', 'v6'), entry('arm', 'v7'), entry('amd64'), { ...entry('unknown'), platform: { os: 'unknown', architecture: 'unknown' } }] };
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, sha('amd64'));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, sha('armv7'));
  assert.throws(() => selectPlatform(index, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x in the manifest list entries/);
});

test('insecure registries: loopback and localhost by default, host:port and CIDR entries, others secure', async () => {
  const hosts = new RegistryHosts({ insecureRegistries: ['myreg.example:5000', '10.1.0.0/16'], registryMirrors: [] }, console);
  try {
    assert.equal(await hosts.isInsecure('localhost:5000'), true);
    assert.equal(await hosts.isInsecure('127.0.0.1:5000'), true);
    assert.equal(await hosts.isInsecure('myreg.example:5000'), true);
    assert.equal(await hosts.isInsecure('10.1.200.3:443'), true);
    assert.equal(await hosts.isInsecure('10.2.0.1:443'), false);
    const endpoints = await hosts.endpoints('10.1.0.9:5000');
    assert.deepEqual(endpoints.map((e) => e.origin), ['https://10.1.0.9:5000', 'http://10.1.0.9:5000']);
    assert.deepEqual((await hosts.endpoints('10.2.0.9:5000')).map((e) => e.origin), ['https://10.2.0.9:5000']);
  } finally {
    await hosts.close();
  }
});

test('docker.io pulls go to mirrors first; pushes never do', async () => {
  const hosts = new RegistryHosts({ insecureRegistries: [], registryMirrors: ['http://127.0.0.1:5999'] }, console);
  try {
    assert.deepEqual((await hosts.endpoints('docker.io')).map((e) => [e.origin, e.mirror]), [['http://127.0.0.1:5999', true], ['https://registry-1.docker.io', false]]);
    assert.deepEqual((await hosts.endpoints('docker.io', true)).map((e) => e.origin), ['https://registry-1.docker.io']);
  } finally {
    await hosts.close();
  }
  assert.throws(() => new RegistryHosts({ insecureRegistries: [], registryMirrors: ['ftp://x'] }, console), /invalid mirror/);
});

test('pull references: default tag, tag=digest, bad tags; platforms; login addresses', () => {
  assert.deepEqual(pullReference('busybox', ''), { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  assert.deepEqual(pullReference('localhost:5000/team/app', '1.0'), { domain: 'localhost:5000', path: 'team/app', tag: '1.0' });
  assert.deepEqual(pullReference('localhost:5000/app', sha('x')), { domain: 'localhost:5000', path: 'app', digest: sha('x') });
  assert.throws(() => pullReference('app', 'bad:tag'), /invalid tag format/);
  assert.throws(() => pullReference('Bad/App', ''), /invalid reference format/);
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(parsePlatform(''), undefined);
  assert.throws(() => parsePlatform('linux'), /unknown operating system or architecture/);
  assert.equal(loginRegistry('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(loginRegistry(''), 'docker.io');
  assert.equal(loginRegistry('http://localhost:5000/'), 'localhost:5000');
});
