import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { hostPlatform, type ImageConfig } from './image-config.js';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** containerd's normalisation of architecture names (and the ARM variant they imply). */
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  i386: { architecture: '386' }, x86_64: { architecture: 'amd64' }, 'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' }, armhf: { architecture: 'arm', variant: 'v7' }, armel: { architecture: 'arm', variant: 'v6' },
};
const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'js', 'plan9', 'dragonfly', 'wasip1']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'arm', 'arm64', 'ppc64', 'ppc64le', 'mips', 'mipsle', 'mips64', 'mips64le', 's390x', 'riscv64', 'loong64', 'wasm']);

/**
 * `--platform` (`os[/arch[/variant]]`, or an architecture alone) as containerd's platforms.Parse reads it:
 * lower case, architecture aliases normalised (`x86_64` is amd64, `aarch64` arm64), `arm` meaning
 * arm/v7 and arm64's `v8` dropped. InvalidArgumentError with containerd's words for anything else.
 */
export function parsePlatformSpec(text: string): PlatformSpec {
  const invalid = () => new InvalidArgumentError(`"${text}": unknown operating system or architecture: invalid argument`);
  const parts = text.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) throw invalid();
  let [os, arch, variant] = parts as [string, string | undefined, string | undefined];
  if (parts.length === 1) {
    if (KNOWN_OS.has(os)) arch = hostPlatform().architecture;
    else if (KNOWN_ARCH.has(os) || ARCH_ALIASES[os]) [os, arch] = ['linux', os];
    else throw invalid();
  }
  const alias = ARCH_ALIASES[arch!];
  const architecture = alias?.architecture ?? arch!;
  variant = variant ?? alias?.variant;
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'arm' && !variant) variant = 'v7';
  if (architecture === 'arm' && variant === '8') variant = 'v8';
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * What `wanted` runs, as containerd's platforms.Only: the platform itself, amd64 also 386, arm64 also
 * 32-bit arm, and an ARM variant the older variants of its line.
 */
function runs(wanted: PlatformSpec, image: PlatformSpec): boolean {
  if (wanted.os !== image.os) return false;
  const armVersion = (v: string | undefined) => Number((v ?? 'v7').replace(/^v/, ''));
  if (wanted.architecture === image.architecture) {
    if (wanted.architecture !== 'arm') return (wanted.variant ?? '') === (image.variant ?? '');
    return armVersion(image.variant) <= armVersion(wanted.variant);
  }
  if (wanted.architecture === 'amd64') return image.architecture === '386';
  if (wanted.architecture === 'arm64') return image.architecture === 'arm' && armVersion(image.variant) <= 8;
  return false;
}

/**
 * `docker create --platform` with an image at hand: the image's platform (its config's os, architecture
 * and variant; the host's when the config names none) must be one `wanted` runs. Otherwise NotFoundError
 * with dockerd's words, a 404 on which the docker CLI tries to pull the image for that platform.
 */
export function checkImagePlatform(reference: string, config: Pick<ImageConfig, 'os' | 'architecture' | 'variant'>, wanted: PlatformSpec): void {
  const host = hostPlatform();
  const image: PlatformSpec = {
    os: config.os || host.os, architecture: config.architecture || host.architecture, ...(config.variant ? { variant: config.variant } : {}),
  };
  if (image.architecture === 'arm64' && image.variant === 'v8') delete image.variant;
  if (runs(wanted, image)) return;
  throw new NotFoundError(
    `image with reference ${reference} was found but does not match the specified platform: wanted ${formatPlatform(wanted)}, actual: ${formatPlatform(image)}`,
  );
}
