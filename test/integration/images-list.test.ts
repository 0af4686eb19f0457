import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeBusyboxTar } from '../helpers/busybox.js';

let daemon: TestDaemon;
let busybox: { tar: string; cleanup: () => Promise<void> };
const ids: Record<string, string> = {};

async function docker(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function api(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, path, method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  daemon = await startDaemon();
  busybox = await makeBusyboxTar();
  // Distinct configs give distinct images over the one shared layer.
  ids.web = await docker(['import', '-c', 'LABEL tier=web', '-c', 'LABEL team=a', busybox.tar, 'web:1']);
  ids.db = await docker(['import', '-c', 'LABEL tier=db', busybox.tar, 'team/db:2']);
  ids.none = await docker(['import', '-c', 'LABEL tier=none', busybox.tar]);
});
after(async () => {
  await daemon.stop();
  await busybox.cleanup();
});

const list = async (...filters: string[]): Promise<string[]> =>
  (await docker(['images', '--no-trunc', '--format', '{{.ID}}', ...filters.flatMap((f) => ['--filter', f])])).split('\n').filter(Boolean).sort();

test('docker images lists every image, the untagged one as <none>', async () => {
  const rows = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').sort();
  assert.deepEqual(rows, ['<none>:<none>', 'team/db:2', 'web:1']);
});

test('filters: dangling, label, reference, before and since', async () => {
  assert.deepEqual(await list('dangling=true'), [ids.none]);
  assert.deepEqual(await list('dangling=false'), [ids.db, ids.web].sort());
  assert.deepEqual(await list('label=tier=web'), [ids.web]);
  assert.deepEqual(await list('label=team'), [ids.web]);
  assert.deepEqual(await list('reference=team/*'), [ids.db]);
  assert.deepEqual(await list('reference=web'), [ids.web]);
  assert.deepEqual(await list('since=web:1'), [ids.db, ids.none].sort());
  assert.deepEqual(await list('before=team/db:2'), [ids.web]);
  const bad = await daemon.docker(['images', '--filter', 'dangling=maybe']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Invalid filter 'dangling=maybe'/);
  const unknown = await api('GET', `/images/json?filters=${encodeURIComponent('{"color":["red"]}')}`);
  assert.equal(unknown.status, 400);
  assert.equal(JSON.parse(unknown.body).message, "invalid filter 'color'");
});

test('the summary and inspect shapes are Docker\'s', async () => {
  const summaries = JSON.parse((await api('GET', '/v1.47/images/json')).body) as Record<string, unknown>[];
  const web = summaries.find((s) => s.Id === ids.web)!;
  assert.deepEqual(Object.keys(web).sort(), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size']);
  assert.deepEqual(web.Labels, { team: 'a', tier: 'web' });
  assert.equal(web.Containers, -1);
  const inspect = JSON.parse((await api('GET', '/v1.47/images/web:1/json')).body) as Record<string, any>;
  for (const key of ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Config', 'Architecture', 'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata']) {
    assert.ok(key in inspect, key);
  }
  assert.equal(inspect.GraphDriver.Name, 'overlay2');
  assert.equal(inspect.RootFS.Type, 'layers');
  assert.equal(inspect.Config.Cmd, null);
  const missing = await api('GET', '/v1.47/images/nothere/json');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).message, 'No such image: nothere:latest');
});

test('tag refuses what Docker refuses', async () => {
  const cases: [string, number, string][] = [
    ['repo=Bad', 400, 'invalid reference format: repository name (library/Bad) must be lowercase'],
    ['repo=ok&tag=-x', 400, 'invalid tag format'],
    ['repo=sha256&tag=x', 400, 'refusing to create an ambiguous tag using digest algorithm as name'],
    [`repo=${'a'.repeat(64)}`, 400, `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
  ];
  for (const [query, status, message] of cases) {
    const r = await api('POST', `/v1.47/images/web:1/tag?${query}`);
    assert.equal(r.status, status, query);
    assert.equal(JSON.parse(r.body).message, message);
  }
  const gone = await api('POST', '/v1.47/images/nothere/tag?repo=x');
  assert.equal(gone.status, 404);
  const ok = await api('POST', '/v1.47/images/web:1/tag?repo=web&tag=2');
  assert.equal(ok.status, 201);
  assert.equal(await docker(['inspect', '-f', '{{.Id}}', 'web:2']), ids.web);
});

test('image prune removes dangling images; prune -a every image no container uses', async () => {
  const pruned = await docker(['image', 'prune', '-f']);
  assert.match(pruned, new RegExp(`deleted: ${ids.none}`));
  assert.deepEqual(await list('dangling=true'), []);
  await docker(['image', 'prune', '-a', '-f']);
  assert.equal(await docker(['images', '-q']), '');
  assert.equal(await docker(['info', '--format', '{{.Images}}']), '0');
});
