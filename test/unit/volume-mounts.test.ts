import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile, readFile, readdir, symlink, stat, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeStore } from '../../src/engine/volumes/volume-store.js';
import { Logger } from '../../src/engine/base/log.js';

/** Cleanup that cannot be done is a warning; no test here expects one. */
const log = { warn: (message: string) => assert.fail(`unexpected warning: ${message}`) };
import { InvalidArgumentError } from '../../src/lib/errors.js';
import {
  planMounts, claimMounts, releaseMounts, runtimeMounts, inspectMounts, tmpfsFlagMounts, restoreMountRefs,
} from '../../src/engine/containers/mounts.js';
import { tmpfsMountOptions } from '../../src/engine/volumes/tmpfs-options.js';

let dir: string;
let volumes: VolumeStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-mounts-'));
  volumes = await VolumeStore.open(join(dir, 'volumes'), new Logger('error'));
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function refused(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: Error) => e instanceof InvalidArgumentError && e.message === message);
}

test('-v strings are parsed with Docker\'s rules', () => {
  const points = planMounts({ binds: ['/host/a/:/a:ro', 'data:/data', '/host/b:/b/../c:rw,rshared', 'cache:/cache:nocopy', '/anon'] });
  assert.deepEqual(points.map((p) => [p.Type, p.Name ?? p.Source, p.Destination, p.Mode, p.RW, p.Propagation, !!p.named]), [
    ['bind', '/host/a', '/a', 'ro', false, 'rprivate', false],
    ['volume', 'data', '/data', 'z', true, '', true],
    ['bind', '/host/b', '/c', 'rw,rshared', true, 'rshared', false],
    ['volume', 'cache', '/cache', 'nocopy', true, '', true],
    ['volume', '', '/anon', '', true, '', false],
  ]);
  assert.equal(points[3].copyData, false);
  assert.equal(points[0].createSource, true);
});

test('bad -v strings are refused with Docker\'s messages', () => {
  refused(() => planMounts({ binds: ['rel/path:/x'] }), 'create rel/path: "rel/path" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
  refused(() => planMounts({ binds: ['/x:rel'] }), 'invalid volume specification: \'/x:rel\': invalid mount config for type "bind": invalid mount path: \'rel\' mount path must be absolute');
  refused(() => planMounts({ binds: ['/tmp:/'] }), 'invalid volume specification: \'/tmp:/\': invalid mount config for type "bind": invalid specification: destination can\'t be \'/\'');
  refused(() => planMounts({ binds: ['/tmp:/x:bogus'] }), 'invalid mode: bogus');
  refused(() => planMounts({ binds: ['/tmp:/x:ro,rw'] }), 'invalid mode: ro,rw');
  refused(() => planMounts({ binds: ['/x:ro'] }), 'invalid volume specification: \'/x:ro\'');
  refused(() => planMounts({ binds: ['/a:/b:ro:x'] }), 'invalid volume specification: \'/a:/b:ro:x\'');
  refused(() => planMounts({ binds: ['/tmp:/x', '/var:/x'] }), 'Duplicate mount point: /x');
  refused(() => planMounts({ binds: ['/tmp:/x'], mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x/' }] }), 'Duplicate mount point: /x');
});

test('--mount objects are checked as Docker does; a bind source must exist', () => {
  refused(() => planMounts({ mounts: [{ Type: 'bind', Source: '/does/not/exist', Target: '/x' }] }), 'invalid mount config for type "bind": bind source path does not exist: /does/not/exist');
  refused(() => planMounts({ mounts: [{ Type: 'bind', Target: '/x' }] }), 'invalid mount config for type "bind": field Source must not be empty');
  refused(() => planMounts({ mounts: [{ Type: 'bind', Source: 'rel', Target: '/x' }] }), 'invalid mount config for type "bind": invalid mount path: \'rel\' mount path must be absolute');
  refused(() => planMounts({ mounts: [{ Type: 'tmpfs', Source: 'foo', Target: '/x' }] }), 'invalid mount config for type "tmpfs": field Source must not be specified');
  refused(() => planMounts({ mounts: [{ Type: 'volume', Target: 'rel' }] }), 'invalid mount config for type "volume": invalid mount path: \'rel\' mount path must be absolute');
  refused(() => planMounts({ mounts: [{ Type: 'volume', Target: '/x', ReadOnly: true }] }), 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes');
  refused(() => planMounts({ mounts: [{ Type: 'nfs', Target: '/x' }] }), 'invalid mount config for type "nfs": mount type unknown');
  const [bind, tmpfs, vol] = planMounts({ mounts: [
    { Type: 'bind', Source: dir, Target: '/b', ReadOnly: true },
    { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1770 } },
    { Type: 'volume', Source: 'vv', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } },
  ] });
  assert.deepEqual([bind.Mode, bind.RW, bind.Propagation, bind.createSource], ['', false, 'rprivate', false]);
  assert.equal(tmpfs.data, 'mode=1770,size=1m');
  assert.deepEqual([vol.Name, vol.Mode, vol.copyData, vol.volumeLabels], ['vv', 'z', false, { a: 'b' }]);
});

test('Config.Volumes become anonymous volumes where nothing else is mounted', () => {
  const points = planMounts({ binds: ['named:/data'], volumes: { '/data': {}, '/logs': {} }, tmpfs: { '/run': '' } });
  assert.deepEqual(points.map((p) => [p.Destination, p.Name ?? '']), [['/data', 'named'], ['/logs', '']]);
  assert.deepEqual(planMounts({ volumes: { '/run': {} }, tmpfs: { '/run': 'size=1m' } }), []);
});

test('claim creates named volumes on first use and anonymous ones always; rm -v removes only anonymous', async () => {
  await volumes.create({ name: 'shared' });
  const planned = planMounts({ binds: ['shared:/s', 'fresh:/f'], volumes: { '/anon': {} } });
  const points = await claimMounts(volumes, 'c1', planned, log);
  const anon = points[2].Name!;
  assert.match(anon, /^[0-9a-f]{64}$/);
  assert.equal(points[0].Source, join(dir, 'volumes', 'shared', '_data'));
  assert.deepEqual(volumes.list().map((v) => v.Name).sort(), [anon, 'fresh', 'shared'].sort());
  assert.deepEqual(volumes.usedBy('fresh'), ['c1']);
  const shown = inspectMounts(points);
  assert.deepEqual(shown[2], { Type: 'volume', Name: anon, Source: join(dir, 'volumes', anon, '_data'), Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' });
  // After a daemon restart the references come back from the container's record.
  const reopened = await VolumeStore.open(join(dir, 'volumes'), new Logger('error'));
  restoreMountRefs(reopened, 'c1', points);
  assert.deepEqual(reopened.usedBy('shared'), ['c1']);
  await releaseMounts(volumes, 'c1', points, true, log);
  assert.deepEqual(volumes.list().map((v) => v.Name).sort(), ['fresh', 'shared']);
});

test('a failed claim leaves no volume and no reference behind', async () => {
  const planned = planMounts({ binds: ['first:/a'], mounts: [{ Type: 'volume', Source: 'second', Target: '/b', VolumeOptions: { DriverConfig: { Options: { bogus: '1' } } } }] });
  await assert.rejects(claimMounts(volumes, 'c1', planned, log), /create second: invalid option: "bogus"/);
  assert.deepEqual(volumes.list(), []);
});

test('runtime mounts: binds created for -v, volumes filled from the image once, tmpfs with Docker\'s defaults', async () => {
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'data', 'sub'), { recursive: true });
  await writeFile(join(rootfs, 'data', 'sub', 'seed.txt'), 'from image');
  await chmod(join(rootfs, 'data'), 0o750);
  const host = join(dir, 'host', 'made');
  const file = join(dir, 'config.yml');
  await writeFile(file, 'k: v');
  const planned = planMounts({
    binds: [`${host}:/h:ro`, `${file}:/app/config.yml`], volumes: { '/data': {} },
    mounts: [{ Type: 'tmpfs', Target: '/h/t', TmpfsOptions: { SizeBytes: 65536, Options: [['exec']] } }],
  });
  const points = await claimMounts(volumes, 'c1', planned, log);
  const mounts = await runtimeMounts(volumes, points, rootfs);
  assert.ok((await stat(host)).isDirectory());
  assert.deepEqual(mounts.map((m) => m.destination), ['/h', '/data', '/app/config.yml', '/h/t']);
  assert.deepEqual(mounts[0], { destination: '/h', source: host, type: 'bind', options: ['rbind', 'rprivate', 'ro'] });
  assert.deepEqual(mounts[1].options, ['rbind', 'rprivate', 'rw']);
  assert.equal(await readFile(mounts[2].source, 'utf8'), 'k: v');
  assert.equal(await readFile(join(mounts[1].source, 'sub', 'seed.txt'), 'utf8'), 'from image');
  assert.equal((await stat(mounts[1].source)).mode & 0o777, 0o750);
  assert.deepEqual(mounts[3], { destination: '/h/t', source: 'tmpfs', type: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'size=64k', 'exec'] });
  // A volume with content is not filled again.
  await rm(join(mounts[1].source, 'sub'), { recursive: true });
  await writeFile(join(mounts[1].source, 'mine'), 'x');
  await runtimeMounts(volumes, points, rootfs);
  assert.deepEqual(await readdir(mounts[1].source), ['mine']);
});

test('copying from the image never follows a symlink out of the root filesystem', async () => {
  const rootfs = join(dir, 'rootfs');
  const outside = join(dir, 'outside');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'host data');
  await writeFile(join(rootfs, 'etc', 'inside'), 'image data');
  await symlink(outside, join(rootfs, 'data'));
  await symlink('../../../..' + outside, join(rootfs, 'rel'));
  const points = await claimMounts(volumes, 'c1', planMounts({ volumes: { '/data': {}, '/rel': {} } }), log);
  const mounts = await runtimeMounts(volumes, points, rootfs);
  for (const m of mounts) assert.deepEqual(await readdir(m.source), []);
  // A symlink that stays inside is followed within the root.
  await symlink('/etc', join(rootfs, 'conf'));
  const more = await claimMounts(volumes, 'c2', planMounts({ volumes: { '/conf': {} } }), log);
  const [conf] = await runtimeMounts(volumes, more, rootfs);
  assert.deepEqual(await readdir(conf.source), ['inside']);
});

test('a --mount bind whose source vanished before start fails in Docker\'s words', async () => {
  const src = join(dir, 'gone');
  await mkdir(src);
  const points = await claimMounts(volumes, 'c1', planMounts({ mounts: [{ Type: 'bind', Source: src, Target: '/x' }] }), log);
  await rm(src, { recursive: true });
  await assert.rejects(runtimeMounts(volumes, points, dir), /invalid mount config for type "bind": bind source path does not exist/);
  assert.equal(existsSync(src), false);
});

test('tmpfs options merge over Docker\'s defaults; --tmpfs entries become tmpfs mounts', () => {
  assert.deepEqual(tmpfsMountOptions(''), ['noexec', 'nosuid', 'nodev', 'rprivate']);
  assert.deepEqual(tmpfsMountOptions('rw,exec,size=1m,size=2m'), ['nosuid', 'nodev', 'rprivate', 'rw', 'exec', 'size=2m']);
  assert.deepEqual(tmpfsFlagMounts({ '/run/': 'size=64m' }), [{ destination: '/run', source: 'tmpfs', type: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=64m'] }]);
});
