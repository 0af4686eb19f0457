// docker login / logout through berthd against an htpasswd-protected docker-registry: a wrong password
// fails, no credentials are refused, after login push and pull work with the credentials the CLI keeps
// in its config.json and sends as X-Registry-Auth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { cleanUpInOrder, inspectInRegistry, startDockerRegistry, type RegistryPeer } from '../helpers/distribution-peers.js';

let daemon: TestDaemon;
let registry: RegistryPeer;
let config: string;
const docker = (args: string[], input?: string) => daemon.docker(args, { env: { DOCKER_CONFIG: config }, input });

before(async () => {
  config = await mkdtemp(join(tmpdir(), 'berth-docker-config-'));
  registry = await startDockerRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
  daemon = await startDaemon();
  await importBusybox(daemon);
  assert.equal((await docker(['tag', 'busybox', `${registry.host}/alice/busybox:1`])).code, 0);
});

after(() => cleanUpInOrder(() => daemon?.stop(), () => registry?.stop(), () => rm(config, { recursive: true, force: true })));

test('a wrong password fails to log in and stores nothing', async () => {
  // What Debian's dockerd (20.10) answers a Basic login the registry refuses: 500, not 401, and this message.
  const refusal = `login attempt to http://${registry.host}/v2/ failed with status: 401 Unauthorized`;
  const api = await daemon.api('POST', '/v1.47/auth', { username: 'alice', password: 'wrong', serveraddress: registry.host });
  assert.equal(api.status, 500);
  assert.deepEqual(JSON.parse(api.body), { message: refusal });
  const r = await docker(['login', '-u', 'alice', '--password-stdin', registry.host], 'wrong\n');
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').pop(), `Error response from daemon: ${refusal}`);
  await assert.rejects(readFile(join(config, 'config.json'), 'utf8').then((t) => {
    if (JSON.parse(t).auths?.[registry.host]) return;
    throw new Error('no entry');
  }));
});

test('a token server refusing with Docker Hub\'s {"details"} body answers 401, as dockerd does', async () => {
  const hub = createServer((req, res) => {
    if (req.url === '/v2/') {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="hub"` });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    } else {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"incorrect username or password"}\n');
    }
  });
  const port = await new Promise<number>((resolve) => hub.listen(0, '127.0.0.1', () => resolve((hub.address() as AddressInfo).port)));
  try {
    const refusal = `Get "http://127.0.0.1:${port}/v2/": unauthorized: incorrect username or password`;
    const api = await daemon.api('POST', '/v1.47/auth', { username: 'alice', password: 'wrong', serveraddress: `127.0.0.1:${port}` });
    assert.equal(api.status, 401);
    assert.deepEqual(JSON.parse(api.body), { message: refusal });
    const r = await docker(['login', '-u', 'alice', '--password-stdin', `127.0.0.1:${port}`], 'wrong\n');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').pop(), `Error response from daemon: ${refusal}`);
  } finally {
    await new Promise((resolve) => hub.close(resolve));
  }
});

test('without credentials, push and pull are refused', async () => {
  const push = await docker(['push', `${registry.host}/alice/busybox:1`]);
  assert.equal(push.code, 1);
  assert.match(push.stderr, /no basic auth credentials/);
  const pull = await docker(['pull', `${registry.host}/alice/busybox:1`]);
  assert.equal(pull.code, 1);
  assert.match(pull.stderr, /no basic auth credentials/);
});

test('after docker login, push and pull work; after logout they are refused again', async () => {
  const login = await docker(['login', '-u', 'alice', '--password-stdin', registry.host], 's3cret\n');
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);
  const stored = JSON.parse(await readFile(join(config, 'config.json'), 'utf8'));
  assert.equal(stored.auths[registry.host].auth, Buffer.from('alice:s3cret').toString('base64'));

  const push = await docker(['push', `${registry.host}/alice/busybox:1`]);
  assert.equal(push.code, 0, push.stderr);
  const manifest = await inspectInRegistry(`${registry.host}/alice/busybox:1`, 'raw', 'alice:s3cret');
  assert.equal(manifest.schemaVersion, 2);

  assert.equal((await docker(['rmi', `${registry.host}/alice/busybox:1`])).code, 0);
  const pull = await docker(['pull', `${registry.host}/alice/busybox:1`]);
  assert.equal(pull.code, 0, pull.stderr);

  assert.equal((await docker(['logout', registry.host])).code, 0);
  const refused = await docker(['pull', `${registry.host}/alice/busybox:1`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /no basic auth credentials/);
});
