// The hub's HTTP API on an in-process berth-registry with htpasswd users: namespaces on push, the
// Hub-style JSON API (repositories, tags, PATCH, stars, search), docker search's /v1 endpoints, pull
// counts, the rule that keeps hub paths apart from the distribution API, deletes, reindex and
// hub.enabled: false.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errorCode, pushImage, req, type Client } from './helpers/client.js';
import { ROOT, startTestRegistry, tempDir, type TestRegistry } from './helpers/registry.js';

const exec = promisify(execFile);
let dir: string;
let reg: TestRegistry;
let alice: Client;
let bob: Client;
let admin: Client;
let anonymous: Client;

function as(user: string, password: string): Client {
  return { url: reg.url, headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } };
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return await res.json() as T;
}

async function patch(c: Client, path: string, body: unknown): Promise<Response> {
  return req(c, 'PATCH', path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

before(async () => {
  dir = tempDir('berth-hub-api-');
  const users = join(dir, 'htpasswd');
  await exec('htpasswd', ['-Bbc', users, 'alice', 'alice-pw']);
  await exec('htpasswd', ['-Bb', users, 'bob', 'bob-pw']);
  await exec('htpasswd', ['-Bb', users, 'root', 'root-pw']);
  reg = await startTestRegistry({
    REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Hub Realm', REGISTRY_AUTH_HTPASSWD_PATH: users,
    REGISTRY_HUB_ADMINS: 'root', REGISTRY_STORAGE_DELETE_ENABLED: 'true',
  });
  alice = as('alice', 'alice-pw');
  bob = as('bob', 'bob-pw');
  admin = as('root', 'root-pw');
  anonymous = { url: reg.url, headers: {} };
  await pushImage(alice, 'alice/tool', '1.0');
  await pushImage(admin, 'busybox', 'latest');
});

after(async () => {
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('namespaces', () => {
  it('a user pushes to their own namespace only; library and namespace-less repositories are for admins', async () => {
    for (const name of ['alice/tool', 'busybox', 'library/busybox']) {
      const res = await req(bob, 'POST', `/v2/${name}/blobs/uploads/`);
      assert.equal(res.status, 403, name);
      assert.equal(await errorCode(res), 'DENIED');
    }
    await assert.rejects(pushImage(alice, 'busybox', 'mine'), /403/);
    await pushImage(bob, 'bob/app', '1');
    await pushImage(admin, 'alice/by-admin', '1');
    // Deleting is writing too.
    const res = await req(bob, 'DELETE', '/v2/alice/tool/manifests/1.0');
    assert.equal(res.status, 403);
    // Pulling is open to every user.
    assert.equal((await req(bob, 'GET', '/v2/alice/tool/manifests/1.0')).status, 200);
  });
});

describe('the Hub API', () => {
  it('a repository, addressed as the Hub does (library/ for namespace-less, trailing slash optional)', async () => {
    let res = await req(alice, 'GET', '/v2/repositories/library/busybox/');
    assert.equal(res.status, 200);
    const busybox = await json(res);
    assert.equal(busybox.namespace, 'library');
    assert.equal(busybox.name, 'busybox');
    assert.equal(busybox.tags_count, 1);
    assert.match(String(busybox.last_updated), /^\d{4}-\d\d-\d\dT/);
    for (const key of ['description', 'full_description', 'star_count', 'pull_count', 'is_official']) assert.ok(key in busybox, key);
    res = await req(alice, 'GET', '/v2/repositories/alice/tool');
    assert.equal((await json(res)).name, 'tool');
    assert.equal((await req(alice, 'GET', '/v2/repositories/alice/nothing/')).status, 404);
    res = await req(alice, 'GET', '/v2/repositories/Alice/tool/');
    assert.equal(res.status, 400);
  });

  it('lists a namespace, paged, with next and previous links', async () => {
    await pushImage(alice, 'alice/zeta', '1');
    let res = await req(alice, 'GET', '/v2/repositories/alice/?page_size=1');
    let page = await json<{ count: number; next: string | null; previous: string | null; results: { name: string }[] }>(res);
    assert.equal(page.count, 3); // by-admin, tool, zeta
    assert.deepEqual(page.results.map((r) => r.name), ['by-admin']);
    assert.equal(page.previous, null);
    res = await req(alice, 'GET', new URL(page.next!).pathname + new URL(page.next!).search);
    page = await json(res);
    assert.deepEqual(page.results.map((r) => r.name), ['tool']);
    assert.ok(page.previous);
    assert.equal((await req(alice, 'GET', '/v2/repositories/alice/?page_size=500')).status, 400);
  });

  it('tags: digest, size, platform and push time', async () => {
    const res = await req(bob, 'GET', '/v2/repositories/alice/tool/tags/');
    const tags = await json<{ count: number; results: Array<Record<string, unknown> & { images: Array<Record<string, unknown>> }> }>(res);
    assert.equal(tags.count, 1);
    const tag = tags.results[0];
    assert.equal(tag.name, '1.0');
    assert.match(String(tag.digest), /^sha256:[0-9a-f]{64}$/);
    assert.ok(Number(tag.full_size) > 2048);
    assert.equal(tag.images[0].os, 'linux');
    assert.equal(tag.images[0].architecture, 'amd64');
    assert.match(String(tag.tag_last_pushed), /^\d{4}-/);
    assert.equal((await req(bob, 'GET', '/v2/repositories/alice/tool/tags/1.0/')).status, 200);
    assert.equal((await req(bob, 'GET', '/v2/repositories/alice/tool/tags/9.9')).status, 404);
  });

  it('PATCH: the owner changes the description, another user gets 403, is_official is for admins', async () => {
    let res = await patch(alice, '/v2/repositories/alice/tool/', { description: 'A tool of Alice', full_description: '# Tool\n\nIt does things.' });
    assert.equal(res.status, 200);
    assert.equal((await json(res)).description, 'A tool of Alice');
    res = await patch(bob, '/v2/repositories/alice/tool/', { description: 'defaced' });
    assert.equal(res.status, 403);
    assert.match(String((await json(res)).message), /alice/);
    res = await patch(alice, '/v2/repositories/alice/tool/', { is_official: true });
    assert.equal(res.status, 403);
    res = await patch(admin, '/v2/repositories/library/busybox/', { is_official: true, description: 'The busybox' });
    assert.equal(res.status, 200);
    assert.equal((await json(res)).is_official, true);
    // Hostile or wrong bodies change nothing.
    for (const body of ['{', '[]', { nope: 1 }, { description: 5 }, { description: 'two\nlines' }, { description: 'x'.repeat(101) }]) {
      res = await patch(alice, '/v2/repositories/alice/tool/', body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    res = await patch(anonymous, '/v2/repositories/alice/tool/', { description: 'x' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="Hub Realm"/);
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/alice/tool/'))).description, 'A tool of Alice');
  });

  it('stars: once per user, DELETE unstars, has_starred for the caller', async () => {
    let res = await req(bob, 'POST', '/v2/repositories/alice/zeta/stars/');
    assert.equal(res.status, 201);
    res = await req(bob, 'POST', '/v2/repositories/alice/zeta/stars');
    assert.equal(res.status, 200);
    assert.equal((await json(res)).star_count, 1);
    await req(alice, 'POST', '/v2/repositories/alice/zeta/stars/');
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/alice/zeta/'))).star_count, 2);
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/alice/zeta/'))).has_starred, true);
    res = await req(bob, 'DELETE', '/v2/repositories/alice/zeta/stars/');
    assert.equal(res.status, 204);
    const zeta = await json(await req(bob, 'GET', '/v2/repositories/alice/zeta/'));
    assert.deepEqual([zeta.star_count, zeta.has_starred], [1, false]);
    assert.equal((await req(bob, 'POST', '/v2/repositories/alice/none/stars/')).status, 404);
  });

  it('pull_count counts manifest GETs, not HEADs', async () => {
    await pushImage(alice, 'alice/pulled', '1');
    for (const method of ['GET', 'GET', 'HEAD', 'HEAD']) assert.equal((await req(bob, method, '/v2/alice/pulled/manifests/1')).status, 200);
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/alice/pulled/'))).pull_count, 2);
  });
});

describe('search', () => {
  it('/v1/_ping answers anyone; /v1/search needs a user when the registry has auth', async () => {
    let res = await req(anonymous, 'GET', '/v1/_ping');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-docker-registry-standalone'), 'true');
    res = await req(anonymous, 'GET', '/v1/search?q=tool');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
  });

  it('/v1/search in Docker Hub v1 shape, exact name first', async () => {
    await pushImage(alice, 'alice/toolbox', '1');
    await pushImage(bob, 'bob/hammer', '1');
    await patch(bob, '/v2/repositories/bob/hammer/', { description: 'a tool for nails' });
    const res = await req(bob, 'GET', '/v1/search?q=tool&n=10');
    assert.equal(res.status, 200);
    const body = await json<{ query: string; num_results: number; num_pages: number; page: number; page_size: number;
      results: Array<{ name: string; description: string; star_count: number; is_official: boolean; is_automated: boolean }> }>(res);
    assert.deepEqual([body.query, body.num_results, body.num_pages, body.page, body.page_size], ['tool', 3, 1, 1, 10]);
    assert.deepEqual(body.results.map((r) => r.name), ['alice/tool', 'alice/toolbox', 'bob/hammer']);
    assert.deepEqual(body.results[0], { name: 'alice/tool', description: 'A tool of Alice', star_count: 0, pull_count: 1, is_official: false, is_automated: false });
    const paged = await json<{ num_pages: number; results: { name: string }[] }>(await req(bob, 'GET', '/v1/search?q=tool&n=2&page=2'));
    assert.deepEqual([paged.num_pages, paged.results.map((r) => r.name)], [2, ['bob/hammer']]);
    assert.equal((await req(bob, 'GET', '/v1/search?q=tool&n=0')).status, 400);
  });

  it('/v2/search/repositories/ in Docker Hub v2 shape', async () => {
    const res = await req(bob, 'GET', '/v2/search/repositories/?query=busybox&page_size=5');
    const body = await json<{ count: number; results: Array<Record<string, unknown>> }>(res);
    assert.equal(body.count, 1);
    assert.equal(body.results[0].repo_name, 'busybox');
    assert.equal(body.results[0].is_official, true);
    assert.equal(body.results[0].short_description, 'The busybox');
  });
});

describe('hub paths and distribution paths', () => {
  it('a repository named repositories/... pushes and pulls; its hub view is under namespace "repositories"', async () => {
    const img = await pushImage(admin, 'repositories/alice/tool', '1.0');
    let res = await req(bob, 'GET', '/v2/repositories/alice/tool/manifests/1.0');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), img.body);
    res = await req(bob, 'GET', '/v2/repositories/alice/tool/tags/list');
    assert.deepEqual(await json(res), { name: 'repositories/alice/tool', tags: ['1.0'] });
    // A method the distribution route does not have is the distribution API's 405, never the hub's PATCH.
    res = await patch(admin, '/v2/repositories/alice/tool/manifests/1.0', { description: 'x' });
    assert.equal(res.status, 405);
    res = await req(bob, 'GET', '/v2/repositories/repositories/alice/tool/');
    assert.deepEqual([(await json(res)).namespace, res.status], ['repositories', 200]);
    // The Hub view of alice/tool is unchanged.
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/alice/tool/'))).description, 'A tool of Alice');
  });
});

describe('deletes and reindex', () => {
  it('a deleted tag or manifest leaves the hub; a repository without manifests leaves search', async () => {
    const one = await pushImage(bob, 'bob/gone', '1');
    const two = await pushImage(bob, 'bob/gone', '2');
    const search = async () => (await json<{ results: { name: string }[] }>(await req(bob, 'GET', '/v1/search?q=gone'))).results.map((r) => r.name);
    assert.equal((await req(bob, 'DELETE', '/v2/bob/gone/manifests/2')).status, 202);
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/bob/gone/'))).tags_count, 1);
    assert.equal((await req(bob, 'DELETE', `/v2/bob/gone/manifests/${one.digest}`)).status, 202);
    // The manifest of tag 2 is still a revision (deleting a tag keeps it): the repository stays, without tags.
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/bob/gone/'))).tags_count, 0);
    assert.deepEqual(await search(), ['bob/gone']);
    assert.equal((await req(bob, 'DELETE', `/v2/bob/gone/manifests/${two.digest}`)).status, 202);
    assert.deepEqual(await search(), []);
    assert.equal((await req(bob, 'GET', '/v2/repositories/bob/gone/')).status, 404);
  });

  it('berth-registry hub reindex: a repository removed from storage leaves search, tags are rebuilt', async () => {
    await pushImage(bob, 'bob/removed', '1');
    rmSync(join(reg.root, 'docker/registry/v2/repositories/bob/removed'), { recursive: true });
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', join(ROOT, 'src/registry/main.ts'), 'hub', 'reindex', '--quiet'], {
      cwd: ROOT, env: { ...process.env, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: reg.root },
    });
    assert.match(stdout, /1 repositories removed/);
    const found = await json<{ results: { name: string }[] }>(await req(bob, 'GET', '/v1/search?q=removed'));
    assert.deepEqual(found.results, []);
    // What storage cannot tell survives a reindex.
    assert.equal((await json(await req(bob, 'GET', '/v2/repositories/alice/tool/'))).description, 'A tool of Alice');
  });
});

describe('hub.enabled: false', () => {
  it('leaves a plain registry: no hub paths, no namespaces', async () => {
    const users = join(dir, 'htpasswd');
    const plain = await startTestRegistry({
      REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Plain', REGISTRY_AUTH_HTPASSWD_PATH: users, REGISTRY_HUB_ENABLED: 'false',
    });
    try {
      const c = { url: plain.url, headers: bob.headers };
      await pushImage(c, 'alice/anything', '1');
      assert.equal((await req(c, 'GET', '/v1/search?q=anything')).status, 404);
      assert.equal((await req(c, 'GET', '/v2/repositories/alice/anything/')).status, 404);
      assert.equal((await req(c, 'GET', '/v2/alice/anything/manifests/1')).status, 200);
    } finally {
      await plain.stop();
    }
  });
});

describe('hub.public: true', () => {
  it('answers anonymous reads and pages as Docker Hub does; stars, edits and wrong passwords still need a user', async () => {
    const users = join(dir, 'htpasswd');
    const open = await startTestRegistry({
      REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Open', REGISTRY_AUTH_HTPASSWD_PATH: users, REGISTRY_HUB_PUBLIC: 'true',
    });
    try {
      const anyone = { url: open.url, headers: {} };
      await pushImage({ url: open.url, headers: alice.headers }, 'alice/open-tool', '1.0');
      const found = await json<{ results: { name: string }[] }>(await req(anyone, 'GET', '/v1/search?q=open-tool'));
      assert.deepEqual(found.results.map((r) => r.name), ['alice/open-tool']);
      assert.equal((await req(anyone, 'GET', '/v2/repositories/alice/open-tool/')).status, 200);
      const page = await req(anyone, 'GET', '/r/alice/open-tool');
      assert.equal(page.status, 200);
      assert.match(await page.text(), /alice\/open-tool/);
      // Pulls stay the registry's business: anonymous callers are still challenged there.
      assert.equal((await req(anyone, 'GET', '/v2/alice/open-tool/manifests/1.0')).status, 401);
      assert.equal((await req(anyone, 'POST', '/v2/repositories/alice/open-tool/stars/')).status, 401);
      const wrong = { url: open.url, headers: { Authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } };
      assert.equal((await req(wrong, 'GET', '/v1/search?q=open-tool')).status, 401);
    } finally {
      await open.stop();
    }
  });

  it('is off by default: anonymous search on a registry with auth is challenged', async () => {
    assert.equal((await req(anonymous, 'GET', '/v1/search?q=tool')).status, 401);
  });
});
