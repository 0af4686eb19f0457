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
    assert.deepEqual(config.warnings, []);
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
