/**
 * The parts of config.json that say what a container shares with the host or with other containers,
 * and what it may reach: its namespaces, /dev/shm, sysctls, devices and device cgroup rules, the init
 * at pid 1, its OOM score, its cgroup and the OCI annotations. Pure: everything read from the host
 * (device numbers, the pid of a container to join, the init binary) was resolved by the caller.
 */

import type { OciDevice } from './host-devices.js';
import type { IdMap, IdMapping } from '../../lib/id-mapping.js';

export type { OciDevice };

/** One device cgroup rule (OCI linux.resources.devices); -1 is the wildcard `*`. */
export interface OciDeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access: string;
}

/** A device of the host made available in the container: its node and its cgroup permissions. */
export interface DeviceGrant {
  device: OciDevice;
  /** Some of `rwm`. */
  access: string;
}

/** What a container shares and may reach beyond Docker's defaults. Left out: Docker's default. */
export interface IsolationSpec {
  /** `--pid host`, or the pid namespace of another container (`/proc/<pid>/ns/pid`). */
  pid?: 'host' | { path: string };
  /**
   * `--ipc host` (the host's namespace and /dev/shm), `none` (own namespace, no /dev/shm), or a
   * /dev/shm mounted on the host (`shm`) in the container's own namespace (`shareable`, so others can
   * join it) or in the namespace at `path` (`container:<donor>`, with the donor's /dev/shm).
   */
  ipc?: 'host' | 'none' | { path?: string; shm: string };
  /** `--uts host`: the host's hostname and domain name. */
  uts?: 'host';
  /** `--cgroupns`; left out, the host's default: private on cgroup v2, host on v1 (as dockerd). */
  cgroupns?: 'host' | 'private';
  /** Size of the container's own /dev/shm in bytes (Docker's default is 64 MiB). */
  shmSizeBytes?: number;
  /** Namespaced kernel parameters, over the ones Berth sets itself. */
  sysctls?: Record<string, string>;
  oomScoreAdj?: number;
  /** `--cgroup-parent`: the container's cgroup is `<parent>/<id>` instead of under the daemon's parent. */
  cgroupParent?: string;
  annotations?: Record<string, string>;
  /** Host path of the init (tini) mounted as /sbin/docker-init and run as pid 1 before the command. */
  init?: string;
  devices?: DeviceGrant[];
  deviceRules?: OciDeviceRule[];
  /**
   * The daemon's `--userns-remap` maps: a user namespace of the container's own with them, or the
   * one of the container whose network, IPC or PID namespace it joins. Left out: the host's.
   */
  user?: IdMapping;
}

/** Where Docker mounts its init in the container. */
export const INIT_PATH = '/sbin/docker-init';

/** The parts of the OCI spec this module sets (oci-spec.ts's OciSpec has them all). */
export interface IsolatedSpec {
  process: { args: string[]; oomScoreAdj: number };
  hostname?: string;
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    sysctl?: Record<string, string>;
    devices?: OciDevice[];
    resources: { devices: OciDeviceRule[] };
    uidMappings?: IdMap[];
    gidMappings?: IdMap[];
  };
}

/** The /dev/shm Docker gives a container of its own (before its size is set). */
function isDefaultShm(m: IsolatedSpec['mounts'][number]): boolean {
  return m.destination === '/dev/shm' && m.type === 'tmpfs' && m.source === 'shm';
}

function setNamespace(spec: IsolatedSpec, type: string, how: 'own' | 'host' | { path: string }): void {
  const rest = spec.linux.namespaces.filter((n) => n.type !== type);
  if (how === 'own') rest.push({ type });
  else if (how !== 'host') rest.push({ type, path: how.path });
  spec.linux.namespaces = rest;
}

/**
 * Applies `iso` to a spec built with Docker's defaults (own pid, ipc, uts and mount namespaces, a
 * 64 MiB /dev/shm, the default device rules). `id` names the container's cgroup under a
 * `cgroupParent`; `cgroupV2` decides the default cgroup namespace.
 */
export function applyIsolation(spec: IsolatedSpec, iso: IsolationSpec, id: string, cgroupV2: boolean): void {
  if (iso.pid) setNamespace(spec, 'pid', iso.pid);
  if (iso.uts === 'host') setNamespace(spec, 'uts', 'host');
  // runc cannot set a hostname without a UTS namespace of the container's own.
  if (!spec.linux.namespaces.some((n) => n.type === 'uts' && !n.path)) delete spec.hostname;
  const cgroupns = iso.cgroupns ?? (cgroupV2 ? 'private' : 'host');
  setNamespace(spec, 'cgroup', cgroupns === 'private' ? 'own' : 'host');
  applyIpc(spec, iso);
  if (iso.sysctls && Object.keys(iso.sysctls).length) spec.linux.sysctl = { ...spec.linux.sysctl, ...iso.sysctls };
  if (iso.oomScoreAdj !== undefined) spec.process.oomScoreAdj = iso.oomScoreAdj;
  if (iso.cgroupParent) spec.linux.cgroupsPath = cgroupPath(iso.cgroupParent, id);
  if (iso.annotations && Object.keys(iso.annotations).length) spec.annotations = { ...iso.annotations };
  if (iso.init) {
    spec.mounts.push({ destination: INIT_PATH, type: 'bind', source: iso.init, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
    spec.process.args = [INIT_PATH, '--', ...spec.process.args];
  }
  applyDevices(spec, iso.devices ?? [], iso.deviceRules ?? []);
  if (iso.user) applyUserNamespace(spec, iso.user);
}

/**
 * A user namespace with the daemon's maps (dockerd's WithNamespaces): the container's root is the first
 * subordinate id on the host. A container that joins another's network, IPC or PID namespace joins its
 * user namespace too, since a namespace belongs to the user namespace it was made in.
 */
export function applyUserNamespace(spec: IsolatedSpec, mapping: IdMapping): void {
  const joined = spec.linux.namespaces.find((n) => ['network', 'ipc', 'pid'].includes(n.type) && n.path?.startsWith('/proc/'));
  const path = joined?.path?.replace(/\/ns\/[a-z]+$/, '/ns/user');
  setNamespace(spec, 'user', path ? { path } : 'own');
  spec.linux.uidMappings = mapping.uids.map((m) => ({ ...m }));
  spec.linux.gidMappings = mapping.gids.map((m) => ({ ...m }));
}

function applyIpc(spec: IsolatedSpec, iso: IsolationSpec): void {
  const { ipc } = iso;
  const shmAt = spec.mounts.findIndex(isDefaultShm);
  if (ipc === 'host' || typeof ipc === 'object') {
    if (ipc === 'host') setNamespace(spec, 'ipc', 'host');
    else if (ipc.path) setNamespace(spec, 'ipc', { path: ipc.path });
    const source = ipc === 'host' ? '/dev/shm' : ipc.shm;
    if (shmAt >= 0) spec.mounts[shmAt] = { destination: '/dev/shm', type: 'bind', source, options: ['rbind', 'rprivate'] };
    return;
  }
  if (shmAt < 0) return; // the user mounted something of their own over /dev/shm
  if (ipc === 'none') spec.mounts.splice(shmAt, 1);
  else if (iso.shmSizeBytes) {
    const shm = spec.mounts[shmAt]!;
    shm.options = [...(shm.options ?? []).filter((o) => !o.startsWith('size=')), `size=${iso.shmSizeBytes}`];
  }
}

/** `<parent>/<id>` as an absolute cgroup path, as dockerd's cgroupfs driver makes it. */
export function cgroupPath(parent: string, id: string): string {
  const trimmed = parent.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}/${id}` : `/${id}`;
}

/**
 * Adds device nodes and their cgroup rules, then the user's rules, after the defaults (as Docker
 * orders them). Exported for `--privileged`, which grants every device of the host this way.
 */
export function applyDevices(spec: IsolatedSpec, grants: DeviceGrant[], rules: OciDeviceRule[]): void {
  if (!grants.length && !rules.length) return;
  const byPath = new Map((spec.linux.devices ?? []).map((d) => [d.path, d]));
  for (const { device } of grants) byPath.set(device.path, { ...device });
  if (byPath.size) spec.linux.devices = [...byPath.values()];
  spec.linux.resources.devices.push(
    ...grants.map(({ device, access }) => ({ allow: true, type: device.type, major: device.major, minor: device.minor, access })),
    ...rules.map((r) => ({ ...r })),
  );
}
