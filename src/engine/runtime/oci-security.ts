import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default-profile.js';
import { hostDevices, type OciDevice } from './host-devices.js';
import { goArch, parseSeccompProfile, renderSeccomp, type OciSeccomp } from './seccomp-profile.js';

/**
 * What a container's processes may do, rendered for the OCI config as Docker does: capabilities
 * (Docker's default set, tweaked by CapAdd/CapDrop, every one with --privileged), no_new_privs, the
 * seccomp filter (the default profile, none, or the client's), the masked and read-only paths, and
 * for --privileged the host's devices, an allow-all device rule and a writable /sys. Pure once the host
 * facts are read (`readSecurityHost`), so it is unit-tested.
 */

/** The container's security settings, as parsed from the create body (containers/security-options.ts). */
export interface RuntimeSecurity {
  privileged: boolean;
  /** Names upper-cased with the CAP_ prefix, or ALL. */
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges: boolean;
  /** 'default' (Docker's profile), 'unconfined' (no filter), or a Docker-format profile's JSON. */
  seccomp: 'default' | 'unconfined' | { profile: string };
  /** An AppArmor profile to run under (only where the host has AppArmor; security-options.ts checks). */
  apparmorProfile?: string;
  /** Left out: Docker's lists. [] (systempaths=unconfined) hides and protects nothing. */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** The host facts the rendering depends on. */
export interface SecurityHost {
  /** The daemon's bounding set: no container can hold a capability outside it. */
  capabilities: readonly string[];
  kernel: string;
  /** Go's architecture name (amd64...). */
  arch: string;
  /** The host's device nodes; read only when a privileged container needs them. */
  devices: OciDevice[];
}

/** Every capability Linux defines, in bit order (capability.h). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Paths Docker hides from containers (kernel internals that leak host information or allow attacks). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** A host for pure rendering (tests): holds every capability, no devices. */
export const FULL_HOST: SecurityHost = { capabilities: ALL_CAPABILITIES, kernel: '6.1.0', arch: 'amd64', devices: [] };

/** The parts of the OCI config that security decides. */
export interface SecurityParts {
  capabilities: string[];
  noNewPrivileges: boolean;
  apparmorProfile?: string;
  seccomp?: OciSeccomp;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** /sys and /sys/fs/cgroup mounted read-write (privileged). */
  writableSys: boolean;
  /** Host device nodes to create, with an allow-all device rule (privileged). */
  hostDevices?: OciDevice[];
}

/**
 * The capability set, as Docker's TweakCapabilities computes it, within what the daemon holds.
 * `withheld` names what --privileged or ALL would give that the daemon itself lacks (Podman's way:
 * grant the rest and say so); a capability asked for by name that the daemon lacks is an error.
 */
export function capabilitiesFor(security: RuntimeSecurity | undefined, host: SecurityHost): { granted: string[]; withheld: string[] } {
  const held = new Set(host.capabilities);
  const all = ALL_CAPABILITIES.filter((c) => held.has(c));
  const withheld = ALL_CAPABILITIES.filter((c) => !held.has(c));
  if (!security) return { granted: [...DEFAULT_CAPABILITIES], withheld: [] };
  const { capAdd, capDrop } = security;
  if (security.privileged) return { granted: all, withheld };
  let caps: string[];
  if (capAdd.includes('ALL')) caps = all.filter((c) => !capDrop.includes(c));
  else if (capDrop.includes('ALL')) caps = [...capAdd];
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !capDrop.includes(c)), ...capAdd.filter((c) => !DEFAULT_CAPABILITIES.includes(c))];
  const lacking = caps.filter((c) => !held.has(c));
  if (lacking.length && !capAdd.includes('ALL')) {
    throw new InvalidArgumentError(`the daemon does not hold ${lacking.join(', ')} in its bounding set, so it cannot give it to a container`);
  }
  return { granted: [...new Set(caps.filter((c) => held.has(c)))], withheld: capAdd.includes('ALL') ? withheld.filter((c) => !capDrop.includes(c)) : [] };
}

/**
 * Says in the daemon's log which capabilities --privileged (or --cap-add ALL) could not give because
 * the daemon lacks them (dockerd fails the start with EPERM instead; Podman grants the rest, as here).
 */
export function logWithheldCapabilities(log: Logger, what: string, security: RuntimeSecurity | undefined, host: SecurityHost): void {
  if (!security || !(security.privileged || security.capAdd.includes('ALL'))) return;
  const { withheld } = capabilitiesFor(security, host);
  if (withheld.length) {
    log.warn(`${what}: the daemon's bounding set lacks ${withheld.join(', ')}; giving every other capability`);
  }
}

/** Renders the security of one container for its OCI config. */
export function renderSecurity(security: RuntimeSecurity | undefined, host: SecurityHost): SecurityParts {
  const { granted } = capabilitiesFor(security, host);
  const privileged = security?.privileged ?? false;
  const mode = security?.seccomp ?? 'default';
  const parts: SecurityParts = {
    capabilities: granted,
    noNewPrivileges: security?.noNewPrivileges ?? false,
    // Privileged containers have no masked or read-only paths, whatever was asked (as Docker).
    maskedPaths: privileged ? [] : [...(security?.maskedPaths ?? MASKED_PATHS)],
    readonlyPaths: privileged ? [] : [...(security?.readonlyPaths ?? READONLY_PATHS)],
    writableSys: privileged,
  };
  if (security?.apparmorProfile && !privileged) parts.apparmorProfile = security.apparmorProfile;
  // --privileged runs without a filter, even with a profile named (as Docker).
  if (!privileged && mode !== 'unconfined') {
    const profile = mode === 'default' ? DEFAULT_SECCOMP_PROFILE : parseSeccompProfile(mode.profile);
    parts.seccomp = renderSeccomp(profile, { capabilities: granted, arch: host.arch, kernel: host.kernel });
  }
  if (privileged) parts.hostDevices = host.devices.map((d) => ({ ...d }));
  return parts;
}

/** The daemon's bounding set, read once: what any container can be given at most. */
let ownCapabilities: Promise<string[]> | undefined;

async function readOwnCapabilities(): Promise<string[]> {
  const status = await readFile('/proc/self/status', 'utf8');
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (!hex) return [...ALL_CAPABILITIES];
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Reads the host facts; the device list only when `withDevices` (a privileged container). */
export async function readSecurityHost(withDevices: boolean): Promise<SecurityHost> {
  ownCapabilities ??= readOwnCapabilities();
  return {
    capabilities: await ownCapabilities, kernel: release(), arch: goArch(),
    devices: withDevices ? await hostDevices() : [],
  };
}

