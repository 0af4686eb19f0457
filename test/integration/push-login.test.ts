// docker login / logout through berthd against an htpasswd-protected docker-registry: a wrong password
// fails, no credentials are refused, after login push and pull work with the credentials the CLI keeps
// in its config.json and sends as X-Registry-Auth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
  const r = await docker(['login', '-u', 'alice', '--password-stdin', registry.host], 'wrong\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`login attempt to http://${registry.host.replace(/\./g, '\\.')}/v2/ failed with status: 401`));
  await assert.rejects(readFile(join(config, 'config.json'), 'utf8').then((t) => {
    if (JSON.parse(t).auths?.[registry.host]) return;
    throw new Error('no entry');
  }));
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
