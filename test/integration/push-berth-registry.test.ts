// The chapter's private-registry session against berth-registry with Bearer tokens from its token
// server: docker login, tag, push, a second repository mounted, rmi, pull with progress, run; a user
// who may only pull is refused a push.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { cleanUpInOrder, startBerthRegistry, type RegistryPeer } from '../helpers/distribution-peers.js';

let daemon: TestDaemon;
let registry: RegistryPeer;
let aliceConfig: string;
let bobConfig: string;
const as = (config: string) => (args: string[], input?: string) => daemon.docker(args, { env: { DOCKER_CONFIG: config }, input });

before(async () => {
  aliceConfig = await mkdtemp(join(tmpdir(), 'berth-docker-config-'));
  bobConfig = await mkdtemp(join(tmpdir(), 'berth-docker-config-'));
  registry = await startBerthRegistry({
    users: { alice: 'alice-pw', bob: 'bob-pw' },
    acl: [{ account: 'alice', name: 'team/*', actions: ['pull', 'push'] }, { account: 'bob', name: 'team/*', actions: ['pull'] }],
    admins: ['alice'],
  });
  daemon = await startDaemon();
  await importBusybox(daemon);
});

after(() => cleanUpInOrder(
  () => daemon?.stop(), () => registry?.stop(),
  () => rm(aliceConfig, { recursive: true, force: true }), () => rm(bobConfig, { recursive: true, force: true }),
));

test('alice logs in with a token, pushes, and a second repository mounts the layer', async () => {
  const alice = as(aliceConfig);
  const wrong = await alice(['login', '-u', 'alice', '--password-stdin', registry.host], 'nope\n');
  assert.equal(wrong.code, 1);
  // dockerd (20.10) passes a token server's OCI error list on as 500, naming the request it refused.
  assert.equal(wrong.stderr.trim().split('\n').pop(), `Error response from daemon: Get "http://${registry.host}/v2/": unauthorized: invalid username or password`);
  const api = await daemon.api('POST', '/v1.47/auth', { username: 'alice', password: 'nope', serveraddress: registry.host });
  assert.equal(api.status, 500);
  const login = await alice(['login', '-u', 'alice', '--password-stdin', registry.host], 'alice-pw\n');
  assert.equal(login.code, 0, login.stderr);
  const ref = `${registry.host}/team/busybox:1.0`;
  assert.equal((await alice(['tag', 'busybox', ref])).code, 0);
  const push = await alice(['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /: Pushed$/m);
  assert.match(push.stdout, /^1\.0: digest: sha256:[a-f0-9]{64} size: \d+$/m);
  const second = `${registry.host}/team/copy:1.0`;
  assert.equal((await alice(['tag', 'busybox', second])).code, 0);
  const mounted = await alice(['push', second]);
  assert.equal(mounted.code, 0, mounted.stderr);
  assert.match(mounted.stdout, /: Mounted from team\/busybox$/m);
});

test('bob may pull, with progress and digest, but not push', async () => {
  const bob = as(bobConfig);
  const ref = `${registry.host}/team/busybox:1.0`;
  for (const name of [ref, `${registry.host}/team/copy:1.0`, 'busybox']) assert.equal((await bob(['rmi', name])).code, 0);
  const anonymous = await bob(['pull', ref]);
  assert.equal(anonymous.code, 1);
  // A denied pull is "not found" to dockerd (404): the repository may not exist at all.
  const denied = `pull access denied for ${registry.host}/team/busybox, repository does not exist or may require 'docker login': denied: `;
  assert.ok(anonymous.stderr.includes(`Error response from daemon: ${denied}`), anonymous.stderr);
  const api = await daemon.api('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(`${registry.host}/team/busybox`)}&tag=1.0`);
  assert.equal(api.status, 404);
  assert.ok((JSON.parse(api.body) as { message: string }).message.startsWith(denied), api.body);
  assert.equal((await bob(['login', '-u', 'bob', '--password-stdin', registry.host], 'bob-pw\n')).code, 0);
  const pull = await bob(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /: Pull complete$/m);
  assert.match(pull.stdout, /^Digest: sha256:[a-f0-9]{64}$/m);
  assert.equal((await bob(['tag', ref, `${registry.host}/team/bobs:1`])).code, 0);
  const push = await bob(['push', `${registry.host}/team/bobs:1`]);
  assert.equal(push.code, 1);
  assert.match(push.stderr, /denied|unauthorized/);
});

test('the pulled image runs', async () => {
  const r = await as(bobConfig)(['run', '--rm', `${registry.host}/team/busybox:1.0`, 'echo', 'pulled and running']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'pulled and running');
});
