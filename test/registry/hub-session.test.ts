// The hub's session from issue 14, with the real docker CLI: alice pushes alice/tool and an admin
// busybox (htpasswd users) through a berthd; `docker search` shows alice/tool with its description;
// alice stars it and STARS says 1; an admin marks busybox official and --filter is-official=true shows
// only it with [OK]; bob cannot push to alice/ nor change its description, but can star it; after a
// restart of the registry, stars, descriptions and pull counts are still there. Every `docker search`
// is run through berthd AND through the reference dockerd (Debian's 20.10), and the outputs must match.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOCKER, run, startDaemon, type RunResult, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { cleanUpInOrder } from '../helpers/distribution-peers.js';
import { spawnRegistry, tempDir, type RegistryProcess } from './helpers/registry.js';

const exec = promisify(execFile);
const REFERENCE = '/work/shared/tools/reference-dockerd';

let dir: string;
let registry: RegistryProcess;
let registryEnv: Record<string, string>;
let daemon: TestDaemon;
/** The shared reference dockerd's DOCKER_HOST, when it could be started. */
let reference: string | undefined;
const configs: Record<string, string> = {};

const basic = (user: string) => `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;
const as = (user: string) => (args: string[], input?: string) => daemon.docker(args, { env: { DOCKER_CONFIG: configs[user] }, input });
const onReference = (user: string, args: string[]): Promise<RunResult> =>
  run(DOCKER, ['-H', reference!, ...args], { env: { DOCKER_CONFIG: configs[user] } });

async function hub(user: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${registry.url}${path}`, {
    method, headers: { Authorization: basic(user), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** `docker search` through berthd; through the reference dockerd too, which must print the same. */
async function search(user: string, args: string[]): Promise<string> {
  const ours = await as(user)(['search', ...args]);
  assert.equal(ours.code, 0, `berthd: docker search ${args.join(' ')}: ${ours.stderr}`);
  if (reference) {
    const theirs = await onReference(user, ['search', ...args]);
    assert.equal(theirs.code, 0, `dockerd: docker search ${args.join(' ')}: ${theirs.stderr}`);
    assert.equal(ours.stdout, theirs.stdout, `docker search ${args.join(' ')}: berthd and dockerd differ`);
  }
  return ours.stdout;
}

before(async () => {
  dir = tempDir('berth-hub-session-');
  const users = join(dir, 'htpasswd');
  await exec('htpasswd', ['-Bbc', users, 'alice', 'alice-pw']);
  await exec('htpasswd', ['-Bb', users, 'bob', 'bob-pw']);
  await exec('htpasswd', ['-Bb', users, 'root', 'root-pw']);
  registryEnv = {
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'data'), REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Hub',
    REGISTRY_AUTH_HTPASSWD_PATH: users, REGISTRY_HUB_ADMINS: 'root', REGISTRY_LOG_ACCESSLOG_DISABLED: 'true',
  };
  registry = await spawnRegistry(registryEnv);
  for (const user of ['alice', 'bob', 'root']) configs[user] = await mkdtemp(join(tmpdir(), `berth-hub-${user}-`));
  daemon = await startDaemon();
  await importBusybox(daemon);
  for (const user of ['alice', 'bob', 'root']) {
    const login = await as(user)(['login', '-u', user, '--password-stdin', registry.host], `${user}-pw\n`);
    assert.equal(login.code, 0, login.stderr);
  }
  // The shared reference dockerd runs on this host: it reaches the registry on loopback, which dockerd
  // treats as an insecure registry (plain HTTP) by default. Nothing is created there: the CLI sends the
  // credentials of DOCKER_CONFIG (logged in above) with each search.
  try {
    reference = (await exec(REFERENCE, ['start'])).stdout.trim().split('\n').pop();
  } catch (err) {
    console.error(`reference dockerd not available, comparing with berthd only: ${(err as Error).message}`);
    reference = undefined;
  }
});

after(() => cleanUpInOrder(
  () => daemon?.stop(), () => registry?.stop(),
  ...Object.values(configs).map((c) => () => rm(c, { recursive: true, force: true })),
  () => (dir ? rm(dir, { recursive: true, force: true }) : undefined),
));

test('alice pushes alice/tool, an admin pushes busybox; bob may not push to alice/', async () => {
  const alice = as('alice');
  assert.equal((await alice(['tag', 'busybox', `${registry.host}/alice/tool:1.0`])).code, 0);
  const pushed = await alice(['push', `${registry.host}/alice/tool:1.0`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const root = as('root');
  assert.equal((await root(['tag', 'busybox', `${registry.host}/busybox:latest`])).code, 0);
  assert.equal((await root(['push', `${registry.host}/busybox:latest`])).code, 0);
  const bob = as('bob');
  assert.equal((await bob(['tag', 'busybox', `${registry.host}/alice/tool:bob`])).code, 0);
  const denied = await bob(['push', `${registry.host}/alice/tool:bob`]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /denied: requested access to the resource is denied/);
  // Nor may alice push a namespace-less repository.
  assert.equal((await alice(['tag', 'busybox', `${registry.host}/busybox:alice`])).code, 0);
  assert.match((await alice(['push', `${registry.host}/busybox:alice`])).stderr, /denied/);
});

test('docker search shows alice/tool with its description; bob cannot change it (403)', async () => {
  assert.equal((await hub('alice', 'PATCH', '/v2/repositories/alice/tool/', { description: 'A tool of Alice' })).status, 200);
  assert.equal((await hub('bob', 'PATCH', '/v2/repositories/alice/tool/', { description: 'defaced' })).status, 403);
  const out = await search('alice', [`${registry.host}/tool`]);
  assert.deepEqual(out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s{2,}/)), [
    ['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'],
    ['alice/tool', 'A tool of Alice', '0'],
  ]);
});

test('an anonymous docker search is refused as dockerd refuses it', async () => {
  const anonymous = await mkdtemp(join(tmpdir(), 'berth-hub-anonymous-'));
  try {
    const ours = await daemon.docker(['search', `${registry.host}/tool`], { env: { DOCKER_CONFIG: anonymous } });
    assert.equal(ours.code, 1);
    assert.equal(ours.stderr.trim(), 'Error response from daemon: Unexpected status code 401');
    if (reference) {
      const theirs = await run(DOCKER, ['-H', reference, 'search', `${registry.host}/tool`], { env: { DOCKER_CONFIG: anonymous } });
      assert.equal(theirs.stderr.trim(), ours.stderr.trim());
    }
  } finally {
    await rm(anonymous, { recursive: true, force: true });
  }
});

test('alice stars alice/tool and STARS says 1; bob stars it too', async () => {
  assert.equal((await hub('alice', 'POST', '/v2/repositories/alice/tool/stars/')).status, 201);
  assert.equal((await hub('alice', 'POST', '/v2/repositories/alice/tool/stars/')).status, 200);
  assert.match(await search('alice', [`${registry.host}/tool`]), /^alice\/tool\s+A tool of Alice\s+1\s*$/m);
  assert.equal((await hub('bob', 'POST', '/v2/repositories/alice/tool/stars/')).status, 201);
  assert.match(await search('bob', [`${registry.host}/tool`]), /^alice\/tool\s+A tool of Alice\s+2\s*$/m);
});

test('an admin marks busybox official: --filter is-official=true shows only it, with [OK]', async () => {
  assert.equal((await hub('alice', 'PATCH', '/v2/repositories/library/busybox/', { is_official: true })).status, 403);
  assert.equal((await hub('root', 'PATCH', '/v2/repositories/library/busybox/', { is_official: true, description: 'The busybox' })).status, 200);
  // "o" is in both names.
  const both = await search('bob', [`${registry.host}/o`]);
  assert.match(both, /^alice\/tool\s/m);
  assert.match(both, /^busybox\s/m);
  const official = await search('bob', ['--filter', 'is-official=true', `${registry.host}/o`]);
  assert.deepEqual(official.split('\n').filter(Boolean).slice(1).map((l) => l.trim().split(/\s{2,}/)), [['busybox', 'The busybox', '0', '[OK]']]);
});

test('--limit, --filter stars=N, --no-trunc and --format as docker search has them', async () => {
  assert.equal((await hub('alice', 'PATCH', '/v2/repositories/alice/tool/', {
    description: 'A tool of Alice, with a description longer than forty-five chars',
  })).status, 200);
  const limited = await search('bob', ['--limit', '1', `${registry.host}/o`]);
  assert.equal(limited.split('\n').filter(Boolean).length, 2);
  assert.match(limited, /^alice\/tool\s/m); // two stars rank it first
  const starred = await search('bob', ['--filter', 'stars=1', `${registry.host}/o`]);
  assert.doesNotMatch(starred, /busybox/);
  assert.match(await search('bob', [`${registry.host}/tool`]), /A tool of Alice, with a description longer t…   2/);
  assert.match(await search('bob', ['--no-trunc', `${registry.host}/tool`]), /longer than forty-five chars/);
  const formatted = await search('bob', ['--format', '{{.Name}}|{{.StarCount}}|{{.IsOfficial}}', `${registry.host}/o`]);
  assert.deepEqual(formatted.trim().split('\n'), ['alice/tool|2|', 'busybox|0|[OK]']);
  // berth's own search prints what docker's does.
  for (const args of [['--limit', '1', `${registry.host}/o`], ['--filter', 'is-official=true', '--no-trunc', `${registry.host}/o`]]) {
    const berth = await daemon.berth(['search', ...args], { env: { BERTH_CONFIG: configs.bob } });
    assert.equal(berth.code, 0, berth.stderr);
    assert.equal(berth.stdout, await search('bob', args));
  }
});

test('pulls are counted; after a restart of the registry stars, descriptions and pull counts remain', async () => {
  const bob = as('bob');
  await bob(['rmi', `${registry.host}/alice/tool:1.0`]);
  const pulled = await bob(['pull', `${registry.host}/alice/tool:1.0`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const before = await (await hub('bob', 'GET', '/v2/repositories/alice/tool/')).json() as Record<string, unknown>;
  assert.ok(Number(before.pull_count) >= 1);
  await registry.stop();
  registry = await spawnRegistry(registryEnv, [], registry.port);
  const after = await (await hub('bob', 'GET', '/v2/repositories/alice/tool/')).json() as Record<string, unknown>;
  assert.deepEqual(
    [after.star_count, after.description, after.pull_count, after.has_starred],
    [2, 'A tool of Alice, with a description longer than forty-five chars', before.pull_count, true],
  );
  const busybox = await (await hub('bob', 'GET', '/v2/repositories/library/busybox/')).json() as Record<string, unknown>;
  assert.equal(busybox.is_official, true);
  assert.match(await search('alice', ['--filter', 'is-official=true', `${registry.host}/busybox`]), /^busybox\s+The busybox\s+0\s+\[OK\]/m);
});
