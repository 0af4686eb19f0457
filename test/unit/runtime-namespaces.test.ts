import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOciSpec, type HostFacts } from '../../src/engine/runtime/oci-spec.js';
import type { IsolationSpec } from '../../src/engine/runtime/oci-namespaces.js';
import type { RuntimeSpec } from '../../src/engine/runtime/runtime.js';
import { checkIsolationOptions, type ContainerLookup } from '../../src/engine/containers/namespace-options.js';
import { checkDeviceMappings, parseDeviceCgroupRule } from '../../src/engine/containers/device-options.js';
import { parseCreateBody } from '../../src/engine/containers/create-body.js';
import { namespaceHostConfig, type NamespaceFlags } from '../../src/cli/commands/namespace-flags.js';
import { NotFoundError } from '../../src/lib/errors.js';

const ID = 'd'.repeat(64);
const V1: HostFacts = { cgroupV2: false, cgroupParent: '/berth' };
const V2: HostFacts = { cgroupV2: true, cgroupParent: '/berth' };

function oci(isolation: IsolationSpec, host = V1, over: Partial<RuntimeSpec> = {}) {
  return buildOciSpec({
    id: ID, bundleDir: '/run/b', rootfs: '/r', args: ['sh', '-c', 'true'], env: [], cwd: '/', user: { uid: 0, gid: 0 },
    hostname: 'abc', terminal: false, openStdin: false, network: 'new', logPath: '/run/l', isolation, ...over,
  }, host);
}

const ns = (spec: ReturnType<typeof oci>, type: string) => spec.linux.namespaces.find((n) => n.type === type);
const shm = (spec: ReturnType<typeof oci>) => spec.mounts.find((m) => m.destination === '/dev/shm');

test('defaults: own pid, ipc and uts namespaces; the cgroup namespace is private on v2 and the host\'s on v1', () => {
  for (const host of [V1, V2]) {
    const spec = oci({}, host);
    assert.deepEqual(ns(spec, 'pid'), { type: 'pid' });
    assert.deepEqual(ns(spec, 'ipc'), { type: 'ipc' });
    assert.deepEqual(ns(spec, 'uts'), { type: 'uts' });
    assert.equal(spec.hostname, 'abc');
    assert.equal(Boolean(ns(spec, 'cgroup')), host.cgroupV2);
    assert.deepEqual(shm(spec), { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] });
    assert.equal(spec.annotations, undefined);
  }
});

test('--cgroupns host and private win over the host\'s default on v1 and v2', () => {
  for (const host of [V1, V2]) {
    assert.deepEqual(ns(oci({ cgroupns: 'private' }, host), 'cgroup'), { type: 'cgroup' });
    assert.equal(ns(oci({ cgroupns: 'host' }, host), 'cgroup'), undefined);
  }
});

test('--pid host drops the pid namespace; container:X joins X\'s by path', () => {
  assert.equal(ns(oci({ pid: 'host' }), 'pid'), undefined);
  assert.deepEqual(ns(oci({ pid: { path: '/proc/42/ns/pid' } }), 'pid'), { type: 'pid', path: '/proc/42/ns/pid' });
});

test('--uts host shares the host\'s namespace and sets no hostname', () => {
  const spec = oci({ uts: 'host' });
  assert.equal(ns(spec, 'uts'), undefined);
  assert.equal(spec.hostname, undefined);
});

test('--ipc: host binds the host\'s /dev/shm, none has none, shareable and joiners bind a /dev/shm on the host', () => {
  const host = oci({ ipc: 'host' });
  assert.equal(ns(host, 'ipc'), undefined);
  assert.deepEqual(shm(host), { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  const none = oci({ ipc: 'none' });
  assert.deepEqual(ns(none, 'ipc'), { type: 'ipc' });
  assert.equal(shm(none), undefined);
  const shareable = oci({ ipc: { shm: '/data/c/shm' } });
  assert.deepEqual(ns(shareable, 'ipc'), { type: 'ipc' });
  assert.equal(shm(shareable)!.source, '/data/c/shm');
  const joiner = oci({ ipc: { path: '/proc/7/ns/ipc', shm: '/data/donor/shm' }, shmSizeBytes: 1 << 20 });
  assert.deepEqual(ns(joiner, 'ipc'), { type: 'ipc', path: '/proc/7/ns/ipc' });
  assert.deepEqual(shm(joiner), { destination: '/dev/shm', type: 'bind', source: '/data/donor/shm', options: ['rbind', 'rprivate'] });
  // A user's own mount on /dev/shm stays.
  const own = oci({ ipc: 'none' }, V1, { mounts: [{ destination: '/dev/shm', source: '/x', type: 'bind', options: ['rbind'] }] });
  assert.equal(shm(own)!.source, '/x');
});

test('--shm-size sets the size of the container\'s own /dev/shm', () => {
  assert.ok(shm(oci({ shmSizeBytes: 128 << 20 }))!.options!.includes(`size=${128 << 20}`));
  assert.ok(!shm(oci({ shmSizeBytes: 128 << 20 }))!.options!.includes('size=65536k'));
});

test('sysctls go over Berth\'s own; oom score, cgroup parent and annotations', () => {
  const spec = oci({
    sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.ip_unprivileged_port_start': '1024' },
    oomScoreAdj: 500, cgroupParent: 'team/a', annotations: { 'org.example': 'x' },
  });
  assert.deepEqual(spec.linux.sysctl, {
    'net.ipv4.ip_unprivileged_port_start': '1024', 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_forward': '0',
  });
  assert.equal(spec.process.oomScoreAdj, 500);
  assert.equal(spec.linux.cgroupsPath, `/team/a/${ID}`);
  assert.equal(oci({ cgroupParent: '/other/' }).linux.cgroupsPath, `/other/${ID}`);
  assert.deepEqual(spec.annotations, { 'org.example': 'x' });
  assert.equal(oci({ sysctls: { 'kernel.shmmax': '1' } }, V1, { network: 'host' }).linux.sysctl!['kernel.shmmax'], '1');
});

test('--init mounts tini read-only as /sbin/docker-init and runs the command under it', () => {
  const spec = oci({ init: '/usr/bin/tini-static' });
  assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sh', '-c', 'true']);
  const m = spec.mounts.find((x) => x.destination === '/sbin/docker-init')!;
  assert.equal(m.source, '/usr/bin/tini-static');
  assert.ok(m.options!.includes('ro'));
});

test('devices: the node with the host\'s numbers, its cgroup rule after the defaults, then the user\'s rules', () => {
  for (const host of [V1, V2]) {
    const spec = oci({
      devices: [{ device: { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }, access: 'rw' }],
      deviceRules: [parseDeviceCgroupRule('c 1:11 r'), parseDeviceCgroupRule('b *:* m')],
    }, host);
    assert.deepEqual(spec.linux.devices, [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
    const rules = spec.linux.resources.devices;
    assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
    assert.deepEqual(rules.slice(-3), [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
      { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
    ]);
  }
  assert.equal(oci({}).linux.devices, undefined);
});

const noContainers: ContainerLookup = (ref) => { throw new NotFoundError(`No such container: ${ref}`); };

function check(hostConfig: Record<string, unknown>, config: Record<string, unknown> = {}): void {
  const req = parseCreateBody({ Image: 'busybox', ...config, HostConfig: hostConfig });
  checkIsolationOptions(req.hostConfig, req.config, noContainers);
}

test('create refuses what dockerd refuses, in its words', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ PidMode: 'foo' }, /^invalid PID mode: foo$/],
    [{ PidMode: 'container:gone' }, /^No such container: gone$/],
    [{ IpcMode: 'foo' }, /^invalid IPC mode: foo$/],
    [{ IpcMode: 'container:gone' }, /^No such container: gone$/],
    [{ UTSMode: 'container:x' }, /^invalid UTS mode: container:x$/],
    [{ UsernsMode: 'private' }, /^invalid USER mode: private$/],
    [{ CgroupnsMode: 'foo' }, /^invalid cgroup namespace mode: foo$/],
    [{ ShmSize: -5 }, /^SHM size can not be less than 0$/],
    [{ Sysctls: { 'vm.swappiness': '1' } }, /^sysctl 'vm.swappiness=1' is not allowed$/],
    [{ Sysctls: { 'kernel.domainname': 'x' } }, /^sysctl 'kernel.domainname=x' is not allowed$/],
    [{ NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '0' } }, /^sysctl "net.ipv4.ip_forward" not allowed in host network namespace$/],
    [{ IpcMode: 'host', Sysctls: { 'kernel.shmmax': '1' } }, /^sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace$/],
    [{ OomScoreAdj: 2000 }, /^Invalid value 2000, range for oom score adj is \[-1000, 1000\]$/],
    [{ Annotations: { '': 'a' } }, /^invalid Annotations: the empty string is not permitted as an annotation key$/],
    [{ DeviceCgroupRules: ['bad'] }, /^invalid device cgroup rule format: 'bad'$/],
    [{ DeviceCgroupRules: ['c 1:3 rr'] }, /^invalid device cgroup rule format: 'c 1:3 rr'$/],
    [{ Devices: [{ PathOnHost: 'dev/null' }] }, /^dev\/null is not an absolute path$/],
    [{ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'xyz' }] }, /^bad mode specified: xyz$/],
    [{ Cgroup: 'container:x' }, /^HostConfig.Cgroup is refused: /],
  ];
  for (const [hostConfig, message] of cases) assert.throws(() => check(hostConfig), (err: Error) => message.test(err.message), JSON.stringify(hostConfig));
  assert.throws(() => check({ UTSMode: 'host' }, { Hostname: 'x' }), (err: Error) => err.message === 'conflicting options: hostname and the UTS mode');
});

test('create accepts Docker\'s values', () => {
  check({
    PidMode: 'host', IpcMode: 'shareable', UTSMode: 'host', UsernsMode: 'host', CgroupnsMode: 'private', ShmSize: 1 << 20,
    Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10', 'kernel.shm_rmid_forced': '1' },
    OomScoreAdj: -1000, Runtime: 'runc', Annotations: { a: 'b' }, DeviceCgroupRules: ['c 1:3 rwm', 'a *:* r', 'b 7:* m'],
    Devices: [{ PathOnHost: '/dev/null', PathInContainer: '', CgroupPermissions: '' }], CgroupParent: 'x', Init: true,
  });
  for (const ipc of ['', 'private', 'host', 'none']) check({ IpcMode: ipc });
  const lookup: ContainerLookup = () => ({}) as never;
  const req = parseCreateBody({ Image: 'i', HostConfig: { PidMode: 'container:a', IpcMode: 'container:b' } });
  checkIsolationOptions(req.hostConfig, req.config, lookup);
  assert.deepEqual(checkDeviceMappings([{ PathOnHost: '/dev/fuse' }]), [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
});

function flags(over: Partial<NamespaceFlags>): NamespaceFlags {
  return { sysctl: [], device: [], deviceCgroupRule: [], annotation: [], ...over };
}

test('berth run flags: the HostConfig the docker CLI sends, and its refusals', () => {
  assert.deepEqual(namespaceHostConfig(flags({})), {});
  assert.deepEqual(namespaceHostConfig(flags({
    pid: 'host', ipc: 'shareable', uts: 'host', userns: 'host', cgroupns: 'private', shmSize: '128m',
    sysctl: ['net.ipv4.ip_forward=0'], device: ['/dev/null:/dev/mynull', '/dev/fuse:rw', '/dev/kmsg:/dev/k:r'],
    deviceCgroupRule: ['c 1:3 rwm'], oomScoreAdj: '500', cgroupParent: 'p', annotation: ['a=b'], runtime: 'runc',
  })), {
    PidMode: 'host', IpcMode: 'shareable', UTSMode: 'host', UsernsMode: 'host', CgroupnsMode: 'private', ShmSize: 134217728,
    Sysctls: { 'net.ipv4.ip_forward': '0' },
    Devices: [
      { PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rw' },
      { PathOnHost: '/dev/kmsg', PathInContainer: '/dev/k', CgroupPermissions: 'r' },
    ],
    DeviceCgroupRules: ['c 1:3 rwm'], OomScoreAdj: 500, CgroupParent: 'p', Annotations: { a: 'b' }, Runtime: 'runc',
  });
  const refusals: [Partial<NamespaceFlags>, RegExp][] = [
    [{ pid: 'foo' }, /^--pid: invalid PID mode$/],
    [{ uts: 'foo' }, /^--uts: invalid UTS mode$/],
    [{ userns: 'private' }, /^--userns: invalid USER mode$/],
    [{ cgroupns: 'foo' }, /^--cgroupns: invalid CGROUP mode$/],
    [{ sysctl: ['vm.swappiness=1'] }, /^invalid argument "vm.swappiness=1" for "--sysctl" flag: sysctl 'vm.swappiness=1' is not allowed$/],
    [{ deviceCgroupRule: ['bad'] }, /^invalid argument "bad" for "--device-cgroup-rule" flag: invalid device cgroup format 'bad'$/],
    [{ device: ['dev/null'] }, /^dev\/null is not an absolute path$/],
    [{ device: ['/dev/null:/dev/x:xyz'] }, /^bad mode specified: xyz$/],
    [{ device: ['/dev/null:/dev/x:r:q'] }, /^bad format for path: \/dev\/null:\/dev\/x:r:q$/],
    [{ shmSize: '-1' }, /^invalid argument "-1" for "--shm-size" flag: invalid size: '-1'$/],
    [{ oomScoreAdj: 'x' }, /^invalid argument "x" for "--oom-score-adj" flag/],
  ];
  for (const [over, message] of refusals) assert.throws(() => namespaceHostConfig(flags(over)), (err: Error) => message.test(err.message), JSON.stringify(over));
});
