// Which fields of POST /containers/create berthd honours. Every field the API version defines is in
// one of these tables: null means honoured (a test sees its effect), a string is why it is refused.
// A refused field is accepted only while it holds its "not set" value (what the docker CLI and other
// clients send when the user gave no such option); set, it is refused with a 400 that names it.
// Nothing is accepted and dropped.
import { InvalidArgumentError } from '../../lib/errors.js';

type Support = Record<string, string | null>;

export const CONFIG_SUPPORT: Support = {
  Hostname: null, Domainname: null, User: null, AttachStdin: null, AttachStdout: null, AttachStderr: null,
  ExposedPorts: null, Tty: null, OpenStdin: null, StdinOnce: null, Env: null, Cmd: null,
  Healthcheck: null,
  // Windows only: dockerd on Linux ignores it too.
  ArgsEscaped: null,
  Image: null, Volumes: null, WorkingDir: null, Entrypoint: null,
  NetworkDisabled: null,
  // Moved to the endpoint of the network mode (network-request.ts), as dockerd moves it.
  MacAddress: null,
  // Kept for commit and inspect, as dockerd keeps them; they act only in a build.
  OnBuild: null, Shell: null,
  Labels: null, StopSignal: null, StopTimeout: null,
};

export const HOST_CONFIG_SUPPORT: Support = {
  // Resources: checked against this host by resource-options.ts (a limit the kernel cannot apply here,
  // such as BlkioWeight without a CFQ/BFQ scheduler, is refused there, naming the field).
  CpuShares: null, Memory: null, CgroupParent: null, BlkioWeight: null, BlkioWeightDevice: null,
  BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null,
  CpuPeriod: null, CpuQuota: null, CpuRealtimePeriod: null, CpuRealtimeRuntime: null,
  CpusetCpus: null, CpusetMems: null, Devices: null, DeviceCgroupRules: null,
  DeviceRequests: 'device requests (--gpus) need a GPU runtime hook, which berthd does not have',
  KernelMemoryTCP: 'kernel TCP memory accounting is deprecated by the kernel and not supported',
  MemoryReservation: null, MemorySwap: null, MemorySwappiness: null, NanoCpus: null,
  OomKillDisable: null, Init: null, PidsLimit: null, Ulimits: null,
  CpuCount: 'Windows only', CpuPercent: 'Windows only', IOMaximumIOps: 'Windows only', IOMaximumBandwidth: 'Windows only',
  // The rest of HostConfig
  Binds: null,
  // Read by the client (docker run --cidfile writes the file itself).
  ContainerIDFile: null,
  LogConfig: null, NetworkMode: null, PortBindings: null, RestartPolicy: null, AutoRemove: null, VolumeDriver: null,
  VolumesFrom: null, Mounts: null, ConsoleSize: null,
  Annotations: null,
  CapAdd: null, CapDrop: null, CgroupnsMode: null, Dns: null, DnsOptions: null, DnsSearch: null,
  ExtraHosts: null, GroupAdd: null, IpcMode: null,
  // CgroupSpec `container:<id>`: no docker option sets it and dockerd accepts it and does nothing.
  Cgroup: 'joining the cgroup of another container (container:<id>) is not supported; use --cgroup-parent',
  Links: null, OomScoreAdj: null,
  PidMode: null, Privileged: null, PublishAllPorts: null, ReadonlyRootfs: null, SecurityOpt: null,
  StorageOpt: 'storage options need a storage driver with quotas; overlay here has none',
  Tmpfs: null, UTSMode: null, UsernsMode: null, ShmSize: null, Sysctls: null,
  // One of the daemon's OCI runtimes (--add-runtime, runtime/oci-runtimes.ts); an unknown name is refused at create.
  Runtime: null, Isolation: 'Windows only',
  MaskedPaths: null, ReadonlyPaths: null,
};

export const ENDPOINT_SUPPORT: Support = {
  IPAMConfig: null, Links: null, Aliases: null, NetworkID: null,
  MacAddress: null,
  // Kept and shown in inspect; an option dockerd acts on is refused where it is parsed (container-registration.ts).
  DriverOpts: null,
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

export function isSet(field: string, value: unknown): boolean {
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
