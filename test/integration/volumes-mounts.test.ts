import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
let host: string;
before(async () => {
  host = await mkdtemp(join(tmpdir(), 'berth-binds-'));
  daemon = await startDaemon();
  await importBusybox(daemon);
  // An image with a VOLUME whose content Docker copies into a new volume.
  await importBusybox(daemon, 'withvol:latest', ['VOLUME /etc']);
});
after(async () => {
  await daemon?.stop();
  if (host) await rm(host, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a bind mount reads and writes host files; a missing -v host path is created', async () => {
  await writeFile(join(host, 'in.txt'), 'from host');
  const made = join(host, 'made', 'deep');
  const out = await ok(['run', '--rm', '-v', `${host}:/h`, '-v', `${made}:/m`, '-v', `${join(host, 'in.txt')}:/etc/motd:ro`,
    'busybox', 'sh', '-c', 'cat /h/in.txt; echo written > /h/out.txt; ls -d /m; cat /etc/motd']);
  assert.equal(out, 'from host/m\nfrom host');
  assert.equal(await readFile(join(host, 'out.txt'), 'utf8'), 'written\n');
  assert.ok(existsSync(made));
});

test(':ro refuses writes with Read-only file system', async () => {
  const r = await daemon.docker(['run', '--rm', '-v', `${host}:/h:ro`, 'busybox', 'sh', '-c', 'cat /h/in.txt && touch /h/nope']);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /from host/);
  assert.match(r.stderr, /Read-only file system/);
  assert.equal(existsSync(join(host, 'nope')), false);
});

test('a named volume is created on first use and keeps data across containers', async () => {
  await ok(['run', '--rm', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
  assert.equal(await ok(['run', '--rm', '--mount', 'type=volume,source=keep,target=/d,readonly', 'busybox', 'cat', '/d/f']), 'persisted\n');
  const [v] = JSON.parse(await ok(['volume', 'inspect', 'keep']));
  assert.equal(await readFile(join(v.Mountpoint, 'f'), 'utf8'), 'persisted\n');
  await ok(['volume', 'rm', 'keep']);
});

test('docker inspect shows Mounts as Docker does', async () => {
  const id = (await ok(['create', '-v', `${host}:/h:ro`, '-v', 'named1:/n', '-v', '/anon',
    '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', 'busybox', 'true'])).trim();
  const mounts = JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', id])) as Record<string, unknown>[];
  const byDest = Object.fromEntries(mounts.map((m) => [m.Destination, m]));
  assert.deepEqual(byDest['/h'], { Type: 'bind', Source: host, Destination: '/h', Mode: 'ro', RW: false, Propagation: 'rprivate' });
  assert.deepEqual(byDest['/n'], { Type: 'volume', Name: 'named1', Source: join(daemon.dataRoot, 'volumes', 'named1', '_data'), Destination: '/n', Driver: 'local', Mode: 'z', RW: true, Propagation: '' });
  assert.deepEqual(byDest['/t'], { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' });
  assert.match(String(byDest['/anon'].Name), /^[0-9a-f]{64}$/);
  await ok(['rm', '-v', id]);
  await ok(['volume', 'rm', 'named1']);
});

test('a volume in use cannot be removed: 409 with the container ids', async () => {
  const id = (await ok(['create', '-v', 'busy:/b', 'busybox', 'true'])).trim();
  const r = await daemon.docker(['volume', 'rm', 'busy']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `Error response from daemon: remove busy: volume is in use - [${id}]`);
  await ok(['rm', id]);
  await ok(['volume', 'rm', 'busy']);
});

test('rm -v removes the anonymous volumes of the container, not the named ones', async () => {
  const id = (await ok(['create', '-v', '/anon', '-v', 'stays:/s', 'busybox', 'true'])).trim();
  const names = (await ok(['volume', 'ls', '-q'])).trim().split('\n');
  const anon = names.find((n) => /^[0-9a-f]{64}$/.test(n))!;
  assert.ok(anon);
  await ok(['rm', '-v', id]);
  assert.deepEqual((await ok(['volume', 'ls', '-q'])).trim().split('\n'), ['stays']);
  await ok(['volume', 'rm', 'stays']);
});

test('the image\'s VOLUME content is copied into a new anonymous volume', async () => {
  const id = (await ok(['run', '-d', 'withvol', 'cat', '/etc/passwd'])).trim();
  await ok(['wait', id]);
  assert.match(await ok(['logs', id]), /^root:x:0:0/);
  const [mount] = JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', id]));
  assert.equal(mount.Destination, '/etc');
  assert.ok(existsSync(join(mount.Source, 'group')));
  await ok(['rm', '-v', id]);
  assert.equal(existsSync(mount.Source), false);
});

test('bad mounts are refused with Docker\'s messages and create nothing', async () => {
  const cases: [string[], string][] = [
    [['-v', 'rel/path:/x'], 'create rel/path: "rel/path" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    [['-v', 'a@b:/x'], 'create a@b: "a@b" includes invalid characters for a local volume name'],
    [['--mount', 'type=bind,source=/does/not/exist,target=/x'], 'invalid mount config for type "bind": bind source path does not exist: /does/not/exist'],
    [['-v', `${host}:/x:bogus`], 'invalid mode: bogus'],
    [['-v', `${host}:/x`, '-v', 'vol2:/x'], 'Duplicate mount point: /x'],
  ];
  for (const [args, message] of cases) {
    const r = await daemon.docker(['create', ...args, 'busybox', 'true']);
    assert.equal(r.code, 1, args.join(' '));
    assert.ok(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal((await ok(['ps', '-aq'])).trim(), '');
  assert.equal((await ok(['volume', 'ls', '-q'])).trim(), '');
});
