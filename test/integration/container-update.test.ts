import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// `docker update` against a real berthd: the running container's cgroups change at once (runc
// update), the record keeps the values (inspect, and the next start), and dockerd's refusals come
// with its messages. The cgroup files are read on the host, found from /proc/<pid>/cgroup.

const V1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

/** The docker CLI fails (the daemon's refusal: exit 1) with `message` on stderr. */
const fails = (args: string[], message: string | RegExp): Promise<void> => daemon.refused(args, message, 1);

/** A file of the container's cgroup on the host (cgroup v1 controller, or the v2 unified dir). */
async function cgroupFile(name: string, controller: string, file: string): Promise<string> {
  const pid = (await daemon.ok(['inspect', '-f', '{{.State.Pid}}', name])).trim();
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const line = V1 ? lines.find((l) => l.split(':')[1]?.split(',').includes(controller)) : lines.find((l) => l.startsWith('0::'));
  assert.ok(line, `no ${controller} cgroup for ${name}`);
  return (await readFile(`/sys/fs/cgroup/${V1 ? controller : ''}${line.split(':')[2]}/${file}`, 'utf8')).trim();
}

const memoryLimit = (name: string) => cgroupFile(name, 'memory', V1 ? 'memory.limit_in_bytes' : 'memory.max');

test('docker update --memory 100m --memory-swap 200m changes the live cgroup, inspect, and survives a restart', async () => {
  await daemon.ok(['run', '-d', '--name', 'upd', '-m', '64m', 'busybox', 'sleep', '300']);
  assert.equal(await memoryLimit('upd'), String(64 << 20));
  assert.equal(await daemon.ok(['update', '--memory', '100m', '--memory-swap', '200m', 'upd']), 'upd\n');
  assert.equal(await memoryLimit('upd'), String(100 << 20));
  if (V1) assert.equal(await cgroupFile('upd', 'memory', 'memory.memsw.limit_in_bytes'), String(200 << 20));
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', 'upd']), `${100 << 20} ${200 << 20}\n`);

  await daemon.ok(['update', '--cpu-shares', '512', '--cpus', '0.5', '--pids-limit', '30', '--cpuset-cpus', '0', '--memory-reservation', '50m', 'upd']);
  if (V1) {
    assert.equal(await cgroupFile('upd', 'cpu', 'cpu.shares'), '512');
    assert.equal(await cgroupFile('upd', 'cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(await cgroupFile('upd', 'memory', 'memory.soft_limit_in_bytes'), String(50 << 20));
  }
  assert.equal(await cgroupFile('upd', 'pids', 'pids.max'), '30');
  assert.equal(await daemon.ok(['exec', 'upd', 'grep', 'Cpus_allowed_list', '/proc/self/status']), 'Cpus_allowed_list:\t0\n');

  await daemon.ok(['restart', '-t', '0', 'upd']);
  assert.equal(await memoryLimit('upd'), String(100 << 20), 'the next run starts with the updated limits');
  assert.equal(await cgroupFile('upd', 'pids', 'pids.max'), '30');
  await daemon.ok(['update', '--pids-limit', '-1', 'upd']);
  assert.equal(await cgroupFile('upd', 'pids', 'pids.max'), 'max');
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.PidsLimit}}', 'upd']), '0\n');
  await daemon.ok(['rm', '-f', 'upd']);
});

test('a stopped container\'s update changes only its record; the next start applies it', async () => {
  await daemon.ok(['create', '--name', 'idle', '-m', '64m', 'busybox', 'sleep', '300']);
  await daemon.ok(['update', '--memory', '80m', '--memory-swap', '160m', '--restart', 'on-failure:3', 'idle']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'idle']),
    `${80 << 20} on-failure 3\n`);
  await daemon.ok(['start', 'idle']);
  assert.equal(await memoryLimit('idle'), String(80 << 20));
  await daemon.ok(['rm', '-f', 'idle']);
});

test('dockerd\'s refusals, with its messages; a refused update changes nothing', async () => {
  await daemon.ok(['run', '-d', '--name', 'busy', '-m', '100m', '--memory-swap', '100m', 'busybox', 'sleep', '300']);
  await fails(['update', '--memory', '300m', 'busy'],
    /Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
  await fails(['update', '--memory', '300m', '--memory-swap', '200m', 'busy'], /Minimum memoryswap limit should be larger than memory limit, see usage/);
  await fails(['update', '--memory', '5m', 'busy'], /Minimum memory limit allowed is 6MB/);
  await fails(['update', '--cpuset-cpus', '63', 'busy'], /Requested CPUs are not available - requested 63, available: /);
  await daemon.ok(['update', '--cpus', '1', 'busy']);
  await fails(['update', '--cpu-quota', '20000', 'busy'], /Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set/);
  // Below what the container uses: the kernel refuses, and the record keeps the old limit.
  await daemon.ok(['exec', 'busy', 'dd', 'if=/dev/zero', 'of=/dev/shm/fill', 'bs=1M', 'count=40']);
  await fails(['update', '--memory', '10m', '--memory-swap', '10m', 'busy'], /Cannot update container [0-9a-f]{64}: .*unable to set memory limit to 10485760 \(current usage: \d+/);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.Memory}}', 'busy']), `${100 << 20}\n`);
  assert.equal(await memoryLimit('busy'), String(100 << 20));
  await daemon.ok(['rm', '-f', 'busy']);

  await daemon.ok(['run', '-d', '--rm', '--name', 'gone', 'busybox', 'sleep', '300']);
  await fails(['update', '--restart', 'always', 'gone'], /Restart policy cannot be updated because AutoRemove is enabled for the container/);
  await daemon.ok(['update', '--restart', 'no', 'gone']);
  await daemon.ok(['rm', '-f', 'gone']);
  await fails(['update', '--cpu-shares', '512', 'nonexistent'], /No such container: nonexistent/);
});

test('the API answers {"Warnings": []} and refuses fields an update cannot change', async () => {
  const id = (await daemon.ok(['create', 'busybox', 'true'])).trim();
  const okBody = await daemon.api('POST', `/containers/${id}/update`, { CpuShares: 600 });
  assert.deepEqual([okBody.status, JSON.parse(okBody.body)], [200, { Warnings: [] }]);
  const ulimits = await daemon.api('POST', `/containers/${id}/update`, { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 10 }] });
  assert.equal(ulimits.status, 400);
  assert.match(JSON.parse(ulimits.body).message, /^UpdateConfig\.Ulimits is refused/);
  const conflict = await daemon.api('POST', `/containers/${id}/update`, { CpuQuota: 20000 });
  assert.equal(conflict.status, 200);
  const nano = await daemon.api('POST', `/containers/${id}/update`, { NanoCpus: 1e9 });
  assert.equal(nano.status, 409);
  await daemon.ok(['rm', id]);
});

test('berth update sends and prints what docker does', async () => {
  await daemon.ok(['run', '-d', '--name', 'bupd', 'busybox', 'sleep', '300']);
  const r = await daemon.berth(['update', '--memory', '90m', '--memory-swap', '180m', '--cpu-shares', '300', 'bupd']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'bupd\n');
  assert.equal(await memoryLimit('bupd'), String(90 << 20));
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.CpuShares}}', 'bupd']), '300\n');
  const bad = await daemon.berth(['update', '--memory', '300m', 'bupd']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Memory limit should be smaller than already set memoryswap limit/);
  await daemon.ok(['rm', '-f', 'bupd']);
});
