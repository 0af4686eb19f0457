import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, rm, rmdir, readdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, run, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// Namespaces, /dev/shm, sysctls, init, devices and process fields, each seen from inside a container.

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

/** `docker run --rm <flags> busybox <cmd>`: its output. */
function inside(flags: string[], ...cmd: string[]): Promise<string> {
  return daemon.ok(['run', '--rm', ...flags, 'busybox', ...cmd]);
}

/** The docker CLI fails (any failure) with `message` on stderr. */
const refused = (args: string[], message: string | RegExp): Promise<void> => daemon.refused(args, message);

test('--pid host sees the host\'s processes; --pid container:X shares X\'s, which must run', async () => {
  assert.equal(await inside(['--pid', 'host'], 'readlink', '/proc/self/ns/pid'), `${await readlink('/proc/self/ns/pid')}\n`);
  assert.match(await inside(['--pid', 'host'], 'cat', `/proc/${process.pid}/cmdline`), /node/);
  assert.notEqual(await inside([], 'readlink', '/proc/self/ns/pid'), `${await readlink('/proc/self/ns/pid')}\n`);

  await daemon.ok(['run', '-d', '--name', 'pid-target', 'busybox', 'sleep', '300']);
  const ps = await inside(['--pid', 'container:pid-target'], 'cat', '/proc/1/cmdline');
  assert.equal(ps, 'sleep\x00300\x00');
  const id = (await daemon.ok(['inspect', '-f', '{{.Id}}', 'pid-target'])).trim();
  await daemon.ok(['stop', '-t', '0', 'pid-target']);
  await refused(['run', '--rm', '--pid', 'container:pid-target', 'busybox', 'true'], new RegExp(`container ${id} is not running`));
  await refused(['create', '--pid', 'container:no-such', 'busybox', 'true'], /No such container: no-such/);
  await daemon.ok(['rm', 'pid-target']);
});

test('--ipc: private by default, host, none (no /dev/shm), shareable donors and their /dev/shm', async () => {
  const hostIpc = await readlink('/proc/self/ns/ipc');
  assert.equal(await inside(['--ipc', 'host'], 'readlink', '/proc/self/ns/ipc'), `${hostIpc}\n`);
  assert.notEqual(await inside([], 'readlink', '/proc/self/ns/ipc'), `${hostIpc}\n`);
  assert.equal(await inside(['--ipc', 'none'], 'sh', '-c', 'test -e /dev/shm && echo present || echo absent'), 'absent\n');

  await daemon.ok(['run', '-d', '--name', 'ipc-donor', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/note; sleep 300']);
  await daemon.ok(['run', '-d', '--name', 'ipc-private', 'busybox', 'sleep', '300']);
  const donorNs = await daemon.ok(['exec', 'ipc-donor', 'readlink', '/proc/self/ns/ipc']);
  assert.equal(await inside(['--ipc', 'container:ipc-donor'], 'readlink', '/proc/self/ns/ipc'), donorNs);
  assert.equal(await inside(['--ipc', 'container:ipc-donor'], 'cat', '/dev/shm/note'), 'shared\n');
  const privateId = (await daemon.ok(['inspect', '-f', '{{.Id}}', 'ipc-private'])).trim();
  await refused(['run', '--rm', '--ipc', 'container:ipc-private', 'busybox', 'true'],
    new RegExp(`can't join IPC of container ${privateId}: non-shareable IPC \\(hint: use IpcMode:shareable for the donor container\\)`));
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.IpcMode}}', 'ipc-private']), 'private\n');
  // The donor's /dev/shm is a tmpfs on the host while it runs, and is given back when it stops.
  const donorId = (await daemon.ok(['inspect', '-f', '{{.Id}}', 'ipc-donor'])).trim();
  const shmDir = join(daemon.dataRoot, 'containers', donorId, 'shm');
  assert.ok((await readFile('/proc/self/mountinfo', 'utf8')).includes(` ${shmDir} `));
  await daemon.ok(['stop', '-t', '0', 'ipc-donor']);
  assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(` ${shmDir} `));
  await daemon.ok(['rm', '-f', 'ipc-donor', 'ipc-private']);
});

test('--uts host shows the host\'s name and refuses --hostname; --userns host is the only user namespace mode', async () => {
  assert.equal(await inside(['--uts', 'host'], 'hostname'), `${hostname()}\n`);
  await refused(['run', '--rm', '--uts', 'host', '--hostname', 'x', 'busybox', 'true'], /conflicting options: hostname and the UTS mode/);
  assert.equal(await inside(['--userns', 'host'], 'readlink', '/proc/self/ns/user'), `${await readlink('/proc/self/ns/user')}\n`);
  const r = await daemon.api('POST', '/v1.47/containers/create', { Image: 'busybox', HostConfig: { UsernsMode: 'private' } });
  assert.equal(r.status, 400);
  assert.match(r.body, /invalid USER mode: private/);
});

test('--cgroupns private gives the container a cgroup namespace of its own; host shares the host\'s', async () => {
  const host = await readlink('/proc/self/ns/cgroup');
  assert.notEqual(await inside(['--cgroupns', 'private'], 'readlink', '/proc/self/ns/cgroup'), `${host}\n`);
  assert.equal(await inside(['--cgroupns', 'host'], 'readlink', '/proc/self/ns/cgroup'), `${host}\n`);
  // In its own namespace the container sees itself at the root of the hierarchy.
  assert.match(await inside(['--cgroupns', 'private'], 'cat', '/proc/self/cgroup'), /:\/\n/);
});

test('--shm-size sets the size of /dev/shm', async () => {
  const df = await inside(['--shm-size', '128m'], 'df', '-k', '/dev/shm');
  assert.match(df, /\n\S+\s+131072\s+0\s+131072\s+0% \/dev\/shm\n/);
  assert.match(await inside([], 'df', '-k', '/dev/shm'), /\s65536\s/);
});

test('--sysctl sets namespaced keys, read back inside; host-wide keys are refused', async () => {
  assert.equal(await inside(['--sysctl', 'net.ipv4.ip_forward=0'], 'cat', '/proc/sys/net/ipv4/ip_forward'), '0\n');
  assert.equal(await inside(['--sysctl', 'net.ipv4.ip_forward=1'], 'cat', '/proc/sys/net/ipv4/ip_forward'), '1\n');
  assert.equal(await inside(['--sysctl', 'kernel.shmmax=100000'], 'cat', '/proc/sys/kernel/shmmax'), '100000\n');
  await refused(['run', '--rm', '--sysctl', 'vm.swappiness=1', 'busybox', 'true'], /sysctl 'vm.swappiness=1' is not allowed/);
  const api = await daemon.api('POST', '/v1.47/containers/create', { Image: 'busybox', HostConfig: { Sysctls: { 'vm.swappiness': '1' } } });
  assert.equal(api.status, 400);
  assert.match(api.body, /sysctl 'vm.swappiness=1' is not allowed/);
  await refused(['run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=0', 'busybox', 'true'],
    /sysctl "net.ipv4.ip_forward" not allowed in host network namespace/);
});

test('--init runs docker-init as pid 1, which reaps orphaned zombies', async () => {
  // The subshell leaves `sleep 0.2` orphaned: it is reparented to pid 1, which must reap it when it ends.
  const script = '(sleep 0.2 &); exec sleep 300';
  const zombies = 'grep -l "^State:.*Z" /proc/[0-9]*/status | wc -l';
  await daemon.ok(['run', '-d', '--name', 'with-init', '--init', 'busybox', 'sh', '-c', script]);
  await daemon.ok(['run', '-d', '--name', 'without-init', 'busybox', 'sh', '-c', script]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await daemon.ok(['exec', 'with-init', 'cat', '/proc/1/cmdline']), `/sbin/docker-init\0--\0sh\0-c\0${script}\0`);
  assert.equal((await daemon.ok(['exec', 'with-init', 'sh', '-c', zombies])).trim(), '0');
  assert.equal((await daemon.ok(['exec', 'without-init', 'sh', '-c', zombies])).trim(), '1', 'the control: sleep as pid 1 reaps nothing');
  assert.equal(await daemon.ok(['inspect', '-f', '{{json .HostConfig.Init}}', 'with-init']), 'true\n');
  await daemon.ok(['rm', '-f', 'with-init', 'without-init']);
});

test('"init": true in daemon.json makes docker-init the default; --init=false still opts out', async () => {
  const other = await startDaemon({ config: { init: true } });
  try {
    await importBusybox(other);
    const pid1 = await other.docker(['run', '--rm', 'busybox', 'cat', '/proc/1/cmdline']);
    assert.equal(pid1.stdout, '/sbin/docker-init\0--\0cat\0/proc/1/cmdline\0', pid1.stderr);
    const optOut = await other.docker(['run', '--rm', '--init=false', 'busybox', 'cat', '/proc/1/cmdline']);
    assert.equal(optOut.stdout, 'cat\0/proc/1/cmdline\0', optOut.stderr);
  } finally {
    await other.stop();
  }
});

test('--device: a writable char device under a new name, read-only permissions, a directory of devices', async () => {
  assert.equal(await inside(['--device', '/dev/null:/dev/mynull'], 'sh', '-c',
    'test -c /dev/mynull && echo hi > /dev/mynull && stat -c "%t:%T %a" /dev/mynull'), '1:3 666\n');
  // /dev/kmsg is outside Docker's default device rules: granted read-only, opening it to write is refused.
  const r = await daemon.docker(['run', '--rm', '--device', '/dev/kmsg:/dev/kmsg:r', 'busybox', 'sh', '-c', 'test -c /dev/kmsg && echo berth-test > /dev/kmsg']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /can't create \/dev\/kmsg: Operation not permitted/);

  const dir = await mkdtemp(join(tmpdir(), 'berth-devices-'));
  try {
    await run('mkdir', [join(dir, 'sub')]);
    await run('mknod', ['-m', '600', join(dir, 'zero'), 'c', '1', '5']);
    await run('mknod', ['-m', '644', join(dir, 'sub', 'full'), 'c', '1', '7']);
    const listing = await inside(['--device', `${dir}:/dev/mine`], 'sh', '-c',
      'stat -c "%n %F %t:%T %a" /dev/mine/zero /dev/mine/sub/full; head -c 3 /dev/mine/zero | wc -c');
    assert.equal(listing, '/dev/mine/zero character special file 1:5 600\n/dev/mine/sub/full character special file 1:7 644\n3\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await refused(['run', '--rm', '--device', '/dev/no-such-device', 'busybox', 'true'],
    /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
});

test('--device-cgroup-rule adds to the device cgroup of the container; a malformed rule is refused', async () => {
  const list = await inside(['--device-cgroup-rule', 'c 1:11 r'], 'cat', '/sys/fs/cgroup/devices/devices.list');
  assert.match(list, /^c 1:11 r$/m);
  assert.doesNotMatch(await inside([], 'cat', '/sys/fs/cgroup/devices/devices.list'), /^c 1:11/m);
  await refused(['run', '--rm', '--device-cgroup-rule', 'bad', 'busybox', 'true'], /invalid device cgroup format 'bad'/);
  const api = await daemon.api('POST', '/v1.47/containers/create', { Image: 'busybox', HostConfig: { DeviceCgroupRules: ['c 1:3 rwx'] } });
  assert.equal(api.status, 400);
  assert.match(api.body, /invalid device cgroup rule format: 'c 1:3 rwx'/);
});

test('--oom-score-adj is the process\'s OOM score adjustment; out of range is refused', async () => {
  assert.equal(await inside(['--oom-score-adj', '500'], 'cat', '/proc/self/oom_score_adj'), '500\n');
  assert.equal(await inside([], 'cat', '/proc/self/oom_score_adj'), '0\n');
  await refused(['run', '--rm', '--oom-score-adj', '2000', 'busybox', 'true'], /Invalid value 2000, range for oom score adj is \[-1000, 1000\]/);
});

test('--cgroup-parent puts the container\'s cgroup under the given parent', async () => {
  const parent = `berth-test-parent-${process.pid}`;
  try {
    const id = (await daemon.ok(['run', '-d', '--cgroup-parent', parent, 'busybox', 'sleep', '300'])).trim();
    const cgroups = await daemon.ok(['exec', id, 'cat', '/proc/self/cgroup']);
    assert.match(cgroups, new RegExp(`:memory:/${parent}/${id}\\n`));
    await daemon.ok(['rm', '-f', id]);
  } finally {
    // runc removes the container's cgroups; the parent, made for it, is the test's to remove.
    for (const controller of await readdir('/sys/fs/cgroup')) {
      await rmdir(join('/sys/fs/cgroup', controller, parent)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
      });
    }
  }
});

test('annotations reach the OCI runtime config; --runtime accepts only runc', async () => {
  const id = (await daemon.ok(['run', '-d', '--annotation', 'org.example.team=storage', 'busybox', 'sleep', '300'])).trim();
  const config = JSON.parse(await readFile(join(daemon.execRoot, 'bundles', id, 'config.json'), 'utf8'));
  assert.deepEqual(config.annotations, { 'org.example.team': 'storage' });
  assert.equal(await daemon.ok(['inspect', '-f', '{{json .HostConfig.Annotations}}', id]), '{"org.example.team":"storage"}\n');
  await daemon.ok(['rm', '-f', id]);
  assert.equal(await inside(['--runtime', 'runc'], 'echo', 'ok'), 'ok\n');
  await refused(['run', '--rm', '--runtime', 'crun', 'busybox', 'true'], /unknown or invalid runtime name: crun/);
});

test('berth run takes the same flags as docker run', async () => {
  const r = await daemon.berth(['run', '--rm', '--shm-size', '128m', '--sysctl', 'kernel.shmmax=100000', '--init',
    '--device', '/dev/null:/dev/mynull', '--oom-score-adj', '10', '--pid', 'host', 'busybox', 'sh', '-c',
    'df -k /dev/shm | tail -1; cat /proc/sys/kernel/shmmax /proc/self/oom_score_adj; test -c /dev/mynull && echo device']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^shm\s+131072\s+0\s+131072\s+0% \/dev\/shm\n100000\n10\ndevice\n$/);
  const refused = await daemon.berth(['run', '--rm', '--sysctl', 'vm.swappiness=1', 'busybox', 'true']);
  assert.equal(refused.code, 125);
  assert.match(refused.stderr, /invalid argument "vm.swappiness=1" for "--sysctl" flag: sysctl 'vm.swappiness=1' is not allowed/);
});
