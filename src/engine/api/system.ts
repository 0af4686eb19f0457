import { hostname, cpus, totalmem, release, type as osType } from 'node:os';
import { corsWarning } from './cors.js';
import { hostResourceFacts } from '../containers/host-resources.js';
import { readFileSync } from 'node:fs';
import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { sendJson, sendText } from './http.js';
import { DEFAULT_LOG_DRIVER, LOG_DRIVER_NAMES } from '../containers/log-drivers.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/_ping', handler: getPing },
    { method: 'HEAD', path: '/_ping', handler: getPing },
    { method: 'GET', path: '/version', handler: getVersion },
    { method: 'GET', path: '/info', handler: getInfo },
  ];
}

function getPing(ctx: RequestContext): void {
  ctx.res?.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  ctx.res?.setHeader('Pragma', 'no-cache');
  // The legacy builder: the docker CLI then sends plain POST /build requests.
  ctx.res?.setHeader('Builder-Version', '1');
  ctx.res?.setHeader('Swarm', 'inactive');
  sendText(ctx, 200, 'OK');
}

function getVersion(ctx: RequestContext): void {
  const e = ctx.engine;
  const details = {
    ApiVersion: e.apiVersion, Arch: goArch(), BuildTime: '', Experimental: 'false', GitCommit: '',
    GoVersion: `node${process.versions.node}`, KernelVersion: release(), MinAPIVersion: e.minApiVersion, Os: 'linux',
  };
  sendJson(ctx, 200, {
    Platform: { Name: 'Berth Engine' },
    Components: [{ Name: 'Engine', Version: e.version, Details: details }],
    Version: e.version,
    ...details,
    Experimental: false,
  });
}

function getInfo(ctx: RequestContext): void {
  const e = ctx.engine;
  const counts = e.containers.counts();
  sendJson(ctx, 200, {
    ID: machineId(),
    Containers: counts.total,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: e.images.count(),
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: LOG_DRIVER_NAMES },
    ...resourceInfo(),
    IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false,
    Debug: e.config.debug, NFd: 0, NGoroutines: 0,
    SystemTime: new Date().toISOString(), LoggingDriver: DEFAULT_LOG_DRIVER, CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(), NEventsListener: 0, KernelVersion: release(), OperatingSystem: operatingSystem(),
    OSVersion: '', OSType: osType().toLowerCase(), Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: e.config.registryMirrors,
    },
    NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null,
    DockerRootDir: e.config.dataRoot, HttpProxy: '', HttpsProxy: '', NoProxy: '', Name: hostname(), Labels: [],
    ExperimentalBuild: false, ServerVersion: e.version,
    Runtimes: e.ociRuntimes.info(), DefaultRuntime: e.ociRuntimes.defaultName,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true, Isolation: '', InitBinary: '', ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' },
    InitCommit: { ID: '' }, SecurityOptions: securityOptions(e.config.remap !== undefined), Warnings: e.config.corsHeaders ? [corsWarning(e.config.corsHeaders)] : [],
  });
}

/** What /info says of the cgroup controls: what this host's cgroups offer containers. */
function resourceInfo(): Record<string, boolean> {
  const h = hostResourceFacts();
  return {
    MemoryLimit: h.memoryLimit, SwapLimit: h.swapLimit, CpuCfsPeriod: h.cpuCfs, CpuCfsQuota: h.cpuCfs, CPUShares: h.cpuShares,
    CPUSet: h.cpuset, PidsLimit: h.pids, OomKillDisable: h.oomKillDisable,
  };
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

function cgroupVersion(): string {
  try {
    readFileSync('/sys/fs/cgroup/cgroup.controllers');
    return '2';
  } catch {
    return '1';
  }
}

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return hostname();
  }
}

function operatingSystem(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1];
  } catch {
    // fall through
  }
  return 'Linux';
}

/**
 * As dockerd lists them: every container runs under the built-in seccomp profile unless it asks
 * otherwise. (No AppArmor entry: berthd applies no default AppArmor profile.)
 */
/** dockerd lists `name=userns` when it remaps users (`--userns-remap`). */
function securityOptions(remapped: boolean): string[] {
  return ['name=seccomp,profile=builtin', ...(remapped ? ['name=userns'] : [])];
}
