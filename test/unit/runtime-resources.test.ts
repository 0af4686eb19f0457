import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Logger } from '../../src/engine/base/log.js';
import { ContainerManager } from '../../src/engine/containers/container-manager.js';
import { images, network, rootfs, tempDataRoot, volumes } from '../helpers/container-doubles.js';
import { parseUpdateBody } from '../../src/engine/containers/container-update.js';
import type { HostResourceFacts } from '../../src/engine/containers/host-resources.js';
import { checkResources, checkUlimits, effectiveUlimits, parseList, runtimeResources } from '../../src/engine/containers/resource-options.js';
import { MemoryRuntime } from '../../src/engine/runtime/memory-runtime.js';
import { ociConfigJson, renderResources, renderRlimits, type ContainerResources } from '../../src/engine/runtime/oci-resources.js';
import { buildOciSpec } from '../../src/engine/runtime/oci-spec.js';
import { parseUlimit } from '../../src/lib/ulimit.js';

// How a container's limits become `linux.resources` and `process.rlimits` (cgroup v1 and v2), and how
// they are checked against a host: a v1 host like this one, a v2 host, one without block I/O weight.

const V1_HOST: HostResourceFacts = {
  cgroupV2: false, numCpus: 2, cpus: '0-1', mems: '0',
  memoryLimit: true, swapLimit: true, memoryReservation: true, memorySwappiness: true, oomKillDisable: true,
  cpuShares: true, cpuCfs: true, cpuRealtime: true, realtimeBudget: 0, cpuset: true, pids: true,
  blkioWeight: false, blkioWeightDevice: false, blkioReadBps: true, blkioWriteBps: true, blkioReadIOps: true, blkioWriteIOps: true,
  hardLimits: { nofile: 20000, nproc: 96367, core: -1, memlock: 8388608 }, canRaiseLimits: false, nrOpen: 1048576,
};
const V2_HOST: HostResourceFacts = {
  ...V1_HOST, cgroupV2: true, memorySwappiness: false, oomKillDisable: false, cpuRealtime: false, blkioWeight: true,
};

const EVERYTHING: ContainerResources = {
  memoryBytes: 64 << 20, memorySwapBytes: 128 << 20, memoryReservationBytes: 32 << 20,
  cpuShares: 512, cpuPeriod: 50_000, cpuQuota: 25_000, cpusetCpus: '0', cpusetMems: '0', pidsLimit: 20,
  blkioWeight: 300, blkioReadBps: [{ major: 254, minor: 0, value: 1 << 20 }], blkioWriteIOps: [{ major: 8, minor: 16, value: 100 }],
};

test('cgroup v1: every limit in its OCI key, as runc writes it to the v1 files', () => {
  const r = renderResources({ ...EVERYTHING, memorySwappiness: 10, oomKillDisable: true, cpuRealtimePeriod: 500_000 }, false);
  assert.deepEqual(r.memory, { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 10, disableOOMKiller: true });
  assert.deepEqual(r.cpu, { shares: 512, period: 50_000, quota: 25_000, realtimePeriod: 500_000, cpus: '0', mems: '0' });
  assert.deepEqual(r.pids, { limit: 20 });
  assert.deepEqual(r.blockIO, {
    weight: 300,
    throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1 << 20 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
  });
});

test('cgroup v2: the same keys (runc maps them to cpu.weight, memory.low, io.max); v1-only controls are refused', () => {
  const r = renderResources(EVERYTHING, true);
  assert.deepEqual(r.memory, { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 });
  assert.deepEqual(r.cpu, { shares: 512, period: 50_000, quota: 25_000, cpus: '0', mems: '0' });
  assert.equal(r.blockIO?.weight, 300);
  fails(() => renderResources({ memorySwappiness: 10 }, true), /memory swappiness is not supported with cgroup v2/);
  fails(() => renderResources({ oomKillDisable: true }, true), /OOM killer/);
  fails(() => renderResources({ cpuRealtimePeriod: 1000 }, true), /real-time/);
  // swappiness -1 is "not set" and fine on both.
  assert.deepEqual(renderResources({ memorySwappiness: -1 }, true), {});
});

test('--cpus is a quota over the 100 ms period and wins over a period of its own', () => {
  for (const v2 of [false, true]) {
    assert.deepEqual(renderResources({ nanoCpus: 1.5e9 }, v2).cpu, { period: 100_000, quota: 150_000 });
  }
});

test('nothing set renders nothing; an update says "no pids limit" where a create leaves it out', () => {
  assert.deepEqual(renderResources(undefined, false), {});
  assert.deepEqual(renderResources({ pidsLimit: 0 }, false), {});
  assert.deepEqual(renderResources({ pidsLimit: 0 }, false, 'update'), { pids: { limit: -1 } });
  assert.deepEqual(renderResources({ pidsLimit: 5 }, true, 'update'), { pids: { limit: 5 } });
  // A swap limit without a memory limit means nothing to the kernel.
  assert.deepEqual(renderResources({ memorySwapBytes: 1 << 30 }, false), {});
});

test('ulimits become process.rlimits; unlimited is RLIM_INFINITY in config.json', () => {
  assert.deepEqual(renderRlimits([{ Name: 'nofile', Soft: 100, Hard: 200 }]), [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]);
  const spec = buildOciSpec({
    id: 'c'.repeat(64), bundleDir: '/b', rootfs: '/r', args: ['sh'], env: [], cwd: '/', user: { uid: 0, gid: 0 },
    hostname: 'h', terminal: false, openStdin: false, network: 'new', logPath: '/l',
    rlimits: [{ Name: 'core', Soft: -1, Hard: -1 }], resources: { memoryBytes: 64 << 20, cpuShares: 100 },
  }, { cgroupV2: false, cgroupParent: '/berth' });
  assert.equal(spec.linux.resources.memory?.limit, 64 << 20);
  assert.equal(spec.linux.resources.cpu?.shares, 100);
  assert.ok(spec.linux.resources.devices.length > 0, 'the device rules stay');
  assert.match(ociConfigJson(spec), /"rlimits":\[\{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615\}\]/);
});

test('dockerd\'s checks and messages for memory and CPU', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ Memory: 1 << 20 }, /^Minimum memory limit allowed is 6MB$/],
    [{ Memory: 64 << 20, MemorySwap: 32 << 20 }, /^Minimum memoryswap limit should be larger than memory limit, see usage$/],
    [{ MemorySwap: 32 << 20 }, /^You should always set the Memory limit when using Memoryswap limit, see usage$/],
    [{ MemorySwappiness: 101 }, /^Invalid value: 101, valid memory swappiness range is 0-100$/],
    [{ MemoryReservation: 1 << 20 }, /^Minimum memory reservation allowed is 6MB$/],
    [{ Memory: 64 << 20, MemoryReservation: 128 << 20 }, /^Minimum memory limit can not be less than memory reservation limit, see usage$/],
    [{ NanoCpus: 1e9, CpuQuota: 50_000 }, /^Conflicting options: Nano CPUs and CPU Quota cannot both be set$/],
    [{ NanoCpus: 1e9, CpuPeriod: 50_000 }, /^Conflicting options: Nano CPUs and CPU Period cannot both be set$/],
    [{ NanoCpus: 5e9 }, /^Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available$/],
    [{ CpuPeriod: 500 }, /^CPU cfs period can not be less than 1ms \(i.e. 1000\) or larger than 1s \(i.e. 1000000\)$/],
    [{ CpuQuota: 500 }, /^CPU cfs quota can not be less than 1ms \(i.e. 1000\)$/],
    [{ CpuShares: 1 }, /^the minimum allowed cpu-shares is 2$/],
    [{ CpusetCpus: '5' }, /^Requested CPUs are not available - requested 5, available: 0-1$/],
    [{ CpusetCpus: 'x' }, /^Invalid value x for cpuset cpus: invalid format: x$/],
    [{ CpusetMems: '3' }, /^Requested memory nodes are not available - requested 3, available: 0$/],
    [{ CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }, /^cpu real-time runtime cannot be higher than cpu real-time period$/],
    [{ CpuRealtimeRuntime: 1000 }, /HostConfig\.CpuRealtimeRuntime is refused: .*real-time budget of 0/],
    [{ BlkioWeight: 300 }, /^HostConfig\.BlkioWeight is refused: .*--blkio-weight cannot take effect$/],
    [{ BlkioWeightDevice: [{ Path: '/dev/null', Weight: 300 }] }, /^HostConfig\.BlkioWeightDevice is refused: .*--blkio-weight-device/],
    [{ BlkioDeviceReadBps: [{ Path: '/dev/null', Rate: 1 }] }, /^HostConfig\.BlkioDeviceReadBps: \/dev\/null is not a block device$/],
    [{ BlkioDeviceWriteIOps: [{ Path: '/nonexistent', Rate: 1 }] }, /^HostConfig\.BlkioDeviceWriteIOps: ENOENT/],
  ];
  for (const [hc, message] of bad) fails(() => checkResources(hc, V1_HOST), message, JSON.stringify(hc));
  assert.deepEqual(checkResources({ OomKillDisable: true }, V1_HOST), [
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
  ]);
  assert.deepEqual(checkResources({ Memory: 64 << 20, OomKillDisable: true, CpuShares: 512, CpusetCpus: '0-1', MemorySwappiness: -1 }, V1_HOST), []);
  // An update may lower the swap limit alone.
  assert.deepEqual(checkResources({ MemorySwap: 32 << 20 }, V1_HOST, true), []);
});

test('on cgroup v2 the v1-only controls are refused naming their field; block I/O weight works where io.weight exists', () => {
  fails(() => checkResources({ MemorySwappiness: 10 }, V2_HOST), /^HostConfig\.MemorySwappiness is refused: .*cgroup v2/);
  fails(() => checkResources({ OomKillDisable: true }, V2_HOST), /^HostConfig\.OomKillDisable is refused/);
  fails(() => checkResources({ CpuRealtimePeriod: 1000 }, V2_HOST), /^Your kernel does not support cgroup cpu real-time period$/);
  assert.deepEqual(checkResources({ BlkioWeight: 300 }, V2_HOST), []);
  fails(() => checkResources({ BlkioWeight: 5 }, V2_HOST), /^Range of blkio weight is from 10 to 1000$/);
});

test('cpuset lists as Docker parses them', () => {
  assert.deepEqual([...parseList('0-2,5')], [0, 1, 2, 5]);
  fails(() => parseList('1-'), /invalid format/);
  fails(() => parseList('3-1'), /invalid range/);
});

test('ulimits: go-units\' rules, then never above the daemon\'s own hard limits', () => {
  assert.deepEqual(parseUlimit('nofile=100:200'), { Name: 'nofile', Soft: 100, Hard: 200 });
  assert.deepEqual(parseUlimit('nproc=50'), { Name: 'nproc', Soft: 50, Hard: 50 });
  fails(() => parseUlimit('foo=1'), /^invalid ulimit type: foo$/);
  fails(() => parseUlimit('nofile=100:50'), /^ulimit soft limit must be less than or equal to hard limit: 100 > 50$/);
  assert.deepEqual(checkUlimits([{ Name: 'nofile', Soft: 100, Hard: 100 }], V1_HOST), [{ Name: 'nofile', Soft: 100, Hard: 100 }]);
  fails(() => checkUlimits([{ Name: 'nofile', Soft: 30000, Hard: 30000 }], V1_HOST),
    /^ulimit nofile=30000:30000 is above the daemon's own hard limit of 20000, which it cannot raise \(no CAP_SYS_RESOURCE\)$/);
  fails(() => checkUlimits([{ Name: 'memlock', Soft: -1, Hard: -1 }], V1_HOST), /ulimit memlock=unlimited:unlimited is above/);
  assert.deepEqual(checkUlimits([{ Name: 'core', Soft: -1, Hard: -1 }], V1_HOST).length, 1);
  // With CAP_SYS_RESOURCE the daemon may raise them, but nofile never past fs.nr_open.
  const root = { ...V1_HOST, canRaiseLimits: true };
  assert.equal(checkUlimits([{ Name: 'nofile', Soft: 30000, Hard: 30000 }], root).length, 1);
  fails(() => checkUlimits([{ Name: 'nofile', Soft: 1, Hard: 2_000_000 }], root), /fs\.nr_open 1048576/);
  fails(() => checkUlimits([{ Name: 'nofile' }], V1_HOST), /integer Soft and Hard/);
  // The daemon's defaults apply unless the container names the same ulimit.
  const defaults = { nofile: { Name: 'nofile', Soft: 50, Hard: 50 }, nproc: { Name: 'nproc', Soft: 10, Hard: 10 } };
  assert.deepEqual(effectiveUlimits([{ Name: 'nofile', Soft: 100, Hard: 100 }], defaults, V1_HOST),
    [{ Name: 'nproc', Soft: 10, Hard: 10 }, { Name: 'nofile', Soft: 100, Hard: 100 }]);
});

test('a HostConfig becomes the runtime\'s limits (not-set values left out)', async () => {
  assert.deepEqual(await runtimeResources({
    Memory: 64 << 20, MemorySwap: 128 << 20, MemorySwappiness: null, OomKillDisable: false, CpuShares: 0,
    NanoCpus: 1e9, CpusetCpus: '', PidsLimit: null, BlkioDeviceReadBps: [],
  }), { memoryBytes: 64 << 20, memorySwapBytes: 128 << 20, nanoCpus: 1e9 });
});

test('an update body: Go\'s type errors, fields only a create sets refused by name, an empty restart policy no change', () => {
  fails(() => parseUpdateBody([]), /^json: cannot unmarshal array into Go value of type container.UpdateConfig$/);
  fails(() => parseUpdateBody({ Memory: 'x' }), /^json: cannot unmarshal string into Go struct field UpdateConfig.Memory of type int64$/);
  fails(() => parseUpdateBody({ Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 1 }] }), /^UpdateConfig\.Ulimits is refused/);
  fails(() => parseUpdateBody({ OomKillDisable: true }), /^UpdateConfig\.OomKillDisable is refused/);
  fails(() => parseUpdateBody({ RestartPolicy: { Name: 'bogus' } }), /^invalid restart policy 'bogus'$/);
  // What the docker CLI sends for `docker update --cpu-shares 600`: the zero values ask for nothing.
  const cli = parseUpdateBody({
    CpuShares: 600, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: null, CpuPeriod: 0,
    CpusetCpus: '', Devices: null, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: null,
    RestartPolicy: { Name: '', MaximumRetryCount: 0 },
  });
  assert.equal(cli.resources.CpuShares, 600);
  assert.equal(cli.restartPolicy, undefined);
});

/** Asserts that `fn` throws an error whose message (not its name) matches. */
function fails(fn: () => unknown, message: RegExp, what?: string): void {
  assert.throws(fn, (err: Error) => message.test(err.message), what);
}

// ---- ContainerManager.update on the in-memory runtime ----

async function openManager(runtime: MemoryRuntime): Promise<ContainerManager> {
  const root = await tempDataRoot('berth-resources-');
  return ContainerManager.open({ dataRoot: root, execRoot: join(root, 'exec'), log: new Logger('error'), runtime, images, network, rootfs, volumes });
}

test('update: a running container\'s limits change live and in its record; a stopped one\'s record only', async () => {
  const runtime = new MemoryRuntime();
  const manager = await openManager(runtime);
  const { Id } = await manager.create('limited', { Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { Memory: 64 << 20 } });
  assert.equal(manager.get(Id).record.hostConfig.MemorySwap, 128 << 20, 'Docker\'s default: twice the memory');
  await manager.start(Id);
  assert.deepEqual(await manager.update(Id, { Memory: 100 << 20, MemorySwap: 200 << 20, CpuShares: 512, PidsLimit: -1 }), { Warnings: [] });
  assert.deepEqual(runtime.resources(Id), { memoryBytes: 100 << 20, memorySwapBytes: 200 << 20, cpuShares: 512, pidsLimit: 0 });
  const hc = manager.get(Id).record.hostConfig;
  assert.deepEqual([hc.Memory, hc.MemorySwap, hc.CpuShares, hc.PidsLimit], [100 << 20, 200 << 20, 512, 0]);

  await assert.rejects(manager.update(Id, { Memory: 300 << 20 }),
    (err: Error) => err.name === 'ConflictError' && /^Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit/.test(err.message));
  assert.equal(manager.get(Id).record.hostConfig.Memory, 100 << 20, 'a refused update changes nothing');

  await manager.kill(Id);
  await manager.update(Id, { CpuShares: 1024, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } });
  assert.equal(manager.get(Id).record.hostConfig.CpuShares, 1024);
  assert.deepEqual(manager.get(Id).record.hostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  await manager.remove(Id, { force: true });

  const { Id: rmId } = await manager.create(undefined, { Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { AutoRemove: true } });
  await assert.rejects(manager.update(rmId, { RestartPolicy: { Name: 'always' } }),
    /Restart policy cannot be updated because AutoRemove is enabled for the container$/);
  await manager.remove(rmId, { force: true });
  await manager.close();
  assert.deepEqual(runtime.ids(), []);
});
