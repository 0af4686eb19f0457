import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => { daemon = await startDaemon(); });
after(async () => { await daemon.stop(); });

const api = (method: string, path: string, body?: unknown) => daemon.api(method, path, body);

test('docker volume create, inspect, ls and rm', async () => {
  const created = await daemon.docker(['volume', 'create', '--label', 'app=web', 'web-data']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), 'web-data');
  const inspect = await daemon.docker(['volume', 'inspect', 'web-data']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const [v] = JSON.parse(inspect.stdout);
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.deepEqual(v.Labels, { app: 'web' });
  assert.equal(v.Mountpoint, join(daemon.dataRoot, 'volumes', 'web-data', '_data'));
  assert.ok(existsSync(v.Mountpoint));
  const ls = await daemon.docker(['volume', 'ls']);
  assert.match(ls.stdout, /^DRIVER\s+VOLUME NAME\nlocal\s+web-data\n$/);
  const rm = await daemon.docker(['volume', 'rm', 'web-data']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(existsSync(join(daemon.dataRoot, 'volumes', 'web-data')), false);
  assert.equal((await daemon.docker(['volume', 'ls', '-q'])).stdout, '');
});

test('docker volume ls filters by name, label and dangling', async () => {
  for (const args of [['--label', 'tier=db', 'db1'], ['--label', 'tier=web', 'web1'], ['other']]) {
    assert.equal((await daemon.docker(['volume', 'create', ...args])).code, 0);
  }
  const q = async (...f: string[]) => (await daemon.docker(['volume', 'ls', '-q', ...f.flatMap((x) => ['-f', x])])).stdout.trim().split('\n').filter(Boolean);
  assert.deepEqual(await q('label=tier'), ['db1', 'web1']);
  assert.deepEqual(await q('label=tier=web'), ['web1']);
  assert.deepEqual(await q('name=db'), ['db1']);
  assert.deepEqual(await q('dangling=true'), ['db1', 'other', 'web1']);
  assert.deepEqual(await q('dangling=false'), []);
  const bad = await daemon.docker(['volume', 'ls', '-f', 'bogus=1']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid filter 'bogus'/);
  await daemon.docker(['volume', 'rm', 'db1', 'web1', 'other']);
});

test('bad volume names, drivers and options are refused in Docker\'s words', async () => {
  const bad = await daemon.docker(['volume', 'create', 'bad@name']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'Error response from daemon: create bad@name: "bad@name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
  const short = await daemon.docker(['volume', 'create', 'a']);
  assert.match(short.stderr, /create a: volume name is too short, names should be at least two alphanumeric characters/);
  const driver = await daemon.docker(['volume', 'create', '-d', 'nfsplug', 'vv']);
  assert.match(driver.stderr, /create vv: error looking up volume plugin nfsplug: plugin "nfsplug" not found/);
  const opt = await daemon.docker(['volume', 'create', '-o', 'foo=bar', 'vv']);
  assert.match(opt.stderr, /create vv: invalid option: "foo"/);
  const missing = await daemon.docker(['volume', 'inspect', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such volume/);
  const rmMissing = await daemon.docker(['volume', 'rm', 'nope']);
  assert.match(rmMissing.stderr, /Error response from daemon: get nope: no such volume/);
  assert.equal((await daemon.docker(['volume', 'rm', '-f', 'nope'])).code, 0);
  assert.equal((await daemon.docker(['volume', 'ls', '-q'])).stdout, '');
  const malformed = await api('POST', '/volumes/create', '{"Name": 5');
  assert.equal(malformed.status, 400);
  assert.match(JSON.parse(malformed.body).message, /invalid JSON/);
});

test('the volume API answers with Docker\'s status codes and shapes', async () => {
  const created = await api('POST', '/v1.47/volumes/create', { Name: 'shape', Labels: { k: 'v' } });
  assert.equal(created.status, 201);
  assert.deepEqual(Object.keys(JSON.parse(created.body)).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  const list = await api('GET', '/v1.47/volumes');
  assert.equal(list.status, 200);
  const parsed = JSON.parse(list.body);
  assert.deepEqual(parsed.Volumes.map((v: { Name: string }) => v.Name), ['shape']);
  assert.equal(parsed.Warnings, null);
  assert.equal((await api('DELETE', '/v1.47/volumes/shape')).status, 204);
  assert.equal((await api('DELETE', '/v1.47/volumes/shape')).status, 404);
});

test('docker volume prune removes only anonymous volumes unless --all', async () => {
  const anon = (await api('POST', '/volumes/create', {})).body;
  const anonName = JSON.parse(anon).Name as string;
  assert.match(anonName, /^[0-9a-f]{64}$/);
  await writeFile(join(daemon.dataRoot, 'volumes', anonName, '_data', 'blob'), Buffer.alloc(2048));
  await daemon.docker(['volume', 'create', 'named1']);
  const prune = await daemon.docker(['volume', 'prune', '-f']);
  assert.equal(prune.code, 0, prune.stderr);
  assert.match(prune.stdout, new RegExp(`Deleted Volumes:\\n${anonName}\\n`));
  assert.match(prune.stdout, /Total reclaimed space: 2.048kB/);
  assert.deepEqual((await daemon.docker(['volume', 'ls', '-q'])).stdout.trim(), 'named1');
  const all = await daemon.docker(['volume', 'prune', '-f', '--all']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /named1/);
  assert.equal((await daemon.docker(['volume', 'ls', '-q'])).stdout, '');
});
