// The shapes a container is made of: Docker's Config and HostConfig as the API sends them, and the
// record the engine keeps per container (one JSON file, also the in-memory state).
import type { HealthConfig } from '../images/image-config.js';
import type { MountPoint } from './mount-point.js';

/** Docker's container Config (`docker inspect` .Config). Fields the API may omit are optional. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount: number;
}

/**
 * Docker's HostConfig. Kept as the client sent it (over Docker's defaults) so `docker inspect` shows
 * it back; the fields the engine acts on are typed.
 */
export interface HostConfig {
  Binds: string[] | null;
  NetworkMode: string;
  PortBindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  Mounts?: unknown[] | null;
  Tmpfs?: Record<string, string> | null;
  Links: string[] | null;
  Dns: string[] | null;
  DnsOptions: string[] | null;
  DnsSearch: string[] | null;
  ExtraHosts: string[] | null;
  GroupAdd: string[] | null;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  VolumeDriver: string;
  Memory: number;
  /** Memory plus swap; -1 unlimited, 0 the default (twice Memory). */
  MemorySwap: number;
  NanoCpus: number;
  PidsLimit: number | null;
  [field: string]: unknown;
}

/** Docker's container State, with times as RFC 3339 strings (zero time: 0001-01-01T00:00:00Z). */
export interface ContainerState {
  running: boolean;
  paused: boolean;
  restarting: boolean;
  oomKilled: boolean;
  dead: boolean;
  /** `docker rm` is under way (not persisted as true: a crash mid-removal finishes the removal). */
  removing: boolean;
  pid: number;
  exitCode: number;
  error: string;
  startedAt: string;
  finishedAt: string;
  /** Docker's State.Health: set at the first start of a container with a health check (health-rules.ts). */
  health?: HealthState;
}

/** One probe's result in State.Health.Log. */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** Docker's State.Health, as `docker inspect` shows it and the record keeps it. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  /** The last five results, oldest first. */
  Log: HealthLogEntry[];
}

/** Where the engine's networking put a started container's /etc files (for inspect). */
export interface EtcPaths {
  resolvConf: string;
  hostname: string;
  hosts: string;
}

/**
 * Everything the engine keeps about one container: `<data-root>/containers/<id>/container.json`, a
 * record of ContainerStore (schema version 1; networking's view of a container is another type,
 * ContainerNetworkRecord).
 */
export interface ContainerRecord {
  /** 64 hex digits. */
  id: string;
  /** With Docker's leading slash: `/web`. */
  name: string;
  created: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig?: { EndpointsConfig?: Record<string, unknown> | null } | null;
  /** The image's ID (`sha256:<hex>`). */
  image: string;
  /** The image's layers (overlay lower dirs, topmost first), fixed at create. */
  lowerDirs: string[];
  state: ContainerState;
  restartCount: number;
  hasBeenStartedBefore: boolean;
  /** Set by stop/kill: `unless-stopped` stays stopped across daemon restarts. Cleared by start. */
  hasBeenManuallyStopped: boolean;
  mounts: MountPoint[];
  etcPaths?: EtcPaths;
  logPath: string;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';
