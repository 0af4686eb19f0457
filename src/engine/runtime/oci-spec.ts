import type { RuntimeSpec } from './runtime.js';
import { FULL_HOST, renderSecurity, type SecurityHost } from './oci-security.js';
import type { OciSeccomp } from './seccomp-profile.js';
import { applyIsolation } from './oci-namespaces.js';
import type { IdMap } from '../../lib/id-mapping.js';
import type { OciDevice } from './host-devices.js';
import { renderResources, renderRlimits, type OciLinuxResources, type OciRlimit } from './oci-resources.js';

/**
 * Turns a RuntimeSpec into an OCI runtime config.json, with the defaults Docker gives a container:
 * its mounts, capabilities, masked and read-only paths, device rules and namespaces. Pure: the host
 * facts it depends on (cgroup version, cgroup parent) come in as arguments, so it is unit-tested.
 */

/** The subset of the OCI runtime spec (config.json) that Berth writes. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    oomScoreAdj: number;
    noNewPrivileges: boolean;
    apparmorProfile?: string;
    rlimits?: OciRlimit[];
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    devices?: OciDevice[];
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: OciResources;
    sysctl?: Record<string, string>;
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: OciSeccomp;
    uidMappings?: IdMap[];
    gidMappings?: IdMap[];
  };
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciResources extends OciLinuxResources {
  devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
}

export interface HostFacts {
  /** /sys/fs/cgroup is a cgroup2 mount (unified). Then containers get their own cgroup namespace, as in Docker. */
  cgroupV2: boolean;
  /** Absolute cgroup under which each container gets `<parent>/<id>` (Docker uses /docker). */
  cgroupParent: string;
  /** Capabilities the daemon holds, kernel, devices (oci-security.ts); left out, a host holding all. */
  security?: SecurityHost;
}

export { DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS } from './oci-security.js';

/** Docker's default /dev/shm size. */
const SHM_SIZE = '65536k';

/**
 * Device cgroup rules: deny everything, then allow what Docker allows. runc itself creates the
 * default device nodes (null, zero, full, random, urandom, tty, ptmx) and appends their allow rules.
 */
const DEVICE_RULES: OciResources['devices'] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' }, // mknod of any char device
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' }, // mknod of any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

function defaultMounts(readonlySys: boolean): OciMount[] {
  const ro = readonlySys ? 'ro' : 'rw';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [ro, 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${SHM_SIZE}`] },
  ];
}

export function buildOciSpec(spec: RuntimeSpec, host: HostFacts): OciSpec {
  const hostNetwork = spec.network === 'host';
  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'mount' }];
  // Docker shares the host's UTS namespace (and so its hostname) with --network host.
  if (!hostNetwork) namespaces.push({ type: 'uts' });
  if (spec.network === 'new') namespaces.push({ type: 'network' });
  else if (typeof spec.network === 'object') namespaces.push({ type: 'network', path: spec.network.path });

  const security = renderSecurity(spec.security, host.security ?? FULL_HOST);
  // --privileged: /sys and /sys/fs/cgroup writable, as Docker.
  const mounts = defaultMounts(!security.writableSys);
  // A user mount over a default destination replaces the default (as in Docker: -v x:/dev/shm).
  const userMounts = spec.mounts ?? [];
  const taken = new Set(userMounts.map((m) => m.destination));
  const merged: OciMount[] = [
    ...mounts.filter((m) => !taken.has(m.destination)),
    ...userMounts.map((m) => ({ destination: m.destination, type: m.type, source: m.source, ...(m.options ? { options: m.options } : {}) })),
  ];

  const caps = security.capabilities;
  const result: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: spec.terminal,
      ...(spec.terminal && spec.consoleSize ? { consoleSize: spec.consoleSize } : {}),
      user: {
        uid: spec.user.uid,
        gid: spec.user.gid,
        ...(spec.user.additionalGids?.length ? { additionalGids: spec.user.additionalGids } : {}),
      },
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd || '/',
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      // conmon sets its own score to -999; without this the container would inherit it.
      oomScoreAdj: 0,
      noNewPrivileges: security.noNewPrivileges,
    },
    root: { path: spec.rootfs, readonly: spec.readonlyRootfs ?? false },
    mounts: merged,
    linux: {
      namespaces,
      cgroupsPath: `${host.cgroupParent.replace(/\/+$/, '')}/${spec.id}`,
      resources: buildResources(spec.resources, host.cgroupV2),
      maskedPaths: security.maskedPaths,
      readonlyPaths: security.readonlyPaths,
    },
  };
  if (security.seccomp) result.linux.seccomp = security.seccomp;
  if (security.apparmorProfile) result.process.apparmorProfile = security.apparmorProfile;
  if (security.hostDevices) {
    // The host's devices, and any device may be used (Docker's --privileged).
    result.linux.devices = security.hostDevices;
    result.linux.resources.devices = [{ allow: true, access: 'rwm' }];
  }
  if (!hostNetwork) result.hostname = spec.hostname;
  // In its own network namespace a container may bind low ports and ping without extra capabilities,
  // as Docker configures since 20.10.
  // Not ping in a user namespace (dockerd's rule): gids beyond its maps cannot be named there.
  if (spec.network === 'new') {
    result.linux.sysctl = {
      'net.ipv4.ip_unprivileged_port_start': '0',
      ...(spec.isolation?.user ? {} : { 'net.ipv4.ping_group_range': '0 2147483647' }),
    };
  }
  applyIsolation(result, spec.isolation ?? {}, spec.id, host.cgroupV2);
  // runc sets no domain name of its own; Docker sets it as the UTS namespace's sysctl (only a
  // namespace of the container's own has one to set).
  if (spec.domainname && result.hostname !== undefined) result.linux.sysctl = { ...result.linux.sysctl, 'kernel.domainname': spec.domainname };
  // Without --ulimit the container inherits conmon's (the daemon's) limits; the container layer
  // refuses a ulimit above the daemon's hard limits, which runc would fail to set (EPERM).
  if (spec.rlimits?.length) result.process.rlimits = renderRlimits(spec.rlimits);
  return result;
}

function buildResources(resources: RuntimeSpec['resources'], cgroupV2: boolean): OciResources {
  return { devices: DEVICE_RULES.map((d) => ({ ...d })), ...renderResources(resources, cgroupV2) };
}
