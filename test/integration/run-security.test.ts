// What a user checks from inside a container about its privileges, with the real docker CLI against
// berthd: capabilities, the seccomp filter, no_new_privs, masked paths, --privileged, exec --privileged,
// and the options berthd refuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
let dir: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  dir = await mkdtemp(join(tmpdir(), 'berth-security-'));
});
after(async () => {
  await daemon.stop();
  await rm(dir, { recursive: true, force: true });
});

const STATUS = 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status';

/** Runs `sh -c script` in a new container (removed after), returning its result. */
function inContainer(options: string[], script: string) {
  return daemon.docker(['run', '--rm', '--network', 'none', ...options, 'busybox', 'sh', '-c', script]);
}

function field(status: string, name: string): string {
  return new RegExp(`^${name}:\\s*(\\S+)$`, 'm').exec(status)?.[1] ?? '';
}

test('a default container: Docker\'s capabilities, seccomp filtering, unshare -U and mount refused', async () => {
  const r = await inContainer([], `${STATUS}; unshare -U true 2>/dev/null; echo unshare=$?; mount -t tmpfs none /tmp 2>/dev/null; echo mount=$?`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(field(r.stdout, 'CapEff'), '00000000a80425fb');
  assert.equal(field(r.stdout, 'Seccomp'), '2');
  assert.equal(field(r.stdout, 'NoNewPrivs'), '0');
  assert.match(r.stdout, /unshare=1/);
  assert.match(r.stdout, /mount=[1-9]/);
});

test('keyctl is refused and ptrace of pid 1 allowed, as under Docker\'s profile; unconfined lets keyctl through', async () => {
  // busybox has no tool for either call: a static probe, bind-mounted read-only. Under dockerd 20.10
  // with the same profile: "keyctl Operation not permitted / ptrace ok"; unconfined: "keyctl ok".
  const probe = join(dir, 'syscall-probe');
  execFileSync('gcc', ['-static', '-O2', '-o', probe, fileURLToPath(new URL('./fixtures/syscall-probe.c', import.meta.url))]);
  const mount = ['-v', `${probe}:/syscall-probe:ro`];
  // '; true' keeps sh as pid 1 (alone, sh would exec the probe, and it cannot trace itself).
  const filtered = await inContainer(mount, '/syscall-probe; true');
  assert.equal(filtered.stdout, 'keyctl Operation not permitted\nptrace ok\n', filtered.stderr);
  const unconfined = await inContainer([...mount, '--security-opt', 'seccomp=unconfined'], '/syscall-probe; true');
  assert.equal(unconfined.stdout, 'keyctl ok\nptrace ok\n', unconfined.stderr);
});

test('--cap-drop ALL leaves no capability; --cap-add NET_ADMIN lets ip change the loopback MTU', async () => {
  const none = await inContainer(['--cap-drop', 'ALL'], STATUS);
  assert.equal(field(none.stdout, 'CapEff'), '0000000000000000');
  assert.equal(field(none.stdout, 'CapBnd'), '0000000000000000');
  const mtu = 'ip link set lo mtu 1300 && cat /sys/class/net/lo/mtu';
  const admin = await inContainer(['--cap-add', 'net_admin'], mtu);
  assert.equal(admin.code, 0, admin.stderr);
  assert.equal(admin.stdout, '1300\n');
  const plain = await inContainer([], mtu);
  assert.notEqual(plain.code, 0);
  assert.match(plain.stderr, /Operation not permitted/);
});

test('the filter follows capabilities: --cap-add SYS_ADMIN opens unshare, as in Docker', async () => {
  const r = await inContainer(['--cap-add', 'SYS_ADMIN'], 'unshare -m true; echo $?');
  assert.equal(r.stdout, '0\n', r.stderr);
});

test('a capability the daemon itself lacks, asked for by name, is refused with a clear message', async (t) => {
  const own = await readFile('/proc/self/status', 'utf8');
  if (BigInt(`0x${field(own, 'CapBnd')}`) & (1n << 24n)) return t.skip('this host gives CAP_SYS_RESOURCE');
  const r = await inContainer(['--cap-add', 'SYS_RESOURCE'], 'true');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /the daemon does not hold CAP_SYS_RESOURCE in its bounding set/);
});

test('no-new-privileges, seccomp=unconfined and a profile file of the user\'s', async () => {
  for (const opt of ['no-new-privileges', 'no-new-privileges=true', 'no-new-privileges:true']) {
    assert.equal(field((await inContainer(['--security-opt', opt], STATUS)).stdout, 'NoNewPrivs'), '1', opt);
  }
  assert.equal(field((await inContainer(['--security-opt', 'seccomp=unconfined'], STATUS)).stdout, 'Seccomp'), '0');
  const profile = join(dir, 'no-mkdir.json');
  await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }, null, 2));
  const r = await inContainer(['--security-opt', `seccomp=${profile}`], 'grep Seccomp: /proc/self/status; mkdir /tmp/x');
  assert.match(r.stdout, /Seccomp:\s+2/);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Operation not permitted/);
});

test('systempaths=unconfined: nothing masked, /proc/sys writable', async () => {
  const script = 'grep -c " /proc/timer_list " /proc/self/mountinfo; grep " /proc/sys " /proc/self/mountinfo | grep -c " ro,"';
  const confined = await inContainer([], script);
  assert.equal(confined.stdout, '1\n1\n');
  const open = await inContainer(['--security-opt', 'systempaths=unconfined'], script);
  assert.equal(open.stdout, '0\n0\n');
  const paths = await daemon.docker(['create', '--security-opt', 'systempaths=unconfined', 'busybox', 'true']);
  assert.equal(paths.code, 0, paths.stderr);
  const inspect = await daemon.docker(['inspect', '-f', '{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}', paths.stdout.trim()]);
  assert.equal(inspect.stdout, '[] []\n');
  await daemon.docker(['rm', paths.stdout.trim()]);
});

test('--privileged: every capability the daemon holds, the host\'s devices, writable /sys, no filter', async () => {
  const own = await readFile('/proc/self/status', 'utf8');
  const r = await inContainer(['--privileged'], `${STATUS}; ls /dev; grep " /sys " /proc/self/mountinfo`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(field(r.stdout, 'CapEff'), field(own, 'CapBnd'));
  assert.equal(field(r.stdout, 'Seccomp'), '0');
  assert.match(r.stdout, / \/sys rw,/);
  const hostDevices = (await readdir('/dev', { withFileTypes: true })).filter((d) => d.isCharacterDevice() || d.isBlockDevice())
    .map((d) => d.name).filter((n) => n !== 'console');
  const seen = new Set(r.stdout.split('\n'));
  for (const name of hostDevices) assert.ok(seen.has(name), `/dev/${name} in the container`);
  if (field(own, 'CapBnd') !== '000001ffffffffff') {
    assert.match(daemon.output, /the daemon's bounding set lacks CAP_SYS_RESOURCE; giving every other capability/);
  }
});

test('docker exec keeps the container\'s privileges; exec --privileged gets every capability', async () => {
  const run = await daemon.docker(['run', '-d', '--network', 'none', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const plain = await daemon.docker(['exec', id, 'sh', '-c', STATUS]);
    assert.equal(field(plain.stdout, 'CapEff'), '0000000000000000');
    assert.equal(field(plain.stdout, 'NoNewPrivs'), '1');
    const privileged = await daemon.docker(['exec', '--privileged', id, 'sh', '-c', STATUS]);
    assert.equal(privileged.code, 0, privileged.stderr);
    assert.equal(field(privileged.stdout, 'CapEff'), field(await readFile('/proc/self/status', 'utf8'), 'CapBnd'));
  } finally {
    await daemon.docker(['rm', '-f', id]);
  }
});

test('refused: an unknown capability, an unknown option, an SELinux label; docker info names the profile', async () => {
  const cap = await daemon.docker(['create', '--cap-add', 'foo', 'busybox', 'true']);
  assert.notEqual(cap.code, 0);
  assert.match(cap.stderr, /invalid CapAdd: unknown capability: "CAP_FOO"/);
  const opt = await daemon.docker(['create', '--security-opt', 'foo=bar', 'busybox', 'true']);
  assert.match(opt.stderr, /invalid --security-opt 2: "foo=bar"/);
  const label = await daemon.docker(['create', '--security-opt', 'label=type:svirt_t', 'busybox', 'true']);
  assert.match(label.stderr, /HostConfig.SecurityOpt "label=type:svirt_t" is refused: SELinux is not enabled on this host/);
  assert.equal((await daemon.docker(['ps', '-aq'])).stdout, '', 'nothing was created');
  const info = await daemon.docker(['info', '-f', '{{json .SecurityOptions}}']);
  assert.equal(info.stdout, '["name=seccomp,profile=builtin"]\n');
});
