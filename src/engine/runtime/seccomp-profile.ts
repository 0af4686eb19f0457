import { InvalidArgumentError } from '../../lib/errors.js';

/**
 * Docker's seccomp profile format (what `--security-opt seccomp=<file>` sends and the default profile
 * is written in) and its rendering into the OCI `linux.seccomp` section for one container, as
 * dockerd's setupSeccomp does: the architectures of this machine from `archMap`, and each rule kept or
 * left out by its `includes` / `excludes` conditions (capabilities in the container's bounding set,
 * architecture, minimum kernel).
 */

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

export interface SeccompRule {
  /** The legacy one-name form; refused together with `names`. */
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter | null;
  excludes?: SeccompFilter | null;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompRule[] | null;
}

/** The OCI runtime spec's linux.seccomp. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }[];
}

/** What the rendering depends on: the container's bounding capabilities and this host. */
export interface SeccompTarget {
  capabilities: readonly string[];
  /** Go's name for the architecture (amd64, arm64...), as profiles name them. */
  arch: string;
  /** The kernel release (`uname -r`). */
  kernel: string;
}

/** Go's architecture names to libseccomp's. */
const NATIVE_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
  mips64: 'SCMP_ARCH_MIPS64', mips64le: 'SCMP_ARCH_MIPSEL64', ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64', s390x: 'SCMP_ARCH_S390X',
};

/** Node's process.arch as Go names it. */
export function goArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/**
 * Decodes a profile the client sent (the JSON text of `seccomp=<json>`), with dockerd's message for
 * bad JSON. Checks the shape the rendering relies on; unknown fields are ignored, as Go's decoder does.
 */
export function parseSeccompProfile(text: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidArgumentError('Decoding seccomp profile failed: the profile is not a JSON object');
  }
  const profile = raw as SeccompProfile;
  const bad = (what: string) => new InvalidArgumentError(`Decoding seccomp profile failed: ${what}`);
  if (typeof profile.defaultAction !== 'string' || !profile.defaultAction) throw bad('defaultAction is required');
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new InvalidArgumentError("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  if (profile.syscalls !== undefined && profile.syscalls !== null && !Array.isArray(profile.syscalls)) throw bad('syscalls must be a list');
  for (const rule of profile.syscalls ?? []) {
    if (!rule || typeof rule !== 'object' || typeof rule.action !== 'string') throw bad('each syscall rule needs an action');
    if (rule.name && rule.names?.length) {
      throw new InvalidArgumentError("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    }
    if (rule.names !== undefined && rule.names !== null && !(Array.isArray(rule.names) && rule.names.every((n) => typeof n === 'string'))) {
      throw bad('names must be a list of syscall names');
    }
  }
  return profile;
}

/** The OCI seccomp section of `profile` for one container. */
export function renderSeccomp(profile: SeccompProfile, target: SeccompTarget): OciSeccomp {
  const out: OciSeccomp = { defaultAction: profile.defaultAction, syscalls: [] };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const arches = [...(profile.architectures ?? [])];
  const native = NATIVE_ARCH[target.arch];
  for (const entry of profile.archMap ?? []) {
    if (entry.architecture === native) arches.push(entry.architecture, ...(entry.subArchitectures ?? []));
  }
  if (arches.length) out.architectures = arches;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const has = (cap: string) => target.capabilities.includes(cap);
  for (const rule of profile.syscalls ?? []) {
    const ex = rule.excludes;
    if (ex?.arches?.includes(target.arch)) continue;
    if (ex?.caps?.some(has)) continue;
    if (ex?.minKernel && kernelAtLeast(target.kernel, ex.minKernel)) continue;
    const inc = rule.includes;
    if (inc?.arches?.length && !inc.arches.includes(target.arch)) continue;
    if (inc?.caps?.length && !inc.caps.every(has)) continue;
    if (inc?.minKernel && !kernelAtLeast(target.kernel, inc.minKernel)) continue;
    const names = rule.name ? [rule.name] : [...(rule.names ?? [])];
    out.syscalls.push({
      names, action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args?.length ? { args: rule.args.map((a) => ({ ...a })) } : {}),
    });
  }
  return out;
}

/** Compares `major.minor[.patch]` prefixes of kernel releases ("6.1.0-13-amd64" >= "4.8"). */
export function kernelAtLeast(release: string, min: string): boolean {
  const parse = (s: string) => (s.match(/^(\d+)(?:\.(\d+))?(?:\.(\d+))?/) ?? []).slice(1).map((x) => Number(x ?? 0));
  const a = parse(release);
  const b = parse(min);
  if (b.length === 0) throw new InvalidArgumentError(`invalid kernel version in the seccomp profile: ${min}`);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}
