import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from '../../src/engine/containers/create-body.js';
import { normalizeCapabilities, parseSecurityOpt, runtimeSecurity } from '../../src/engine/containers/security-options.js';
import { buildOciSpec, type HostFacts } from '../../src/engine/runtime/oci-spec.js';
import {
  ALL_CAPABILITIES, DEFAULT_CAPABILITIES, FULL_HOST, MASKED_PATHS, READONLY_PATHS, capabilitiesFor, type SecurityHost,
} from '../../src/engine/runtime/oci-security.js';
import type { RuntimeSpec } from '../../src/engine/runtime/runtime.js';

const V1: HostFacts = { cgroupV2: false, cgroupParent: '/berth' };
const V2: HostFacts = { cgroupV2: true, cgroupParent: '/berth' };
/** This VM: the daemon's bounding set lacks CAP_SYS_RESOURCE. */
const NO_SYS_RESOURCE: SecurityHost = {
  ...FULL_HOST, capabilities: ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'),
  devices: [{ path: '/dev/loop0', type: 'b', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 0 }],
};

function create(hostConfig: Record<string, unknown>) {
  return parseCreateBody({ Image: 'busybox', HostConfig: hostConfig }).hostConfig;
}

function ociFor(hostConfig: Record<string, unknown>, host: HostFacts) {
  const spec: RuntimeSpec = {
    id: 'e'.repeat(64), bundleDir: '/b', rootfs: '/r', args: ['true'], env: [], cwd: '/', user: { uid: 0, gid: 0 },
    hostname: 'h', terminal: false, openStdin: false, network: 'new', logPath: '/l', security: runtimeSecurity(create(hostConfig)),
  };
  return buildOciSpec(spec, host);
}

test('capability names: any case, with or without CAP_, ALL; an unknown one with dockerd\'s message', () => {
  assert.deepEqual(normalizeCapabilities(['net_admin', 'CAP_sys_time', 'all'], 'CapAdd'), ['CAP_NET_ADMIN', 'CAP_SYS_TIME', 'ALL']);
  assert.deepEqual(normalizeCapabilities('chown', 'CapDrop'), ['CAP_CHOWN']);
  assert.throws(() => create({ CapAdd: ['foo'] }), /^InvalidArgumentError: invalid CapAdd: unknown capability: "CAP_FOO"$/);
  assert.throws(() => create({ CapDrop: ['cap_bar'] }), /^InvalidArgumentError: invalid CapDrop: unknown capability: "CAP_BAR"$/);
});

test('the capability set: Docker\'s defaults tweaked by add and drop, ALL either way', () => {
  const caps = (capAdd: string[], capDrop: string[], host: SecurityHost = FULL_HOST) =>
    capabilitiesFor({ privileged: false, capAdd, capDrop, noNewPrivileges: false, seccomp: 'default' }, host).granted;
  assert.deepEqual(caps([], []), DEFAULT_CAPABILITIES);
  assert.deepEqual(caps(['CAP_NET_ADMIN'], ['CAP_CHOWN']), [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'), 'CAP_NET_ADMIN']);
  assert.deepEqual(caps([], ['ALL']), []);
  assert.deepEqual(caps(['CAP_KILL'], ['ALL']), ['CAP_KILL']);
  assert.deepEqual(caps(['ALL'], ['CAP_SYS_ADMIN']), ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN'));
  // What the daemon does not hold: ALL gives the rest; asked for by name, it is an error.
  assert.ok(!caps(['ALL'], [], NO_SYS_RESOURCE).includes('CAP_SYS_RESOURCE'));
  assert.throws(() => caps(['CAP_SYS_RESOURCE'], [], NO_SYS_RESOURCE), /does not hold CAP_SYS_RESOURCE/);
  const privileged = capabilitiesFor({ privileged: true, capAdd: [], capDrop: ['ALL'], noNewPrivileges: false, seccomp: 'default' }, NO_SYS_RESOURCE);
  assert.equal(privileged.granted.length, 40);
  assert.deepEqual(privileged.withheld, ['CAP_SYS_RESOURCE']);
});

test('SecurityOpt: no-new-privileges forms, seccomp, apparmor=unconfined, label=disable; the rest refused', () => {
  assert.equal(parseSecurityOpt(['no-new-privileges']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['no-new-privileges=true']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['no-new-privileges:true']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['no-new-privileges', 'no-new-privileges=false']).noNewPrivileges, false);
  assert.equal(parseSecurityOpt(['seccomp=unconfined']).seccomp, 'unconfined');
  assert.equal(parseSecurityOpt(['seccomp=builtin']).seccomp, 'default');
  assert.deepEqual(parseSecurityOpt(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp, { profile: '{"defaultAction":"SCMP_ACT_ALLOW"}' });
  assert.deepEqual(parseSecurityOpt(['apparmor=unconfined', 'label=disable', 'disable']), { noNewPrivileges: false, seccomp: 'default' });

  assert.throws(() => create({ SecurityOpt: ['foo=bar'] }), /^InvalidArgumentError: invalid --security-opt 2: "foo=bar"$/);
  assert.throws(() => create({ SecurityOpt: ['foo'] }), /^InvalidArgumentError: invalid --security-opt 1: "foo"$/);
  assert.throws(() => create({ SecurityOpt: ['no-new-privileges=maybe'] }), /invalid --security-opt 2: "no-new-privileges=maybe"/);
  assert.throws(() => create({ SecurityOpt: ['systempaths=unconfined'] }), /invalid --security-opt 2/);
  assert.throws(() => create({ SecurityOpt: ['label=user:system_u'] }), /HostConfig.SecurityOpt "label=user:system_u" is refused: SELinux is not enabled/);
  assert.throws(() => create({ SecurityOpt: ['seccomp={"bad'] }), /Decoding seccomp profile failed/);
});

test('an AppArmor profile is refused where the host has no AppArmor', { skip: parseSecurityOptHasAppArmor() }, () => {
  assert.throws(() => create({ SecurityOpt: ['apparmor=docker-default'] }), /"apparmor=docker-default" is refused: AppArmor is not enabled on this host/);
});

function parseSecurityOptHasAppArmor(): boolean {
  try {
    parseSecurityOpt(['apparmor=x']);
    return true;
  } catch {
    return false;
  }
}

test('inspect shows what dockerd records: default paths, none and label=disable when privileged, [] when unconfined', () => {
  const plain = create({});
  assert.deepEqual(plain.MaskedPaths, MASKED_PATHS);
  assert.deepEqual(plain.ReadonlyPaths, READONLY_PATHS);
  assert.equal(plain.SecurityOpt, null);
  const privileged = create({ Privileged: true });
  assert.equal(privileged.MaskedPaths, null);
  assert.equal(privileged.ReadonlyPaths, null);
  assert.deepEqual(privileged.SecurityOpt, ['label=disable']);
  const unconfined = create({ MaskedPaths: [], ReadonlyPaths: [] });
  assert.deepEqual([unconfined.MaskedPaths, unconfined.ReadonlyPaths], [[], []]);
  assert.deepEqual(create({ MaskedPaths: ['/proc/x'] }).MaskedPaths, ['/proc/x']);
  assert.throws(() => create({ ReadonlyPaths: ['proc/x'] }), /HostConfig.ReadonlyPaths: "proc\/x" is not an absolute path/);
});

for (const [label, cgroups] of [['cgroup v1', V1], ['cgroup v2', V2]] as const) {
  test(`${label}: --privileged renders every held capability, the host's devices, writable /sys, no masks, no filter`, () => {
    const oci = ociFor({ Privileged: true }, { ...cgroups, security: NO_SYS_RESOURCE });
    assert.equal(oci.process.capabilities.effective.length, 40);
    assert.deepEqual(oci.linux.devices, NO_SYS_RESOURCE.devices);
    assert.deepEqual(oci.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
    assert.deepEqual([oci.linux.maskedPaths, oci.linux.readonlyPaths], [[], []]);
    assert.equal(oci.linux.seccomp, undefined);
    const sys = oci.mounts.filter((m) => m.destination === '/sys' || m.destination === '/sys/fs/cgroup');
    assert.equal(sys.length, 2);
    for (const m of sys) assert.ok(m.options!.includes('rw') && !m.options!.includes('ro'), m.destination);
  });

  test(`${label}: a default container: Docker's set, read-only /sys, masked paths, no_new_privs on request`, () => {
    const oci = ociFor({}, cgroups);
    assert.deepEqual(oci.process.capabilities.bounding, DEFAULT_CAPABILITIES);
    assert.equal(oci.linux.devices, undefined);
    assert.equal(oci.linux.resources.devices[0]!.allow, false);
    assert.ok(oci.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
    assert.deepEqual(oci.linux.maskedPaths, MASKED_PATHS);
    assert.equal(oci.process.noNewPrivileges, false);
    assert.equal(ociFor({ SecurityOpt: ['no-new-privileges'] }, cgroups).process.noNewPrivileges, true);
    const open = ociFor({ MaskedPaths: [], ReadonlyPaths: [], CapDrop: ['ALL'] }, cgroups);
    assert.deepEqual([open.linux.maskedPaths, open.linux.readonlyPaths, open.process.capabilities.effective], [[], [], []]);
  });
}

test('berth run flags: capabilities normalised as the docker CLI sends them, a profile file as compact JSON', async () => {
  const { securityFields } = await import('../../src/cli/commands/security-flags.js');
  assert.deepEqual(securityFields({ capAdd: ['net_admin', 'NET_ADMIN', 'sys_time'], capDrop: ['all'], securityOpt: [] }), {
    CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'], CapDrop: ['ALL'],
  });
  assert.deepEqual(securityFields({ capAdd: ['chown'], capDrop: ['CAP_CHOWN', 'kill'], securityOpt: [] }), { CapAdd: ['CAP_CHOWN'], CapDrop: ['CAP_KILL'] });
  assert.deepEqual(securityFields({ capAdd: [], capDrop: [], securityOpt: ['systempaths=unconfined', 'no-new-privileges', 'seccomp=unconfined'] }), {
    MaskedPaths: [], ReadonlyPaths: [], SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'],
  });
  assert.throws(() => securityFields({ capAdd: [], capDrop: [], securityOpt: ['foo'] }), /Invalid --security-opt: "foo"/);
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/berth-seccomp-`);
  try {
    await writeFile(`${dir}/p.json`, '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
    assert.deepEqual(securityFields({ capAdd: [], capDrop: [], securityOpt: [`seccomp=${dir}/p.json`] }), { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
