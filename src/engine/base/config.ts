import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import { isLogLevel, type LogLevel } from './log.js';
import type { Ulimit } from '../../lib/ulimit.js';
import type { UsernsRemap } from './userns-remap.js';

/** Everything berthd is configured with: flags and daemon.json, with dockerd's names. */
export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  debug: boolean;
  logLevel: LogLevel;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  /**
   * Plain or unauthenticated TCP accepted by name (`--tls=false` / `--tlsverify=false`, or false in
   * daemon.json): without it a tcp:// host needs --tlsverify (api/tcp-policy.ts).
   */
  plainTcp: boolean;
  /** `-G/--group`: the group that owns the unix sockets (dockerd's, default "docker" when it exists). */
  group: string;
  /** daemon.json's `authorization`: roles for identities (base/access-roles.ts); undefined: everyone is admin. */
  authorization?: unknown;
  /** Keep containers running while the daemon is down (always on in Berth; kept for daemon.json compatibility). */
  liveRestore: boolean;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** Networking (dockerd's bridge options). */
  bridge?: string;
  bip?: string;
  defaultAddressPools: { base: string; size: number }[];
  iptables: boolean;
  /** Answer published TCP ports on the host's loopback with a proxy process (false: loopback DNAT). */
  userlandProxy: boolean;
  /** Write one JSON line per API request to this file ("-" for stderr). */
  auditLog?: string;
  /** `--api-cors-header`: CORS headers on API replies (one value as it is, or a comma-separated allowlist of origins). */
  corsHeaders?: string;
  /** Run docker-init (tini) as pid 1 of containers that do not say otherwise (dockerd's `init`). */
  init: boolean;
  /** `--default-ulimit` / "default-ulimits": every container's ulimits unless it sets its own of that name. */
  defaultUlimits: Record<string, Ulimit>;
  /** `--add-runtime name=path` / "runtimes": OCI runtimes besides runc (runtime/oci-runtimes.ts). */
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  /** `--default-runtime` / "default-runtime": the runtime of containers that name none. */
  defaultRuntime: string;
  /** `--userns-remap` / "userns-remap": `default`, `user[:group]` or `uid[:gid]` (base/userns-remap.ts). */
  usernsRemap?: string;
  /** What `usernsRemap` resolved to at start (then `dataRoot` is `<data-root>/<uid>.<gid>`); unset: no remap. */
  remap?: UsernsRemap;
  /** `--log-opt` / "log-opts": log options of json-file containers for the keys they do not set (dockerd's). */
  logOpts: Record<string, string>;
}

export const DEFAULT_SOCKET = 'unix:///var/run/berth.sock';

export function defaultConfig(): DaemonConfig {
  return {
    hosts: [],
    dataRoot: '/var/lib/berth',
    execRoot: '/var/run/berth',
    pidfile: '/var/run/berth.pid',
    debug: false,
    logLevel: 'info',
    tls: false,
    tlsVerify: false,
    plainTcp: false,
    group: 'docker',
    liveRestore: true,
    insecureRegistries: [],
    registryMirrors: [],
    defaultAddressPools: [],
    iptables: true,
    userlandProxy: true,
    init: false,
    defaultUlimits: {},
    runtimes: {},
    defaultRuntime: 'runc',
    logOpts: {},
  };
}

/** daemon.json keys we honour, with the config field each sets. Unknown keys are refused, as dockerd does. */
const FILE_KEYS: Record<string, keyof DaemonConfig> = {
  hosts: 'hosts', 'data-root': 'dataRoot', 'exec-root': 'execRoot', pidfile: 'pidfile', debug: 'debug',
  'log-level': 'logLevel', tls: 'tls', tlsverify: 'tlsVerify', tlscacert: 'tlsCaCert', tlscert: 'tlsCert',
  tlskey: 'tlsKey', 'live-restore': 'liveRestore', 'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors', bridge: 'bridge', bip: 'bip',
  'default-address-pools': 'defaultAddressPools', iptables: 'iptables', 'userland-proxy': 'userlandProxy', 'audit-log': 'auditLog',
  'api-cors-header': 'corsHeaders', init: 'init', 'default-ulimits': 'defaultUlimits',
  runtimes: 'runtimes', 'default-runtime': 'defaultRuntime', group: 'group', authorization: 'authorization',
  'userns-remap': 'usernsRemap', 'log-opts': 'logOpts',
};

/** Reads daemon.json. A missing default file is fine; a missing named file, bad JSON or an unknown key is not. */
export async function readConfigFile(path: string, mustExist: boolean): Promise<Partial<DaemonConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidArgumentError(`unable to configure the daemon with file ${path}: ${errorMessage(err)}`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`unable to configure the daemon with file ${path}: ${errorMessage(err)}`);
  }
  const out: Partial<DaemonConfig> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = FILE_KEYS[key];
    if (!field) throw new InvalidArgumentError(`the following directives don't match any configuration option: ${key}`);
    (out as Record<string, unknown>)[field] = value;
  }
  if (out.logLevel !== undefined && !isLogLevel(out.logLevel)) throw new InvalidArgumentError(`invalid log level: ${out.logLevel}`);
  return out;
}
