import { InvalidArgumentError } from '../../lib/errors.js';
import type { ContainerConfig, HostConfig } from './container-types.js';
import { validateRestartPolicy } from './restart-policy.js';
import { refuseUnsupportedFields } from './create-support.js';
import { applySecurityDefaults } from './security-options.js';
import { defaultCgroupnsMode } from './namespace-options.js';
import { hostResourceFacts } from './host-resources.js';
import { applyResourceDefaults, checkResources, checkUlimits } from './resource-options.js';
import { validateLogConfig, DEFAULT_LOG_DRIVER } from './log-drivers.js';

/** The JSON types a field may hold; `null` is always accepted and means "not set", as in Go. */
type Kind = 'string' | 'bool' | 'int' | 'strslice' | 'strings' | 'object' | 'stringMap' | 'array';

const CONFIG_FIELDS: Record<string, Kind> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool',
  AttachStderr: 'bool', ExposedPorts: 'object', Tty: 'bool', OpenStdin: 'bool', StdinOnce: 'bool',
  Env: 'strings', Cmd: 'strslice', Healthcheck: 'object', ArgsEscaped: 'bool', Image: 'string',
  Volumes: 'object', WorkingDir: 'string', Entrypoint: 'strslice', NetworkDisabled: 'bool', MacAddress: 'string',
  OnBuild: 'strings', Labels: 'stringMap', StopSignal: 'string', StopTimeout: 'int', Shell: 'strings',
  HostConfig: 'object', NetworkingConfig: 'object',
};

export const HOST_CONFIG_FIELDS: Record<string, Kind> = {
  Binds: 'strings', ContainerIDFile: 'string', LogConfig: 'object', NetworkMode: 'string', PortBindings: 'object',
  RestartPolicy: 'object', AutoRemove: 'bool', VolumeDriver: 'string', VolumesFrom: 'strings', ConsoleSize: 'array',
  CapAdd: 'strslice', CapDrop: 'strslice', CgroupnsMode: 'string', Dns: 'strings', DnsOptions: 'strings',
  DnsSearch: 'strings', ExtraHosts: 'strings', GroupAdd: 'strings', IpcMode: 'string', Cgroup: 'string',
  Links: 'strings', OomScoreAdj: 'int', PidMode: 'string', Privileged: 'bool', PublishAllPorts: 'bool',
  ReadonlyRootfs: 'bool', SecurityOpt: 'strings', StorageOpt: 'stringMap', Tmpfs: 'stringMap', UTSMode: 'string',
  UsernsMode: 'string', ShmSize: 'int', Sysctls: 'stringMap', Runtime: 'string', Isolation: 'string',
  CpuShares: 'int', Memory: 'int', NanoCpus: 'int', CgroupParent: 'string', BlkioWeight: 'int',
  CpuPeriod: 'int', CpuQuota: 'int', CpuRealtimePeriod: 'int', CpuRealtimeRuntime: 'int', CpusetCpus: 'string',
  CpusetMems: 'string', Devices: 'array', DeviceCgroupRules: 'strings', DeviceRequests: 'array',
  MemoryReservation: 'int', MemorySwap: 'int', MemorySwappiness: 'int', OomKillDisable: 'bool', PidsLimit: 'int',
  Ulimits: 'array', CpuCount: 'int', CpuPercent: 'int', IOMaximumIOps: 'int', IOMaximumBandwidth: 'int',
  Mounts: 'array', MaskedPaths: 'strings', ReadonlyPaths: 'strings', Init: 'bool',
};

const GO_TYPE: Record<Kind, string> = {
  string: 'string', bool: 'bool', int: 'int64', strslice: 'string', strings: '[]string', object: 'struct',
  stringMap: 'map[string]string', array: 'array',
};

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Refuses a field of the wrong JSON type with Go's encoding/json wording, as dockerd answers. */
export function checkFields(obj: Record<string, unknown>, fields: Record<string, Kind>, where: string): void {
  for (const [key, kind] of Object.entries(fields)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const fail = (got: unknown, goType = GO_TYPE[kind]) => {
      throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(got)} into Go struct field ${where}.${key} of type ${goType}`);
    };
    switch (kind) {
      case 'string': if (typeof v !== 'string') fail(v); break;
      case 'bool': if (typeof v !== 'boolean') fail(v); break;
      case 'int': if (typeof v !== 'number' || !Number.isInteger(v)) fail(v); break;
      case 'strslice':
        if (typeof v === 'string') break;
        if (!Array.isArray(v)) fail(v);
        for (const x of v as unknown[]) if (typeof x !== 'string') fail(x);
        break;
      case 'strings':
        if (!Array.isArray(v)) fail(v);
        for (const x of v as unknown[]) if (typeof x !== 'string') fail(x, 'string');
        break;
      case 'object': if (typeof v !== 'object' || Array.isArray(v)) fail(v); break;
      case 'stringMap':
        if (typeof v !== 'object' || Array.isArray(v)) fail(v);
        for (const x of Object.values(v as object)) if (typeof x !== 'string') fail(x, 'string');
        break;
      case 'array': if (!Array.isArray(v)) fail(v); break;
    }
  }
}

/** Docker's StrSlice: a JSON string means a one-element list. */
function strSlice(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? [v] : [...(v as string[])];
}

export interface CreateRequest {
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig: { EndpointsConfig?: Record<string, unknown> | null } | null;
  /** dockerd's warnings about the request (e.g. OOM killer disabled without a memory limit). */
  warnings: string[];
}

/**
 * Parses and checks the body of POST /containers/create (Config + HostConfig + NetworkingConfig): every
 * known field's type, the restart policy, the working directory. Nothing is created here.
 */
export function parseCreateBody(body: unknown): CreateRequest {
  if (body === undefined || body === null) throw new InvalidArgumentError('Config cannot be empty in order to create a container');
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(body)} into Go value of type container.CreateRequest`);
  }
  const raw = body as Record<string, unknown>;
  checkFields(raw, CONFIG_FIELDS, 'ContainerConfigWrapper');
  const rawHost = (raw.HostConfig ?? {}) as Record<string, unknown>;
  checkFields(rawHost, HOST_CONFIG_FIELDS, 'ContainerConfigWrapper.HostConfig');
  if (rawHost.RestartPolicy) {
    checkFields(rawHost.RestartPolicy as Record<string, unknown>, { Name: 'string', MaximumRetryCount: 'int' }, 'ContainerConfigWrapper.HostConfig.RestartPolicy');
  }
  const endpoints = (raw.NetworkingConfig as { EndpointsConfig?: Record<string, unknown> } | null | undefined)?.EndpointsConfig;
  refuseUnsupportedFields(raw, rawHost, endpoints);
  const image = (raw.Image as string | undefined) ?? '';
  if (!image) throw new InvalidArgumentError('Config.Image is required to create a container');
  const config: ContainerConfig = {
    Hostname: (raw.Hostname as string) ?? '',
    Domainname: (raw.Domainname as string) ?? '',
    User: (raw.User as string) ?? '',
    AttachStdin: Boolean(raw.AttachStdin),
    AttachStdout: Boolean(raw.AttachStdout),
    AttachStderr: Boolean(raw.AttachStderr),
    ...(raw.ExposedPorts ? { ExposedPorts: raw.ExposedPorts as ContainerConfig['ExposedPorts'] } : {}),
    Tty: Boolean(raw.Tty),
    OpenStdin: Boolean(raw.OpenStdin),
    StdinOnce: Boolean(raw.StdinOnce),
    Env: (raw.Env as string[] | null) ?? null,
    Cmd: strSlice(raw.Cmd),
    ...(raw.Healthcheck ? { Healthcheck: raw.Healthcheck } : {}),
    ...(raw.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: image,
    Volumes: (raw.Volumes as ContainerConfig['Volumes']) ?? null,
    WorkingDir: (raw.WorkingDir as string) ?? '',
    Entrypoint: strSlice(raw.Entrypoint),
    ...(raw.NetworkDisabled ? { NetworkDisabled: true } : {}),
    ...(raw.MacAddress ? { MacAddress: raw.MacAddress as string } : {}),
    OnBuild: (raw.OnBuild as string[] | null) ?? null,
    Labels: { ...((raw.Labels as Record<string, string>) ?? {}) },
    ...(raw.StopSignal ? { StopSignal: raw.StopSignal as string } : {}),
    ...(typeof raw.StopTimeout === 'number' ? { StopTimeout: raw.StopTimeout } : {}),
    ...(raw.Shell ? { Shell: raw.Shell as string[] } : {}),
  };
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  const hostConfig = withHostDefaults(rawHost);
  hostConfig.RestartPolicy = validateRestartPolicy(rawHost.RestartPolicy as HostConfig['RestartPolicy'] | undefined);
  // An empty policy is "no", which is what `docker inspect` shows.
  if (hostConfig.RestartPolicy.Name === '') hostConfig.RestartPolicy.Name = 'no';
  if (hostConfig.AutoRemove && hostConfig.RestartPolicy.Name !== 'no') {
    throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  }
  const host = hostResourceFacts();
  const warnings = checkResources(hostConfig, host);
  if (Array.isArray(hostConfig.Ulimits)) hostConfig.Ulimits = checkUlimits(hostConfig.Ulimits, host);
  applyResourceDefaults(hostConfig, host);
  applySecurityDefaults(hostConfig, rawHost);
  const networkingConfig = (raw.NetworkingConfig as CreateRequest['networkingConfig']) ?? null;
  return { config, hostConfig, networkingConfig, warnings };
}

/** HostConfig as `docker inspect` shows it: the client's fields over Docker's defaults. */
function withHostDefaults(raw: Record<string, unknown>): HostConfig {
  const defaults: HostConfig = {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: DEFAULT_LOG_DRIVER, Config: {} }, NetworkMode: 'default',
    PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '',
    VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: defaultCgroupnsMode(), Dns: [], DnsOptions: [],
    DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0,
    PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '',
    UsernsMode: '', ShmSize: 67108864, Runtime: '', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0,
    CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
    MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: [],
    CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
    // MaskedPaths and ReadonlyPaths: applySecurityDefaults (security-options.ts).
  };
  const out: HostConfig = { ...defaults };
  for (const [k, v] of Object.entries(raw)) {
    // Empty values from the CLI mean "Docker's default" (it sends "" for IpcMode, 0 for ShmSize...).
    if (v === null || v === '' || (k === 'ShmSize' && v === 0)) continue;
    out[k] = v;
  }
  out.LogConfig = validateLogConfig(out.LogConfig as Parameters<typeof validateLogConfig>[0]);
  if (out.NetworkMode === '') out.NetworkMode = 'default';
  if (out.PidsLimit === 0) out.PidsLimit = null;
  return out;
}
