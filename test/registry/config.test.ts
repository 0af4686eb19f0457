// Configuration as distribution's registry reads it: config.yml, REGISTRY_* overrides, unknown keys.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import { loadConfig } from '../../src/registry/base/config.js';
import { layout } from '../../src/registry/content/layout.js';
import { createDriver, Registry } from '../../src/registry/content/registry.js';
import { startServer, type RunningServer } from '../../src/registry/server.js';
import { purgeUploads } from '../../src/registry/upload-purging.js';
import type { StorageDriver } from '../../src/registry/storage/driver.js';
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

  it('storage.redirect: blob downloads go to the storage by default, as in distribution; disable: true (or its variable) keeps them', () => {
    assert.equal(loadConfig(writeConfig('version: 0.1\n'), {}).redirect, true);
    assert.equal(loadConfig(writeConfig('storage:\n  redirect:\n    disable: true\n'), {}).redirect, false);
    assert.equal(loadConfig(undefined, { REGISTRY_STORAGE_REDIRECT_DISABLE: 'true' }).redirect, false);
  });

  it('storage.s3.storageclass NONE sends no class; encrypt and skipverify reach the driver', () => {
    const config = loadConfig(writeConfig('storage:\n  s3:\n    bucket: b\n    region: r\n    storageclass: NONE\n    encrypt: true\n    skipverify: true\n' +
      'hub:\n  enabled: false\n'), {});
    assert.deepEqual(config.storage.driver === 's3' && config.storage.s3, { bucket: 'b', region: 'r', encrypt: true, skipverify: true });
  });
});

/** A registry in this process from `yaml` on a temp root; `wrap` may stand in front of its storage driver. */
async function startWith(yaml: string, env: Record<string, string> = {}, wrap?: (d: StorageDriver) => StorageDriver) {
  const root = tempDir();
  dirs.push(root);
  const lines: string[] = [];
  const config = loadConfig(writeConfig(yaml), { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root, ...env });
  const driver = await createDriver(config);
  const registry = new Registry(config, wrap ? wrap(driver) : driver);
  const running: RunningServer = await startServer(registry, { accessLog: () => {}, maintenanceLog: (l) => lines.push(l) });
  return { registry, running, lines, c: { url: running.url, headers: {} } };
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts an upload in `name` and backdates it by two hours; its id. */
async function staleUpload(reg: { registry: Registry; c: { url: string; headers: Record<string, string> } }, name: string): Promise<string> {
  const res = await req(reg.c, 'POST', `/v2/${name}/blobs/uploads/`);
  assert.equal(res.status, 202);
  await res.arrayBuffer();
  const id = res.headers.get('location')!.split('/').pop()!;
  await reg.registry.driver.putContent(layout.uploadStartedAt(name, id), Buffer.from(new Date(Date.now() - 2 * 3600_000).toISOString()));
  return id;
}

async function uploadStatus(c: { url: string; headers: Record<string, string> }, name: string, id: string): Promise<number> {
  const res = await req(c, 'GET', `/v2/${name}/blobs/uploads/${id}`);
  await res.arrayBuffer();
  return res.status;
}

describe('configuration keys berth-registry honours', () => {
  const purging = (extra: string) => `storage:\n  maintenance:\n    uploadpurging:\n      age: 1h\n      interval: 50ms\n${extra}`;

  it('storage.maintenance.uploadpurging deletes uploads idle for longer than age, in the background', async () => {
    const reg = await startWith(purging('      enabled: true\n'));
    try {
      const old = await staleUpload(reg, 'purge/app');
      const res = await req(reg.c, 'POST', '/v2/purge/app/blobs/uploads/');
      await res.arrayBuffer();
      const fresh = res.headers.get('location')!.split('/').pop()!;
      await until('the stale upload to be purged', async () => (await uploadStatus(reg.c, 'purge/app', old)) === 404);
      assert.equal(await uploadStatus(reg.c, 'purge/app', fresh), 204);
      assert.ok(reg.lines.some((l) => l.includes(`upload ${old} is abandoned, deleting`)), reg.lines.join('\n'));
    } finally {
      await reg.running.close();
    }
  });

  it('uploadpurging leaves an upload being started (its startedat not written yet) until the directory itself is old', async () => {
    const reg = await startWith(purging('      enabled: false\n'));
    try {
      const { mkdirSync, utimesSync, writeFileSync: write, existsSync } = await import('node:fs');
      const dir = join(reg.registry.config.storage.driver === 'filesystem' ? reg.registry.config.storage.filesystem.rootdirectory : '',
        layout.uploadDir('purge/starting', 'u1'));
      mkdirSync(dir, { recursive: true });
      write(join(dir, '.berth-tmp-startedat'), '');
      const config = { ...reg.registry.config.uploadPurging, enabled: true };
      assert.equal(await purgeUploads(reg.registry, config, () => {}), 0);
      assert.ok(existsSync(dir));
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(dir, old, old);
      assert.equal(await purgeUploads(reg.registry, config, () => {}), 1);
      assert.ok(!existsSync(dir));
    } finally {
      await reg.running.close();
    }
  });

  it('uploadpurging.dryrun logs the upload it would delete and keeps it', async () => {
    const reg = await startWith(purging('      dryrun: true\n'));
    try {
      const old = await staleUpload(reg, 'purge/dry');
      await until('a purge run', () => reg.lines.some((l) => l.includes(`upload ${old} is abandoned (would delete)`)));
      assert.equal(await uploadStatus(reg.c, 'purge/dry', old), 204);
    } finally {
      await reg.running.close();
    }
  });

  it('uploadpurging.enabled: false keeps stale uploads', async () => {
    const reg = await startWith(purging('      enabled: false\n'));
    try {
      const old = await staleUpload(reg, 'purge/off');
      await new Promise((r) => setTimeout(r, 300)); // several intervals
      assert.equal(await uploadStatus(reg.c, 'purge/off', old), 204);
      assert.deepEqual(reg.lines, []);
    } finally {
      await reg.running.close();
    }
  });

  it('health.storagedriver: after threshold failed checks every request is 503 UNAVAILABLE, until a check passes', async () => {
    let broken = false;
    const wrap = (d: StorageDriver): StorageDriver => new Proxy(d, {
      get(target, prop, receiver) {
        if (prop === 'stat') return (path: string) => (broken ? Promise.reject(new Error('disk on fire')) : target.stat(path));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const reg = await startWith('health:\n  storagedriver:\n    enabled: true\n    interval: 20ms\n    threshold: 2\n', {}, wrap);
    try {
      const status = async () => { const r = await req(reg.c, 'GET', '/v2/'); return { status: r.status, body: await r.text() }; };
      assert.equal((await status()).status, 200);
      broken = true;
      await until('the registry to turn unhealthy', async () => (await status()).status === 503);
      const r = await req(reg.c, 'GET', '/v2/_catalog');
      assert.equal(await errorCode(r), 'UNAVAILABLE');
      broken = false;
      await until('the registry to turn healthy', async () => (await status()).status === 200);
      assert.ok(reg.lines.some((l) => /storagedriver check failed 2 times: disk on fire/.test(l)), reg.lines.join('\n'));
    } finally {
      await reg.running.close();
    }
  });

  it('http.net: unix serves on the socket named by http.addr', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const socketPath = join(dir, 'registry.sock');
    const reg = await startWith('http:\n  net: unix\n', { REGISTRY_HTTP_ADDR: socketPath });
    const dispatcher = new Agent({ connect: { socketPath } });
    try {
      const res = await fetch('http://localhost/v2/', { dispatcher } as RequestInit);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      await res.arrayBuffer();
    } finally {
      await dispatcher.close();
      await reg.running.close();
    }
  });

  /** A PATCH whose body is still coming when the registry shuts down: its status, or 'cut'. */
  async function patchDuringShutdown(yaml: string): Promise<number | 'cut'> {
    const reg = await startWith(yaml);
    const { request } = await import('node:http');
    let closed: Promise<void> | undefined;
    try {
      const post = await req(reg.c, 'POST', '/v2/drain/app/blobs/uploads/');
      await post.arrayBuffer();
      const url = new URL(post.headers.get('location')!, reg.running.url);
      const chunk = Buffer.from('layer bytes');
      return await new Promise<number | 'cut'>((resolve) => {
        const r = request(url, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': chunk.length } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        r.on('error', () => resolve('cut'));
        r.write(chunk.subarray(0, 5));
        setTimeout(() => {
          closed = reg.running.close();
          setTimeout(() => { if (!r.destroyed) r.end(chunk.subarray(5)); }, 100);
        }, 100);
      });
    } finally {
      await (closed ?? reg.running.close());
    }
  }

  it('http.draintimeout lets a request in progress finish at shutdown; without it the request is cut', async () => {
    assert.equal(await patchDuringShutdown('http:\n  draintimeout: 10s\n'), 202);
    assert.equal(await patchDuringShutdown('http:\n  addr: 127.0.0.1:0\n'), 'cut');
  });
});

describe('TLS and S3 keys berth-registry honours', () => {
  let certs: string;
  const openssl = (...args: string[]) => exec('openssl', args);
  /** A self-signed certificate (its own CA) for `cn`: <dir>/<name>.pem and <name>-key.pem. */
  const selfSigned = (name: string, cn: string) => openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certs, `${name}-key.pem`), '-out', join(certs, `${name}.pem`));

  it('http.tls.minimumtls refuses older clients; http.tls.clientcas refuses clients without a certificate from those CAs', async () => {
    certs = tempDir();
    dirs.push(certs);
    await Promise.all([selfSigned('server', '127.0.0.1'), selfSigned('client', 'client')]);
    const { readFileSync } = await import('node:fs');
    const pem = (n: string) => readFileSync(join(certs, n));
    const yaml = `http:\n  tls:\n    certificate: ${join(certs, 'server.pem')}\n    key: ${join(certs, 'server-key.pem')}\n` +
      `    minimumtls: tls1.3\n    clientcas:\n      - ${join(certs, 'client.pem')}\n`;
    const reg = await startWith(yaml);
    const get = async (connect: Record<string, unknown>): Promise<number | string> => {
      const dispatcher = new Agent({ connect: { ca: pem('server.pem'), ...connect } });
      try {
        const res = await fetch(`${reg.running.url}/v2/`, { dispatcher } as RequestInit);
        await res.arrayBuffer();
        return res.status;
      } catch (err) {
        return String((err as Error & { cause?: Error }).cause?.message ?? err);
      } finally {
        await dispatcher.close();
      }
    };
    try {
      const client = { cert: pem('client.pem'), key: pem('client-key.pem') };
      assert.equal(await get(client), 200);
      assert.match(String(await get({ ...client, maxVersion: 'TLSv1.2' })), /version|protocol|alert/i);
      assert.notEqual(await get({}), 200);
    } finally {
      await reg.running.close();
    }
  });

  it('storage.s3.encrypt asks for AES256 on every object; storage.s3.skipverify accepts a self-signed endpoint', async () => {
    const { createServer } = await import('node:https');
    const { readFileSync } = await import('node:fs');
    const { S3Driver } = await import('../../src/registry/storage/s3.js');
    const seen: Array<{ method: string; sse: string | undefined }> = [];
    // A stand-in for the S3 endpoint: answers every PUT, records the encryption asked for.
    const server = createServer({ cert: readFileSync(join(certs, 'server.pem')), key: readFileSync(join(certs, 'server-key.pem')) }, (q, r) => {
      seen.push({ method: q.method ?? '', sse: q.headers['x-amz-server-side-encryption'] as string | undefined });
      q.resume();
      q.on('end', () => { r.writeHead(200, { ETag: '"0"' }); r.end(); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    const options = { bucket: 'b', region: 'us-east-1', regionendpoint: endpoint, accesskey: 'a', secretkey: 's' };
    const verified = new S3Driver(options);
    const trusting = new S3Driver({ ...options, skipverify: true, encrypt: true });
    try {
      await assert.rejects(verified.putContent('/x', Buffer.from('x')), /certificate/i);
      await trusting.putContent('/x', Buffer.from('x'));
      assert.deepEqual(seen, [{ method: 'PUT', sse: 'AES256' }]);
    } finally {
      verified.client.destroy();
      trusting.client.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
