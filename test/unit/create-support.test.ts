import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from '../../src/engine/containers/create-body.js';
import { CONFIG_SUPPORT, ENDPOINT_SUPPORT, HOST_CONFIG_SUPPORT } from '../../src/engine/containers/create-support.js';

// The fields of ContainerConfig, HostConfig (with Resources) and EndpointSettings in the Engine API
// v1.47 (docker-engine-api-v1.47.yaml).
const API_FIELDS = {
  config: ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty',
    'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir',
    'Entrypoint', 'NetworkDisabled', 'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell'],
  hostConfig: ['CpuShares', 'Memory', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps',
    'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota',
    'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules',
    'DeviceRequests', 'KernelMemoryTCP', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'NanoCpus',
    'OomKillDisable', 'Init', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps',
    'IOMaximumBandwidth', 'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy',
    'AutoRemove', 'VolumeDriver', 'VolumesFrom', 'Mounts', 'ConsoleSize', 'Annotations', 'CapAdd', 'CapDrop',
    'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Links',
    'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'StorageOpt',
    'Tmpfs', 'UTSMode', 'UsernsMode', 'ShmSize', 'Sysctls', 'Runtime', 'Isolation', 'MaskedPaths', 'ReadonlyPaths'],
  endpoint: ['IPAMConfig', 'Links', 'MacAddress', 'Aliases', 'DriverOpts', 'NetworkID', 'EndpointID', 'Gateway',
    'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'DNSNames'],
};

test('every create field of the API is either honoured or refused for a stated reason', () => {
  assert.deepEqual(Object.keys(CONFIG_SUPPORT).sort(), [...API_FIELDS.config].sort());
  assert.deepEqual(Object.keys(HOST_CONFIG_SUPPORT).sort(), [...API_FIELDS.hostConfig].sort());
  assert.deepEqual(Object.keys(ENDPOINT_SUPPORT).sort(), [...API_FIELDS.endpoint].sort());
});

// What docker 28.2.2 sends for `docker create busybox true` (seen with trace-api): nothing in it asks
// for anything, so nothing may be refused.
const CLI_DEFAULT_BODY = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
  OpenStdin: false, StdinOnce: false, Env: null, Cmd: ['true'], Image: 'busybox', Volumes: {}, WorkingDir: '',
  Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
    ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '',
    ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0,
    BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '',
    CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0,
    MemorySwappiness: -1, OomKillDisable: false, PidsLimit: 0, Ulimits: [], CpuCount: 0, CpuPercent: 0,
    IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: {
    EndpointsConfig: {
      default: {
        IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '',
        EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0, DNSNames: null,
      },
    },
  },
};

test("the docker CLI's create body for a plain docker create is accepted whole", () => {
  assert.equal(parseCreateBody(CLI_DEFAULT_BODY).config.Image, 'busybox');
});

test('a refused field that is set gets a 400 naming it; honoured fields pass', () => {
  const refused = [
    ...Object.entries(CONFIG_SUPPORT).filter(([, why]) => why).map(([f]) => ({ where: 'Config', field: f, body: { [f]: probe(f) } })),
    ...Object.entries(HOST_CONFIG_SUPPORT).filter(([, why]) => why).map(([f]) => ({ where: 'HostConfig', field: f, body: { HostConfig: { [f]: probe(f) } } })),
  ];
  assert.ok(refused.length > 0);
  for (const { where, field, body } of refused) {
    assert.throws(() => parseCreateBody({ Image: 'busybox', ...body }), (err: Error) => err.message.startsWith(`${where}.${field} is refused: `), field);
  }
  // systempaths=unconfined arrives as an empty list: that asks for something too.
  if (HOST_CONFIG_SUPPORT.MaskedPaths) {
    assert.throws(() => parseCreateBody({ Image: 'busybox', HostConfig: { MaskedPaths: [] } }), /HostConfig\.MaskedPaths is refused/);
  }
});

/** A value of the field's JSON type that asks for something. */
function probe(field: string): unknown {
  const objects = ['Healthcheck', 'ExposedPorts', 'Volumes', 'LogConfig', 'RestartPolicy', 'PortBindings', 'StorageOpt', 'Tmpfs', 'Sysctls', 'Annotations'];
  const strings = ['MacAddress', 'CgroupParent', 'CpusetCpus', 'CpusetMems', 'CgroupnsMode', 'IpcMode', 'Cgroup', 'PidMode', 'UTSMode', 'UsernsMode', 'Runtime', 'Isolation'];
  const bools = ['NetworkDisabled', 'OomKillDisable', 'Init', 'Privileged'];
  const lists = ['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'Ulimits', 'VolumesFrom', 'CapAdd', 'CapDrop', 'SecurityOpt', 'MaskedPaths', 'ReadonlyPaths'];
  if (objects.includes(field)) return field === 'Healthcheck' ? { Test: ['CMD', 'true'] } : { k: 'v' };
  if (strings.includes(field)) return field === 'CpusetCpus' || field === 'CpusetMems' ? '0' : 'host';
  if (bools.includes(field)) return true;
  if (lists.includes(field)) return field === 'VolumesFrom' || field === 'CapAdd' || field === 'CapDrop' || field === 'SecurityOpt' || field === 'DeviceCgroupRules' || field === 'MaskedPaths' || field === 'ReadonlyPaths' ? ['x'] : [{}];
  return 7;
}
