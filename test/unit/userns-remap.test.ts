import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, lstat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import {
  mapsFromRanges, nextRangeStart, ownerShift, parseSubIdFile, rangesOf, rootPair, toContainer, toHost, type IdMapping,
} from '../../src/lib/id-mapping.js';
import { unpackLayer, UnsafeTarEntryError } from '../../src/lib/tar-unpack.js';
import { packPath } from '../../src/engine/layers/archive-pack.js';
import { parseRemapSpec } from '../../src/engine/base/userns-remap.js';
import { checkUsernsOptions, usernsOf } from '../../src/engine/containers/userns-options.js';
import { buildOciSpec, type HostFacts } from '../../src/engine/runtime/oci-spec.js';
import type { IsolationSpec } from '../../src/engine/runtime/oci-namespaces.js';
import type { RuntimeSpec } from '../../src/engine/runtime/runtime.js';
import type { HostConfig } from '../../src/engine/containers/container-types.js';

const REMAP: IdMapping = { uids: [{ containerID: 0, hostID: 100000, size: 65536 }], gids: [{ containerID: 0, hostID: 200000, size: 65536 }] };

test('subuid files: ranges by name or numeric id in file order, comments skipped, bad lines named', () => {
  const ranges = parseSubIdFile('# users\nalice:100000:65536\n\n1001:300000:10\nalice:500000:5\nbob:165536:65536\n');
  assert.deepEqual(rangesOf(ranges, 'alice', 1000).map((r) => r.start), [100000, 500000]);
  assert.deepEqual(rangesOf(ranges, 'carol', 1001).map((r) => r.start), [300000]);
  assert.deepEqual(rangesOf(ranges, 'dave', 1002), []);
  // dockerd lays the user's ranges end to end from container id 0.
  assert.deepEqual(mapsFromRanges(rangesOf(ranges, 'alice', 1000)), [
    { containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 500000, size: 5 },
  ]);
  assert.throws(() => parseSubIdFile('alice:100000\n', '/etc/subgid'), /\/etc\/subgid: line 1: invalid subordinate id range "alice:100000"/);
  assert.throws(() => parseSubIdFile('alice:x:1\n'), /line 1/);
});

test('a new range starts at 100000, past every range it would touch, as dockerd picks it', () => {
  assert.equal(nextRangeStart([]), 100000);
  assert.equal(nextRangeStart([{ name: 'a', start: 100000, count: 65536 }]), 165536);
  assert.equal(nextRangeStart([{ name: 'b', start: 165536, count: 65536 }, { name: 'a', start: 100000, count: 65536 }]), 231072);
  // A range well above the candidate leaves it alone; one that overlaps its end pushes it past.
  assert.equal(nextRangeStart([{ name: 'a', start: 1000000, count: 65536 }]), 100000);
  // dockerd's own test misses a range wholly inside the candidate; Berth skips it as well.
  assert.equal(nextRangeStart([{ name: 'a', start: 150000, count: 10 }]), 150010);
  assert.equal(nextRangeStart([{ name: 'a', start: 10, count: 5 }]), 100000);
});

test('ids translate both ways inside the maps only; root is the first subordinate id', () => {
  const maps = mapsFromRanges([{ name: 'a', start: 100000, count: 10 }, { name: 'a', start: 500000, count: 10 }]);
  assert.equal(toHost(maps, 0), 100000);
  assert.equal(toHost(maps, 12), 500002);
  assert.equal(toHost(maps, 20), undefined);
  assert.equal(toContainer(maps, 500002), 12);
  assert.equal(toContainer(maps, 0), undefined);
  assert.deepEqual(rootPair(REMAP), { uid: 100000, gid: 200000 });
  assert.deepEqual(rootPair(undefined), { uid: 0, gid: 0 });
  const shift = ownerShift(REMAP);
  assert.deepEqual(shift.toHost(1000, 5), { uid: 101000, gid: 200005 });
  assert.throws(() => shift.toHost(70000, 0), /Container ID 70000 cannot be mapped to a host ID/);
  // A host file outside the maps (a bind mount's) reads as the overflow id, as the kernel shows it.
  assert.deepEqual(shift.toContainer(0, 200001), { uid: 65534, gid: 1 });
});

test('--userns-remap values: user, user:group, ids; more than one colon or an empty part is refused', () => {
  assert.deepEqual(parseRemapSpec('default'), { user: 'default' });
  assert.deepEqual(parseRemapSpec('alice:staff'), { user: 'alice', group: 'staff' });
  assert.deepEqual(parseRemapSpec('1000:1000'), { user: '1000', group: '1000' });
  for (const bad of ['a:b:c', 'a:', ':b']) {
    assert.throws(() => parseRemapSpec(bad), { message: `Invalid user/group specification in --userns-remap: ${JSON.stringify(bad)}` });
  }
});

test('under remap: privileged, host network and host PID are refused in dockerd\'s words unless --userns host', () => {
  const hc = (over: Partial<HostConfig>) => ({ NetworkMode: 'default', ...over }) as HostConfig;
  assert.throws(() => checkUsernsOptions(hc({ Privileged: true }), REMAP),
    { message: 'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode' });
  assert.throws(() => checkUsernsOptions(hc({ NetworkMode: 'host' }), REMAP), { message: "cannot share the host's network namespace when user namespaces are enabled" });
  assert.throws(() => checkUsernsOptions(hc({ PidMode: 'host' }), REMAP), { message: 'cannot share the host PID namespace when user namespaces are enabled' });
  assert.throws(() => checkUsernsOptions(hc({ UsernsMode: 'private' }), REMAP), { message: 'invalid USER mode: private' });
  assert.throws(() => checkUsernsOptions(hc({ UsernsMode: 'private' }), undefined), { message: 'invalid USER mode: private' });
  for (const over of [{ Privileged: true }, { NetworkMode: 'host' }, { PidMode: 'host' }]) {
    checkUsernsOptions(hc({ ...over, UsernsMode: 'host' }), REMAP);
    checkUsernsOptions(hc(over), undefined);
  }
  assert.equal(usernsOf(hc({ UsernsMode: 'host' }), REMAP), undefined);
  assert.equal(usernsOf(hc({}), REMAP), REMAP);
  assert.equal(usernsOf(hc({}), undefined), undefined);
});

const HOST: HostFacts = { cgroupV2: false, cgroupParent: '/berth' };
function oci(isolation: IsolationSpec, over: Partial<RuntimeSpec> = {}) {
  return buildOciSpec({
    id: 'e'.repeat(64), bundleDir: '/run/b', rootfs: '/r', args: ['sh'], env: [], cwd: '/', user: { uid: 0, gid: 0 },
    hostname: 'abc', terminal: false, openStdin: false, network: 'new', logPath: '/run/l', isolation, ...over,
  }, HOST);
}

test('config.json under remap: an own user namespace with the maps and no ping_group_range', () => {
  const spec = oci({ user: REMAP });
  assert.deepEqual(spec.linux.namespaces.find((n) => n.type === 'user'), { type: 'user' });
  assert.deepEqual(spec.linux.uidMappings, REMAP.uids);
  assert.deepEqual(spec.linux.gidMappings, REMAP.gids);
  assert.deepEqual(spec.process.user, { uid: 0, gid: 0 });
  assert.deepEqual(spec.linux.sysctl, { 'net.ipv4.ip_unprivileged_port_start': '0' });
  const plain = oci({});
  assert.equal(plain.linux.namespaces.some((n) => n.type === 'user'), false);
  assert.equal(plain.linux.uidMappings, undefined);
  assert.equal(plain.linux.sysctl?.['net.ipv4.ping_group_range'], '0 2147483647');
});

test('config.json under remap: joining another container\'s network, IPC or PID namespace joins its user namespace', () => {
  const net = oci({ user: REMAP }, { network: { path: '/proc/42/ns/net' } });
  assert.deepEqual(net.linux.namespaces.find((n) => n.type === 'user'), { type: 'user', path: '/proc/42/ns/user' });
  const pid = oci({ user: REMAP, pid: { path: '/proc/7/ns/pid' } });
  assert.deepEqual(pid.linux.namespaces.find((n) => n.type === 'user'), { type: 'user', path: '/proc/7/ns/user' });
  const ipc = oci({ user: REMAP, ipc: { path: '/proc/9/ns/ipc', shm: '/x/shm' } });
  assert.deepEqual(ipc.linux.namespaces.find((n) => n.type === 'user'), { type: 'user', path: '/proc/9/ns/user' });
  assert.equal(net.linux.namespaces.filter((n) => n.type === 'user').length, 1);
});

async function tarOf(entries: { name: string; uid: number; gid: number; type?: 'directory' }[]): Promise<Buffer[]> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type) pack.entry({ name: e.name, uid: e.uid, gid: e.gid, type: e.type, mode: 0o755 });
    else pack.entry({ name: e.name, uid: e.uid, gid: e.gid, mode: 0o644 }, 'x');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return chunks;
}

test('a layer unpacked under remap gets the host owners; packing gives the archive the container owners back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-userns-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const target = join(dir, 'diff');
  await mkdir(target);
  const shift = ownerShift(REMAP);
  await unpackLayer(await tarOf([{ name: 'etc', uid: 0, gid: 0, type: 'directory' }, { name: 'etc/f', uid: 1000, gid: 50 }]), target, { shift });
  assert.deepEqual(await owner(join(target, 'etc')), [100000, 200000]);
  assert.deepEqual(await owner(join(target, 'etc/f')), [101000, 200050]);
  const headers: [string, number, number][] = [];
  const extract = tar.extract();
  packPath(target, { name: '', shift }).pipe(extract);
  for await (const e of extract) {
    headers.push([e.header.name, e.header.uid!, e.header.gid!]);
    e.resume();
  }
  assert.deepEqual(headers, [['etc/', 0, 0], ['etc/f', 1000, 50]]);
  // An owner the maps do not cover is refused, not written as some other owner.
  const other = join(dir, 'other');
  await mkdir(other);
  await assert.rejects(unpackLayer(await tarOf([{ name: 'g', uid: 70000, gid: 0 }]), other, { shift }), UnsafeTarEntryError);
});

async function owner(path: string): Promise<[number, number]> {
  const st = await lstat(path);
  return [st.uid, st.gid];
}
