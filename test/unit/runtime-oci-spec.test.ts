import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOciSpec, DEFAULT_CAPABILITIES, type HostFacts } from '../../src/engine/runtime/oci-spec.js';
import type { RuntimeSpec } from '../../src/engine/runtime/runtime.js';

const ID = 'c'.repeat(64);
const V1: HostFacts = { cgroupV2: false, cgroupParent: '/berth' };

function spec(over: Partial<RuntimeSpec> = {}): RuntimeSpec {
  return {
    id: ID, bundleDir: '/run/b', rootfs: '/var/lib/berth/x/merged', args: ['sh', '-c', 'echo hi'],
    env: ['PATH=/bin', 'HOSTNAME=abc'], cwd: '/work', user: { uid: 1000, gid: 1000, additionalGids: [10] },
    hostname: 'abc', terminal: false, openStdin: false, network: 'new', logPath: '/run/l', ...over,
  };
}

test('process: args, env, cwd, user, terminal and Docker\'s default capabilities', () => {
  const oci = buildOciSpec(spec({ terminal: true }), V1);
  assert.deepEqual(oci.process.args, ['sh', '-c', 'echo hi']);
  assert.deepEqual(oci.process.env, ['PATH=/bin', 'HOSTNAME=abc']);
  assert.equal(oci.process.cwd, '/work');
  assert.deepEqual(oci.process.user, { uid: 1000, gid: 1000, additionalGids: [10] });
  assert.equal(oci.process.terminal, true);
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
  for (const set of ['bounding', 'effective', 'permitted'] as const) {
    assert.deepEqual([...oci.process.capabilities[set]].sort(), [...DEFAULT_CAPABILITIES].sort());
  }
  assert.ok(!oci.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  assert.equal(oci.process.oomScoreAdj, 0, 'not conmon\'s -999');
  assert.equal(oci.root.path, '/var/lib/berth/x/merged');
  assert.equal(oci.root.readonly, false);
  assert.equal(buildOciSpec(spec({ readonlyRootfs: true }), V1).root.readonly, true);
});

test('no rlimits: the container inherits the daemon\'s limits instead of asking for more', () => {
  const oci = buildOciSpec(spec(), V1) as unknown as { process: Record<string, unknown> };
  assert.equal(oci.process.rlimits, undefined);
});

test('default mounts as Docker: proc, dev, devpts, sysfs ro, cgroup ro, mqueue, 64m shm', () => {
  const oci = buildOciSpec(spec(), V1);
  const byDest = new Map(oci.mounts.map((m) => [m.destination, m]));
  assert.deepEqual([...byDest.keys()], ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.ok(byDest.get('/sys')!.options!.includes('ro'));
  assert.ok(byDest.get('/sys/fs/cgroup')!.options!.includes('ro'));
  assert.ok(byDest.get('/dev/shm')!.options!.includes('size=65536k'));
  assert.equal(byDest.get('/dev/pts')!.type, 'devpts');
});

test('extra mounts follow the defaults, and one on a default destination replaces it', () => {
  const oci = buildOciSpec(spec({
    mounts: [
      { destination: '/etc/hosts', source: '/run/hosts', type: 'bind', options: ['rbind', 'ro'] },
      { destination: '/dev/shm', source: '/data/shm', type: 'bind', options: ['rbind'] },
    ],
  }), V1);
  const shm = oci.mounts.filter((m) => m.destination === '/dev/shm');
  assert.equal(shm.length, 1);
  assert.equal(shm[0]!.source, '/data/shm');
  assert.deepEqual(oci.mounts.at(-2), { destination: '/etc/hosts', source: '/run/hosts', type: 'bind', options: ['rbind', 'ro'] });
});

test('namespaces: own network, the host\'s (no uts, no hostname), or another container\'s', () => {
  const types = (n: RuntimeSpec['network'], host = V1) => buildOciSpec(spec({ network: n }), host).linux.namespaces;
  assert.deepEqual(types('new').map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(buildOciSpec(spec(), V1).hostname, 'abc');

  const host = buildOciSpec(spec({ network: 'host' }), V1);
  assert.deepEqual(host.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'pid']);
  assert.equal(host.hostname, undefined);
  assert.equal(host.linux.sysctl, undefined);

  const joined = types({ path: '/proc/42/ns/net' });
  assert.deepEqual(joined.find((n) => n.type === 'network'), { type: 'network', path: '/proc/42/ns/net' });

  assert.ok(types('new', { cgroupV2: true, cgroupParent: '/berth' }).some((n) => n.type === 'cgroup'), 'private cgroup ns on v2');
});

test('masked and read-only paths hide what Docker hides', () => {
  const oci = buildOciSpec(spec(), V1);
  for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware']) assert.ok(oci.linux.maskedPaths.includes(p), p);
  for (const p of ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus']) assert.ok(oci.linux.readonlyPaths.includes(p), p);
});

test('cgroup path is unique per container; resources map memory, CPUs and pids', () => {
  const oci = buildOciSpec(spec({ resources: { memoryBytes: 64 << 20, nanoCpus: 1_500_000_000, pidsLimit: 100 } }), V1);
  assert.equal(oci.linux.cgroupsPath, `/berth/${ID}`);
  assert.deepEqual(oci.linux.resources.memory, { limit: 64 << 20 });
  assert.deepEqual(oci.linux.resources.cpu, { quota: 150_000, period: 100_000 });
  assert.deepEqual(oci.linux.resources.pids, { limit: 100 });
  assert.deepEqual(oci.linux.resources.devices[0], { allow: false, access: 'rwm' }, 'devices: deny all first');
  const none = buildOciSpec(spec(), { cgroupV2: false, cgroupParent: '/other/' });
  assert.equal(none.linux.cgroupsPath, `/other/${ID}`);
  assert.equal(none.linux.resources.memory, undefined);
  assert.equal(none.linux.resources.cpu, undefined);
  assert.equal(none.linux.resources.pids, undefined);
  const swap = buildOciSpec(spec({ resources: { memoryBytes: 1 << 20, memorySwapBytes: -1 } }), V1);
  assert.deepEqual(swap.linux.resources.memory, { limit: 1 << 20, swap: -1 });
});

test('an empty cwd means /', () => {
  assert.equal(buildOciSpec(spec({ cwd: '' }), V1).process.cwd, '/');
});
