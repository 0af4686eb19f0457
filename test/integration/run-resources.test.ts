import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// docker run's resource options and ulimits against a real berthd (runc, this host's cgroups): each
// seen where a user would look, inside the container or in its cgroup on the host. The daemon runs
// with a default ulimit, as `--default-ulimit` sets one.

const V1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon({ args: ['--default-ulimit', 'nproc=500:600'] });
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

/** The docker CLI fails (refused by run/create: exit 125) with `message` on stderr. */
const refused = (args: string[], message: string | RegExp): Promise<void> => daemon.refused(args, message, 125);

/** A file of the container's cgroup, found from /proc/<pid>/cgroup as the stats code finds it. */
async function cgroupFile(name: string, controller: string, file: string): Promise<string> {
  const pid = (await daemon.ok(['inspect', '-f', '{{.State.Pid}}', name])).trim();
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const line = lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
  assert.ok(line, `no ${controller} cgroup for ${name}`);
  return (await readFile(`/sys/fs/cgroup/${controller}${line.split(':')[2]}/${file}`, 'utf8')).trim();
}

test('--ulimit nofile=100:100 gives `ulimit -n` 100; the daemon\'s default applies to the rest', async () => {
  assert.equal(await daemon.ok(['run', '--rm', '--ulimit', 'nofile=100:100', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -u']), '100\n100\n500\n');
  // The container's own ulimit of a name wins over the daemon's default.
  assert.equal(await daemon.ok(['run', '--rm', '--ulimit', 'nproc=50:60', 'busybox', 'sh', '-c', 'ulimit -u; ulimit -Hu']), '50\n60\n');
  const id = (await daemon.ok(['create', '--ulimit', 'nofile=100:200', 'busybox', 'true'])).trim();
  assert.equal(await daemon.ok(['inspect', '-f', '{{json .HostConfig.Ulimits}}', id]), '[{"Name":"nofile","Hard":200,"Soft":100}]\n');
  await daemon.ok(['rm', id]);
});

test('a ulimit above the daemon\'s own hard limit is refused naming it, not left for runc to fail with EPERM', async () => {
  const hard = Number((await readFile('/proc/self/limits', 'utf8')).match(/^Max open files\s+\d+\s+(\d+)/m)?.[1]);
  const caps = (await readFile('/proc/self/status', 'utf8')).match(/^CapEff:\s*([0-9a-f]+)/m)![1]!;
  if (!hard || (BigInt(`0x${caps}`) >> 24n) & 1n) return; // unlimited, or the daemon may raise it
  await refused(['run', '--rm', '--ulimit', `nofile=${hard + 1}:${hard + 1}`, 'busybox', 'true'],
    new RegExp(`ulimit nofile=${hard + 1}:${hard + 1} is above the daemon's own hard limit of ${hard}`));
  await refused(['run', '--rm', '--ulimit', 'nofile=100:50', 'busybox', 'true'], /ulimit soft limit must be less than or equal to hard limit: 100 > 50/);
});

test('--cpuset-cpus 0 shows in Cpus_allowed_list; CPUs the host lacks are refused as dockerd refuses them', async () => {
  assert.equal(await daemon.ok(['run', '--rm', '--cpuset-cpus', '0', '--cpuset-mems', '0', 'busybox', 'grep', 'Cpus_allowed_list', '/proc/self/status']),
    'Cpus_allowed_list:\t0\n');
  const n = cpus().length;
  await refused(['run', '--rm', '--cpuset-cpus', String(n + 3), 'busybox', 'true'], new RegExp(`Requested CPUs are not available - requested ${n + 3}, available: `));
  await refused(['run', '--rm', '--cpuset-mems', '63', 'busybox', 'true'], /Requested memory nodes are not available - requested 63, available: /);
  await refused(['run', '--rm', '--cpus', String(n + 1), 'busybox', 'true'], new RegExp(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`));
});

test('memory, CPU, pids and block I/O limits land in the container\'s cgroup files (cgroup v1)', { skip: !V1 && 'this host has cgroup v2' }, async () => {
  await daemon.ok([
    'run', '-d', '--name', 'limits', '-m', '64m', '--memory-reservation', '32m', '--memory-swappiness', '10', '--oom-kill-disable',
    '--cpu-shares', '512', '--cpu-period', '50000', '--cpu-quota', '25000', '--pids-limit', '20', '--cpu-rt-period', '500000',
    ...(existsSync('/sys/block/vda') ? ['--device-write-iops', '/dev/vda:100'] : []), 'busybox', 'sleep', '60',
  ]);
  const mem = (f: string) => cgroupFile('limits', 'memory', f);
  assert.equal(await mem('memory.limit_in_bytes'), String(64 << 20));
  assert.equal(await mem('memory.memsw.limit_in_bytes'), String(128 << 20), 'swap defaults to twice the memory, as in Docker');
  assert.equal(await mem('memory.soft_limit_in_bytes'), String(32 << 20));
  assert.equal(await mem('memory.swappiness'), '10');
  assert.match(await mem('memory.oom_control'), /^oom_kill_disable 1$/m);
  assert.equal(await cgroupFile('limits', 'cpu', 'cpu.shares'), '512');
  assert.equal(await cgroupFile('limits', 'cpu', 'cpu.cfs_period_us'), '50000');
  assert.equal(await cgroupFile('limits', 'cpu', 'cpu.cfs_quota_us'), '25000');
  assert.equal(await cgroupFile('limits', 'cpu', 'cpu.rt_period_us'), '500000');
  assert.equal(await cgroupFile('limits', 'pids', 'pids.max'), '20');
  if (existsSync('/sys/block/vda')) {
    const dev = (await readFile('/sys/block/vda/dev', 'utf8')).trim();
    assert.equal(await cgroupFile('limits', 'blkio', 'blkio.throttle.write_iops_device'), `${dev} 100`);
  }
  // The container sees its own cgroup at /sys/fs/cgroup.
  assert.equal(await daemon.ok(['exec', 'limits', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.shares']), `${64 << 20}\n512\n`);
  const hc = await daemon.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.MemorySwappiness}} {{.HostConfig.OomKillDisable}} {{.HostConfig.CpuShares}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.PidsLimit}}', 'limits']);
  assert.equal(hc, `${64 << 20} ${128 << 20} ${32 << 20} 10 true 512 50000 25000 20\n`);
  await daemon.ok(['rm', '-f', 'limits']);
});

test('dockerd\'s warnings and refusals for resources', async () => {
  const warned = await daemon.docker(['run', '--rm', '--oom-kill-disable', 'busybox', 'true']);
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /WARNING: OOM killer is disabled for the container, but no memory limit is set/);
  await refused(['run', '--rm', '-m', '100m', '--memory-reservation', '200m', 'busybox', 'true'],
    /Minimum memory limit can not be less than memory reservation limit, see usage/);
  await refused(['run', '--rm', '--cpus', '1', '--cpu-quota', '5000', 'busybox', 'true'], /Conflicting options: Nano CPUs and CPU Quota cannot both be set/);
  await refused(['run', '--rm', '--cpu-period', '500', 'busybox', 'true'], /CPU cfs period can not be less than 1ms/);
  await refused(['run', '--rm', '--cpu-shares', '1', 'busybox', 'true'], /the minimum allowed cpu-shares is 2/);
  await refused(['run', '--rm', '--memory-swappiness', '101', 'busybox', 'true'], /101/);
  if (!existsSync('/sys/fs/cgroup/blkio/blkio.weight') && V1) {
    await refused(['run', '--rm', '--blkio-weight', '300', 'busybox', 'true'], /HostConfig\.BlkioWeight is refused: .*--blkio-weight/);
  }
  await refused(['run', '--rm', '--device-read-bps', '/dev/null:1mb', 'busybox', 'true'], /\/dev\/null is not a block device/);
  await refused(['run', '--rm', '--cpu-rt-runtime', '1000', 'busybox', 'true'], /CpuRealtimeRuntime is refused|real-time runtime/);
});

test('berth run offers the same resource flags', async () => {
  const out = await daemon.berth(['run', '--rm', '--ulimit', 'nofile=64:64', '--cpuset-cpus', '0', '--cpu-shares', '256', '--memory-reservation', '16m',
    'busybox', 'sh', '-c', 'ulimit -n; grep Cpus_allowed_list /proc/self/status']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, '64\nCpus_allowed_list:\t0\n');
});

test('daemon.json "default-ulimits" (dockerd\'s format); a default above the daemon\'s hard limit stops it from starting', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-test-'));
  try {
    await assert.rejects(startDaemon({ dir, config: { 'default-ulimits': { nofile: { Name: 'nofile', Hard: 2_000_000, Soft: 2_000_000 } } } }),
      /berthd: ulimit nofile: the hard limit 2000000 is above the kernel's maximum of open files|above the daemon's own hard limit/);
  } finally {
    await cleanupDir(dir);
  }
  const other = await startDaemon({ config: { 'default-ulimits': { nofile: { Name: 'nofile', Hard: 300, Soft: 200 } } } });
  try {
    await importBusybox(other);
    const r = await other.docker(['run', '--rm', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']);
    assert.equal(r.stdout, '200\n300\n', r.stderr);
  } finally {
    await other.stop();
  }
});
