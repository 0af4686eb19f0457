// Configuration as distribution's registry reads it: config.yml, REGISTRY_* overrides, unknown keys.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import { loadConfig } from '../../src/registry/base/config.js';
import { ROOT, spawnRegistry, startTestRegistry, tempDir } from './helpers/registry.js';
import { errorCode, pushImage, req } from './helpers/client.js';

const exec = promisify(execFile);
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function writeConfig(text: string): string {
  const dir = tempDir();
  dirs.push(dir);
  writeFileSync(join(dir, 'config.yml'), text);
  return join(dir, 'config.yml');
}

describe('configuration', () => {
  it('defaults match distribution: :5000, /var/lib/registry, deletes off, no auth', () => {
    const config = loadConfig(undefined, {});
    assert.equal(config.http.addr, ':5000');
    assert.deepEqual(config.storage, { driver: 'filesystem', filesystem: { rootdirectory: '/var/lib/registry' } });
    assert.equal(config.deleteEnabled, false);
    assert.equal(config.auth, undefined);
  });

  it('reads a registry:2 config.yml and lets REGISTRY_* variables override it', () => {
    const path = writeConfig(`
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /srv/registry
  delete:
    enabled: false
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/registry/htpasswd
health:
  storagedriver:
    enabled: true
`);
    const config = loadConfig(path, { REGISTRY_HTTP_ADDR: '127.0.0.1:6000', REGISTRY_STORAGE_DELETE_ENABLED: 'true' });
    assert.equal(config.http.addr, '127.0.0.1:6000');
    assert.equal(config.deleteEnabled, true);
    assert.deepEqual(config.storage, { driver: 'filesystem', filesystem: { rootdirectory: '/srv/registry' } });
    assert.deepEqual(config.auth, { kind: 'htpasswd', realm: 'basic-realm', path: '/etc/registry/htpasswd' });
    assert.deepEqual(config.http.headers, { 'X-Content-Type-Options': ['nosniff'] });
    // registry:2's own config.yml: the storage check runs, the cache and log fields are named as doing nothing.
    assert.deepEqual(config.health, { storageDriver: { intervalMs: 10_000, threshold: 1 } });
    assert.deepEqual(config.warnings.map((w) => w.split(':')[0]), [
      'configuration key log.fields has no effect in berth-registry',
      'configuration key storage.cache.blobdescriptor has no effect in berth-registry',
    ]);
  });

  it('REGISTRY_STORAGE=s3 selects S3 with distribution\'s parameter names', () => {
    const config = loadConfig(undefined, {
      REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'images', REGISTRY_STORAGE_S3_REGION: 'us-east-1',
      REGISTRY_STORAGE_S3_REGIONENDPOINT: 'http://127.0.0.1:7480', REGISTRY_STORAGE_S3_ACCESSKEY: 'ak',
      REGISTRY_STORAGE_S3_SECRETKEY: 'sk', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/ignored',
      REGISTRY_HUB_DATABASE: '/var/lib/berth-hub/hub.db',
    });
    assert.equal(config.storage.driver, 's3');
    assert.deepEqual(config.storage.driver === 's3' && config.storage.s3, {
      bucket: 'images', region: 'us-east-1', regionendpoint: 'http://127.0.0.1:7480', accesskey: 'ak', secretkey: 'sk',
    });
    assert.throws(() => loadConfig(undefined, { REGISTRY_STORAGE: 's3' }), /bucket is required/);
  });

  it('reports unknown keys and variables instead of silently dropping them', () => {
    const path = writeConfig('storage:\n  filesystem:\n    rootdirectory: /x\n    rootdir: /typo\nhttpp:\n  addr: :1\n');
    const config = loadConfig(path, { REGISTRY_HTTP_ADDRESS: ':1' });
    assert.deepEqual(config.warnings.sort(), [
      'unknown configuration key httpp (ignored)',
      'unknown configuration key storage.filesystem.rootdir (ignored)',
      'unknown environment variable REGISTRY_HTTP_ADDRESS (ignored)',
    ]);
    assert.throws(() => loadConfig(writeConfig('http: [1, 2\n'), {}), /not valid YAML/);
  });

  it('deletes are 405 UNSUPPORTED unless storage.delete.enabled', async () => {
    const reg = await startTestRegistry({});
    try {
      const c = { url: reg.url, headers: {} };
      const img = await pushImage(c, 'cfg/app', 'v1');
      for (const path of [`/v2/cfg/app/manifests/${img.digest}`, '/v2/cfg/app/manifests/v1', `/v2/cfg/app/blobs/${img.layers[0]}`]) {
        const res = await req(c, 'DELETE', path);
        assert.equal(res.status, 405);
        assert.equal(await errorCode(res), 'UNSUPPORTED');
      }
      const res = await req(c, 'GET', '/v2/cfg/app/manifests/v1');
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      await reg.stop();
    }
  });

  it('serves HTTPS with REGISTRY_HTTP_TLS_CERTIFICATE and _KEY, and the http.headers', async () => {
    const dir = tempDir();
    dirs.push(dir);
    await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    const path = writeConfig('http:\n  headers:\n    X-Content-Type-Options: [nosniff]\n');
    const reg = await startTestRegistry({ REGISTRY_HTTP_TLS_CERTIFICATE: join(dir, 'cert.pem'), REGISTRY_HTTP_TLS_KEY: join(dir, 'key.pem') }, path);
    const { readFileSync } = await import('node:fs');
    const dispatcher = new Agent({ connect: { ca: readFileSync(join(dir, 'cert.pem')) } });
    try {
      assert.match(reg.url, /^https:/);
      const res = await fetch(`${reg.url}/v2/`, { dispatcher } as RequestInit);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      await res.arrayBuffer();
    } finally {
      await dispatcher.close();
      await reg.stop();
    }
  });

  it('the compiled bin (node dist/registry/main.js serve CONFIG) serves and reports unknown keys', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = writeConfig(`storage:\n  filesystem:\n    rootdirectory: ${dir}\n  bogus: 1\n`);
    const prev = process.env.BERTH_REGISTRY_BIN;
    process.env.BERTH_REGISTRY_BIN = join(ROOT, 'dist/registry/main.js'); // built by npm test (npm run build)
    let reg;
    try { reg = await spawnRegistry({}, ['serve', path]); } finally {
      if (prev === undefined) delete process.env.BERTH_REGISTRY_BIN; else process.env.BERTH_REGISTRY_BIN = prev;
    }
    try {
      const res = await fetch(`${reg.url}/v2/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      await res.arrayBuffer();
      assert.match(reg.output(), /warning: unknown configuration key storage\.bogus/);
      assert.match(reg.output(), /listening on 127\.0\.0\.1:\d+/);
    } finally {
      await reg.stop();
    }
  });
});

// Every key of distribution's format is honoured, refused at start, or named in a warning at start.
describe('configuration keys berth-registry does not act on', () => {
  const refused: Array<[string, string]> = [
    ['version', 'version: 0.2\n'],
    ['log.formatter', 'log:\n  formatter: json\n'],
    ['log.hooks', 'log:\n  hooks:\n    - type: mail\n'],
    ['storage.s3.v4auth', 'storage:\n  s3:\n    bucket: b\n    region: r\n    v4auth: false\n'],
    ['storage.s3.keyid', 'storage:\n  s3:\n    bucket: b\n    region: r\n    encrypt: true\n    keyid: k\n'],
    ['redis', 'redis:\n  addr: localhost:6379\n'],
    ['http.prefix', 'http:\n  prefix: /registry/\n'],
    ['http.debug', 'http:\n  debug:\n    addr: localhost:5001\n'],
    ['http.net', 'http:\n  net: udp\n'],
    ['http.tls.letsencrypt', 'http:\n  tls:\n    letsencrypt:\n      email: a@b.c\n'],
    ['http.tls.ciphersuites', 'http:\n  tls:\n    certificate: c\n    key: k\n    ciphersuites: [TLS_AES_128_GCM_SHA256]\n'],
    ['http.tls.minimumtls', 'http:\n  tls:\n    minimumtls: tls1.2\n'],
    ['auth.silly', 'auth:\n  silly:\n    realm: r\n    service: s\n'],
    ['auth.token.autoredirect', 'auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    rootcertbundle: b\n    autoredirect: true\n'],
    ['auth.token.jwks', 'auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    rootcertbundle: b\n    jwks: /j\n'],
    ['health.file', 'health:\n  file:\n    - file: /tmp/down\n'],
    ['health.http', 'health:\n  http:\n    - uri: http://x/\n'],
    ['health.tcp', 'health:\n  tcp:\n    - addr: x:1\n'],
    ['notifications.endpoints', 'notifications:\n  endpoints:\n    - name: hook\n      url: http://x/\n'],
    ['validation.manifests', 'validation:\n  manifests:\n    urls:\n      allow: ["^https?://"]\n'],
    ['validation.disabled', 'validation:\n  disabled: true\n'],
    ['compatibility.schema1.enabled', 'compatibility:\n  schema1:\n    enabled: true\n'],
    ['storage.maintenance.uploadpurging.age', 'storage:\n  maintenance:\n    uploadpurging:\n      age: 1week\n'],
    ['health.storagedriver.threshold', 'health:\n  storagedriver:\n    enabled: true\n    threshold: many\n'],
    ['http.draintimeout', 'http:\n  draintimeout: soon\n'],
    ['tokenserver', 'tokenserver:\n  enabled: true\n'],
    ['tokenserver.expiration', 'auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    rootcertbundle: b\n' +
      'tokenserver:\n  key: k\n  certificate: c\n  expiration: 5m\n'],
  ];
  for (const [key, yaml] of refused) {
    it(`refuses ${key} at start, naming it`, () => {
      assert.throws(() => loadConfig(writeConfig(yaml), {}), (e: Error) => e.name === 'ConfigError' && e.message.includes(key));
    });
  }

  it('refuses keys set through REGISTRY_* variables too', () => {
    assert.throws(() => loadConfig(undefined, { REGISTRY_HTTP_DEBUG_ADDR: 'localhost:5001' }), /http\.debug is refused/);
    assert.throws(() => loadConfig(undefined, { REGISTRY_REDIS_ADDR: 'localhost:6379' }), /redis is refused/);
  });

  const warned: Array<[string, string]> = [
    ['log.level', 'log:\n  level: debug\n'],
    ['log.fields', 'log:\n  fields:\n    service: registry\n'],
    ['loglevel', 'loglevel: info\n'],
    ['storage.filesystem.maxthreads', 'storage:\n  filesystem:\n    maxthreads: 100\n'],
    ['storage.cache.blobdescriptor', 'storage:\n  cache:\n    blobdescriptor: redis\n'],
    ['storage.redirect.disable', 'storage:\n  redirect:\n    disable: false\n'],
    ['middleware', 'middleware:\n  storage:\n    - name: cloudfront\n'],
    ['http.host', 'http:\n  host: https://registry.example.com\n'],
    ['http.relativeurls', 'http:\n  relativeurls: false\n'],
    ['http.secret', 'http:\n  secret: s3cr3t\n'],
    ['http.http2.disabled', 'http:\n  http2:\n    disabled: false\n'],
    ['compatibility.schema1.signingkeyfile', 'compatibility:\n  schema1:\n    signingkeyfile: /etc/key.json\n'],
  ];
  for (const [key, yaml] of warned) {
    it(`warns at start that ${key} has no effect`, () => {
      const config = loadConfig(writeConfig(yaml), {});
      assert.deepEqual(config.warnings.map((w) => w.split(':')[0]), [`configuration key ${key} has no effect in berth-registry`]);
    });
  }

  it('takes what is already the case without a word: redirect.disable true, relativeurls true, http2 disabled, disabled endpoints', () => {
    const config = loadConfig(writeConfig('version: 0.1\nstorage:\n  redirect:\n    disable: true\nhttp:\n  relativeurls: true\n  http2:\n' +
      '    disabled: true\nnotifications:\n  endpoints:\n    - name: off\n      disabled: true\nvalidation:\n  disabled: false\n' +
      'log:\n  formatter: text\n'), {});
    assert.deepEqual(config.warnings, []);
  });

  it('storage.s3.storageclass NONE sends no class; encrypt and skipverify reach the driver', () => {
    const config = loadConfig(writeConfig('storage:\n  s3:\n    bucket: b\n    region: r\n    storageclass: NONE\n    encrypt: true\n    skipverify: true\n' +
      'hub:\n  enabled: false\n'), {});
    assert.deepEqual(config.storage.driver === 's3' && config.storage.s3, { bucket: 'b', region: 'r', encrypt: true, skipverify: true });
  });
});
