import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../lib/errors.js';
import { ALL_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, type RuntimeSecurity } from '../runtime/oci-security.js';
import { parseSeccompProfile } from '../runtime/seccomp-profile.js';
import type { HostConfig } from './container-types.js';

/**
 * HostConfig's security fields (CapAdd, CapDrop, Privileged, SecurityOpt, MaskedPaths, ReadonlyPaths):
 * checked at create with dockerd's messages, and turned into the runtime's `security` at each start.
 * What dockerd accepts and then ignores on a host like this one (an SELinux label, an AppArmor profile
 * without AppArmor) is refused here, naming the option.
 */

/** Go's strconv.ParseBool. */
const GO_BOOLS: Record<string, boolean> = {
  1: true, t: true, T: true, TRUE: true, true: true, True: true,
  0: false, f: false, F: false, FALSE: false, false: false, False: false,
};

interface SecurityOptions {
  noNewPrivileges: boolean;
  seccomp: RuntimeSecurity['seccomp'];
  apparmorProfile?: string;
}

/** True when the host's kernel has AppArmor enabled. */
export function appArmorEnabled(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

/** Parses SecurityOpt as dockerd's parseSecurityOpt does, refusing what this host cannot honour. */
export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: 'default' };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    // The legacy form of label=disable: no labels, which is what a host without SELinux gives.
    if (opt === 'disable') continue;
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw new InvalidArgumentError(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'label':
        if (value !== 'disable') {
          throw new InvalidArgumentError(`HostConfig.SecurityOpt ${JSON.stringify(opt)} is refused: SELinux is not enabled on this host, so no label can be applied`);
        }
        break;
      case 'apparmor':
        if (value === 'unconfined') break;
        if (!appArmorEnabled()) {
          throw new InvalidArgumentError(`HostConfig.SecurityOpt ${JSON.stringify(opt)} is refused: AppArmor is not enabled on this host, so the profile ${JSON.stringify(value)} cannot be applied`);
        }
        out.apparmorProfile = value;
        break;
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = 'unconfined';
        // "builtin" is the docker CLI's name for the default profile.
        else if (value === 'builtin') out.seccomp = 'default';
        else {
          parseSeccompProfile(value);
          out.seccomp = { profile: value };
        }
        break;
      case 'no-new-privileges': {
        const flag = GO_BOOLS[value];
        if (flag === undefined) throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = flag;
        break;
      }
      default:
        throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

/**
 * Docker's NormalizeLegacyCapabilities: upper case, CAP_ prefix, ALL kept; an unknown name is refused
 * with dockerd's message (`invalid CapAdd: unknown capability: "CAP_FOO"`).
 */
export function normalizeCapabilities(caps: readonly string[] | string | null | undefined, field: 'CapAdd' | 'CapDrop'): string[] {
  const list = typeof caps === 'string' ? [caps] : caps ?? [];
  return list.map((raw) => {
    const upper = raw.toUpperCase();
    if (upper === 'ALL') return upper;
    const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!ALL_CAPABILITIES.includes(name)) throw new InvalidArgumentError(`invalid ${field}: unknown capability: ${JSON.stringify(name)}`);
    return name;
  });
}

/**
 * Checks the security fields of a new container and fills in what dockerd records: the default masked
 * and read-only paths (none for a privileged container), and `label=disable` for a privileged one.
 * `raw` is the HostConfig as the client sent it (to tell a field left out from one set to []).
 */
export function applySecurityDefaults(hostConfig: HostConfig, raw: Record<string, unknown>): void {
  normalizeCapabilities(hostConfig.CapAdd as string[] | null, 'CapAdd');
  normalizeCapabilities(hostConfig.CapDrop as string[] | null, 'CapDrop');
  const opts = (hostConfig.SecurityOpt as string[] | null) ?? [];
  parseSecurityOpt(opts);
  const privileged = hostConfig.Privileged === true;
  for (const [field, defaults] of [['MaskedPaths', MASKED_PATHS], ['ReadonlyPaths', READONLY_PATHS]] as const) {
    const given = raw[field];
    if (Array.isArray(given)) {
      for (const p of given as string[]) {
        if (!p.startsWith('/')) throw new InvalidArgumentError(`HostConfig.${field}: ${JSON.stringify(p)} is not an absolute path`);
      }
      hostConfig[field] = [...given];
    } else {
      hostConfig[field] = privileged ? null : [...defaults];
    }
  }
  const hostNamespaces = hostConfig.IpcMode === 'host' || hostConfig.PidMode === 'host';
  if ((privileged || hostNamespaces) && !opts.some((o) => o.split('=')[0] === 'label')) {
    hostConfig.SecurityOpt = [...opts, 'label=disable'];
  }
}

/** The runtime's view of a container's security, from its recorded HostConfig. */
export function runtimeSecurity(hostConfig: HostConfig): RuntimeSecurity {
  const opts = parseSecurityOpt(hostConfig.SecurityOpt as string[] | null);
  const paths = (v: unknown) => (Array.isArray(v) ? [...v as string[]] : undefined);
  return {
    privileged: hostConfig.Privileged === true,
    capAdd: normalizeCapabilities(hostConfig.CapAdd as string[] | null, 'CapAdd'),
    capDrop: normalizeCapabilities(hostConfig.CapDrop as string[] | null, 'CapDrop'),
    noNewPrivileges: opts.noNewPrivileges,
    seccomp: opts.seccomp,
    ...(opts.apparmorProfile ? { apparmorProfile: opts.apparmorProfile } : {}),
    ...(paths(hostConfig.MaskedPaths) ? { maskedPaths: paths(hostConfig.MaskedPaths) } : {}),
    ...(paths(hostConfig.ReadonlyPaths) ? { readonlyPaths: paths(hostConfig.ReadonlyPaths) } : {}),
  };
}
