// The image configuration JSON (OCI image-spec config.md with Docker's extra fields). Its sha256 is the
// image ID, so it is stored byte for byte as written and parsed on read.

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` object: what a container made from the image starts with. */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  /** Set by `docker commit`: the container the image was made from, and that container's Config. */
  container?: string;
  container_config?: Record<string, unknown>;
}

/** The platform this engine runs images of, in OCI terms. */
export function hostPlatform(): { architecture: string; os: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  return { architecture: arch[process.arch] ?? process.arch, os: 'linux' };
}

/** Parses and minimally validates config bytes (from a blob or a registry). */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageConfig;
  if (typeof parsed !== 'object' || parsed === null || !parsed.rootfs || !Array.isArray(parsed.rootfs.diff_ids)) {
    throw new Error('image config has no rootfs.diff_ids');
  }
  return parsed;
}
