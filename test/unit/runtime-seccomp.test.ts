import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOciSpec, type HostFacts } from '../../src/engine/runtime/oci-spec.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, FULL_HOST, type RuntimeSecurity } from '../../src/engine/runtime/oci-security.js';
import { DEFAULT_SECCOMP_PROFILE } from '../../src/engine/runtime/seccomp-default-profile.js';
import { kernelAtLeast, parseSeccompProfile, renderSeccomp, type OciSeccomp } from '../../src/engine/runtime/seccomp-profile.js';
import type { RuntimeSpec } from '../../src/engine/runtime/runtime.js';

const ID = 'd'.repeat(64);
const V1: HostFacts = { cgroupV2: false, cgroupParent: '/berth' };
const V2: HostFacts = { cgroupV2: true, cgroupParent: '/berth' };

function spec(security?: Partial<RuntimeSecurity>): RuntimeSpec {
  return {
    id: ID, bundleDir: '/run/b', rootfs: '/r', args: ['true'], env: [], cwd: '/', user: { uid: 0, gid: 0 },
    hostname: 'h', terminal: false, openStdin: false, network: 'new', logPath: '/run/l',
    ...(security ? {
      security: { privileged: false, capAdd: [], capDrop: [], noNewPrivileges: false, seccomp: 'default', ...security },
    } : {}),
  };
}

/** The action the filter takes for a syscall called without arguments that a rule tests. */
function allowed(seccomp: OciSeccomp, name: string): boolean {
  return seccomp.syscalls.some((r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW' && !r.args);
}

for (const [label, host] of [['cgroup v1', V1], ['cgroup v2', V2]] as const) {
  test(`${label}: every container gets Docker's default profile: EPERM by default, this machine's architectures`, () => {
    for (const oci of [buildOciSpec(spec(), host), buildOciSpec(spec({}), host)]) {
      const seccomp = oci.linux.seccomp!;
      assert.equal(seccomp.defaultAction, 'SCMP_ACT_ERRNO');
      assert.equal(seccomp.defaultErrnoRet, 1);
      assert.deepEqual(seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
      for (const name of ['read', 'write', 'execve', 'clone', 'arch_prctl', 'ptrace']) assert.ok(seccomp.syscalls.some((r) => r.names.includes(name)), name);
      for (const name of ['mount', 'unshare', 'setns', 'reboot', 'kexec_load', 'init_module', 'bpf', 'settimeofday']) {
        assert.ok(!seccomp.syscalls.some((r) => r.names.includes(name)), `${name} is not allowed by default`);
      }
    }
  });
}

test('the capability rules: CAP_SYS_ADMIN opens mount and namespaces, and lifts the clone flag check', () => {
  const plain = buildOciSpec(spec({}), V1).linux.seccomp!;
  const clone = plain.syscalls.filter((r) => r.names.includes('clone'));
  assert.deepEqual(clone, [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] }]);
  assert.deepEqual(plain.syscalls.find((r) => r.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });

  const admin = buildOciSpec(spec({ capAdd: ['CAP_SYS_ADMIN'] }), V1).linux.seccomp!;
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'sethostname']) assert.ok(allowed(admin, name), name);
  assert.ok(!admin.syscalls.some((r) => r.names.includes('clone3') && r.action !== 'SCMP_ACT_ALLOW'), 'no ENOSYS rule for clone3');

  const time = buildOciSpec(spec({ capAdd: ['CAP_SYS_TIME'] }), V1).linux.seccomp!;
  assert.ok(allowed(time, 'settimeofday'));
  // CAP_SYS_CHROOT is in Docker's default set; dropping it closes chroot.
  assert.ok(allowed(plain, 'chroot'));
  assert.ok(!allowed(buildOciSpec(spec({ capDrop: ['CAP_SYS_CHROOT'] }), V1).linux.seccomp!, 'chroot'));
});

test('unconfined and --privileged run without a filter; a client profile is rendered for the container', () => {
  assert.equal(buildOciSpec(spec({ seccomp: 'unconfined' }), V1).linux.seccomp, undefined);
  assert.equal(buildOciSpec(spec({ privileged: true, seccomp: { profile: '{"defaultAction":"SCMP_ACT_KILL"}' } }), V1).linux.seccomp, undefined);
  const custom = buildOciSpec(spec({
    seccomp: { profile: JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }) },
  }), V2).linux.seccomp!;
  assert.deepEqual(custom, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
});

test('rules by architecture, by excluded capability and by kernel version', () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { name: 'a', action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      { names: ['b'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_NET_ADMIN'] } },
      { names: ['c'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.10' } },
      { names: ['d'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.10' } },
      { names: ['e'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_CHOWN', 'CAP_KILL'] } },
    ],
  };
  const names = (caps: string[], arch: string, kernel: string) =>
    renderSeccomp(profile, { capabilities: caps, arch, kernel }).syscalls.flatMap((r) => r.names);
  assert.deepEqual(names(['CAP_CHOWN', 'CAP_KILL'], 'amd64', '6.1.0-13-amd64'), ['b', 'c', 'e']);
  assert.deepEqual(names(['CAP_NET_ADMIN', 'CAP_CHOWN'], 'arm64', '4.19.0'), ['a', 'd']);
  assert.deepEqual(renderSeccomp(profile, { capabilities: [], arch: 'amd64', kernel: '6.1' }).architectures, ['SCMP_ARCH_X86_64']);
  assert.ok(kernelAtLeast('6.18.44-fc-v1272', '4.8'));
  assert.ok(kernelAtLeast('4.8', '4.8'));
  assert.ok(!kernelAtLeast('4.7.10', '4.8'));
});

test('the default profile follows capabilities: every capability opens every guarded syscall but kexec', () => {
  const all = renderSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: ALL_CAPABILITIES, arch: 'amd64', kernel: '6.1' });
  for (const name of ['mount', 'reboot', 'init_module', 'acct', 'ptrace', 'iopl', 'settimeofday', 'vhangup', 'bpf', 'perf_event_open', 'syslog']) {
    assert.ok(allowed(all, name), name);
  }
  assert.ok(!all.syscalls.some((r) => r.names.includes('kexec_load')));
  const defaults = renderSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1' });
  assert.ok(allowed(defaults, 'ptrace'), 'ptrace is allowed from kernel 4.8');
  assert.ok(!renderSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '4.4' }).syscalls.some((r) => r.names.includes('ptrace')));
  assert.equal(FULL_HOST.capabilities.length, 41);
});

test('profiles the client sends: dockerd\'s messages for bad JSON and contradictory fields', () => {
  assert.throws(() => parseSeccompProfile('{"bad'), /^InvalidArgumentError: Decoding seccomp profile failed: /);
  assert.throws(() => parseSeccompProfile('[]'), /Decoding seccomp profile failed/);
  assert.throws(() => parseSeccompProfile('{}'), /defaultAction is required/);
  assert.throws(
    () => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":null}]}'),
    /both 'architectures' and 'archMap' are specified in the seccomp profile/,
  );
  assert.throws(
    () => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"x","names":["y"],"action":"SCMP_ACT_ALLOW"}]}'),
    /'name' and 'names' were specified in the seccomp profile/,
  );
  // Unknown fields are ignored, as Go's decoder does.
  assert.equal(parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","names":1}').defaultAction, 'SCMP_ACT_ALLOW');
});
