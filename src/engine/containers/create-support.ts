// Which fields of POST /containers/create berthd honours. Every field the API version defines is in
// one of these tables: null means honoured (a test sees its effect), a string is why it is refused.
// A refused field is accepted only while it holds its "not set" value (what the docker CLI and other
// clients send when the user gave no such option); set, it is refused with a 400 that names it.
// Nothing is accepted and dropped.
import { InvalidArgumentError } from '../../lib/errors.js';

type Support = Record<string, string | null>;

const NOT_YET = 'not supported by berthd yet';

export const CONFIG_SUPPORT: Support = {
  Hostname: null, Domainname: null, User: null, AttachStdin: null, AttachStdout: null, AttachStderr: null,
  ExposedPorts: null, Tty: null, OpenStdin: null, StdinOnce: null, Env: null, Cmd: null,
  Healthcheck: 'health checks are not supported by berthd yet',
  // Windows only: dockerd on Linux ignores it too.
  ArgsEscaped: null,
  Image: null, Volumes: null, WorkingDir: null, Entrypoint: null,
  NetworkDisabled: NOT_YET,
  MacAddress: NOT_YET,
  // Kept for commit and inspect, as dockerd keeps them; they act only in a build.
  OnBuild: null, Shell: null,
  Labels: null, StopSignal: null, StopTimeout: null,
};

export const HOST_CONFIG_SUPPORT: Support = {
  // Resources
  CpuShares: NOT_YET, Memory: null, CgroupParent: NOT_YET, BlkioWeight: NOT_YET, BlkioWeightDevice: NOT_YET,
  BlkioDeviceReadBps: NOT_YET, BlkioDeviceWriteBps: NOT_YET, BlkioDeviceReadIOps: NOT_YET, BlkioDeviceWriteIOps: NOT_YET,
  CpuPeriod: NOT_YET, CpuQuota: NOT_YET, CpuRealtimePeriod: NOT_YET, CpuRealtimeRuntime: NOT_YET,
  CpusetCpus: NOT_YET, CpusetMems: NOT_YET, Devices: NOT_YET, DeviceCgroupRules: NOT_YET,
  DeviceRequests: 'device requests (--gpus) need a GPU runtime hook, which berthd does not have',
  KernelMemoryTCP: 'kernel TCP memory accounting is deprecated by the kernel and not supported',
  MemoryReservation: NOT_YET, MemorySwap: null, MemorySwappiness: NOT_YET, NanoCpus: null,
  OomKillDisable: NOT_YET, Init: NOT_YET, PidsLimit: null, Ulimits: NOT_YET,
  CpuCount: 'Windows only', CpuPercent: 'Windows only', IOMaximumIOps: 'Windows only', IOMaximumBandwidth: 'Windows only',
  // The rest of HostConfig
  Binds: null,
  // Read by the client (docker run --cidfile writes the file itself).
  ContainerIDFile: null,
  LogConfig: null, NetworkMode: null, PortBindings: null, RestartPolicy: null, AutoRemove: null, VolumeDriver: null,
  VolumesFrom: NOT_YET, Mounts: null, ConsoleSize: null,
  Annotations: NOT_YET,
  CapAdd: NOT_YET, CapDrop: NOT_YET, CgroupnsMode: NOT_YET, Dns: null, DnsOptions: null, DnsSearch: null,
  ExtraHosts: null, GroupAdd: null, IpcMode: NOT_YET, Cgroup: NOT_YET, Links: null, OomScoreAdj: NOT_YET,
  PidMode: NOT_YET, Privileged: NOT_YET, PublishAllPorts: null, ReadonlyRootfs: null, SecurityOpt: NOT_YET,
  StorageOpt: 'storage options need a storage driver with quotas; overlay here has none',
  Tmpfs: null, UTSMode: NOT_YET, UsernsMode: NOT_YET, ShmSize: NOT_YET, Sysctls: NOT_YET,
  Runtime: NOT_YET, Isolation: 'Windows only',
  MaskedPaths: NOT_YET, ReadonlyPaths: NOT_YET,
};

export const ENDPOINT_SUPPORT: Support = {
  IPAMConfig: null, Links: null, Aliases: null, NetworkID: null,
  MacAddress: NOT_YET, DriverOpts: null,
  // Set by the daemon; a client that echoes an inspect back sends them, and dockerd ignores them too.
  EndpointID: null, Gateway: null, IPAddress: null, IPPrefixLen: null, IPv6Gateway: null,
  GlobalIPv6Address: null, GlobalIPv6PrefixLen: null, DNSNames: null,
};

/**
 * What a client sends for an option the user did not give. Zero values count as not set (Go's
 * omitempty and the docker CLI's defaults); so do the values dockerd itself fills in.
 */
const UNSET_VALUES: Record<string, unknown[]> = {
  Runtime: ['runc'], Isolation: ['default'], IpcMode: ['private'],
  ShmSize: [67108864], MemorySwappiness: [-1],
};

/** Fields whose empty list is a request of its own: `--security-opt systempaths=unconfined` sends []. */
const EMPTY_IS_SET = new Set(['MaskedPaths', 'ReadonlyPaths']);

function isSet(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (EMPTY_IS_SET.has(field)) return true;
  if (value === '' || value === 0 || value === false) return false;
  if (Array.isArray(value) && value.length === 0) return false;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0) return false;
  return !(UNSET_VALUES[field] ?? []).includes(value);
}

function refuse(fields: Record<string, unknown>, support: Support, where: string): void {
  for (const [field, value] of Object.entries(fields)) {
    const reason = support[field];
    if (reason && isSet(field, value)) throw new InvalidArgumentError(`${where}.${field} is refused: ${reason}`);
  }
}

/**
 * Refuses a create body that asks for something berthd does not do, naming the field. Fields that no
 * API version defines are left to JSON decoding (dockerd ignores unknown fields too).
 */
export function refuseUnsupportedFields(
  config: Record<string, unknown>, hostConfig: Record<string, unknown>,
  endpoints: Record<string, unknown> | null | undefined,
): void {
  refuse(config, CONFIG_SUPPORT, 'Config');
  refuse(hostConfig, HOST_CONFIG_SUPPORT, 'HostConfig');
  for (const [network, endpoint] of Object.entries(endpoints ?? {})) {
    if (endpoint && typeof endpoint === 'object') refuse(endpoint as Record<string, unknown>, ENDPOINT_SUPPORT, `NetworkingConfig.EndpointsConfig.${network}`);
  }
}
