import type { ContainerServices } from './container-services.js';
import type { Container } from './container.js';
import { stateName, statusText } from './container-state.js';
import { rootfsDirs } from './rootfs.js';
import { inspectMounts } from './mounts.js';
import { dirSize } from '../volumes/dir-size.js';
import { shownLogConfig, type LogConfig } from './log-drivers.js';
import { parseLink } from '../network/links.js';

/** GET /containers/{id}/json: Docker's ContainerInspectResponse. */
export function inspectJson(engine: ContainerServices, c: Container, withSize = false, sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  const r = c.record;
  const s = r.state;
  const dirs = rootfsDirs(engine.containers.store.dir(r.id));
  return {
    Id: r.id,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    State: {
      Status: stateName(s), Running: s.running, Paused: s.paused, Restarting: s.restarting, OOMKilled: s.oomKilled,
      Dead: s.dead, Pid: s.pid, ExitCode: s.exitCode, Error: s.error, StartedAt: s.startedAt, FinishedAt: s.finishedAt,
      ...(s.health ? { Health: s.health } : {}),
    },
    Image: r.image,
    ResolvConfPath: r.etcPaths?.resolvConf ?? '',
    HostnamePath: r.etcPaths?.hostname ?? '',
    HostsPath: r.etcPaths?.hosts ?? '',
    LogPath: r.logPath,
    Name: r.name,
    RestartCount: r.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: engine.execs.runningIds(r.id),
    HostConfig: { ...r.hostConfig, LogConfig: shownLogConfig(r.hostConfig.LogConfig as LogConfig), Links: shownLinks(r.name, r.hostConfig.Links) },
    GraphDriver: {
      Data: { LowerDir: r.lowerDirs.join(':'), MergedDir: dirs.merged, UpperDir: dirs.upper, WorkDir: dirs.work },
      Name: 'overlay2',
    },
    ...(withSize && sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Mounts: inspectMounts(r.mounts),
    Config: r.config,
    // NetworkDisabled runs like --network none, but dockerd shows no network at all.
    NetworkSettings: r.config.NetworkDisabled ? { ...engine.network.networkSettings(r.id), Networks: {} } : engine.network.networkSettings(r.id),
  };
}

/** HostConfig.Links as dockerd shows them: `/target:/container/alias`. */
function shownLinks(name: string, links: string[] | null): string[] | null {
  if (!links) return null;
  return links.map((l) => {
    const { target, alias } = parseLink(l);
    return `/${target}:${name}/${alias}`;
  });
}

/** One entry of GET /containers/json. */
export function summaryJson(engine: ContainerServices, c: Container, now: number, sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  const r = c.record;
  return {
    Id: r.id,
    Names: [r.name],
    Image: imageShownFor(engine, c),
    ImageID: r.image,
    Command: commandString(r.path, r.args),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: engine.network.portSummary(r.id),
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: r.config.Labels ?? {},
    State: stateName(r.state),
    Status: statusText(r.state, now),
    HostConfig: { NetworkMode: r.hostConfig.NetworkMode },
    NetworkSettings: r.config.NetworkDisabled ? { Networks: {} } : engine.network.summaryNetworkSettings(r.id),
    Mounts: inspectMounts(r.mounts),
  };
}

/** The name the container was created with, or the image ID once that name points elsewhere (Docker's rule). */
function imageShownFor(engine: ContainerServices, c: Container): string {
  const ref = c.record.config.Image;
  if (ref === c.record.image) return ref;
  try {
    if (engine.images.resolveId(ref) === c.record.image) return ref;
  } catch {
    // The name is gone: show the ID.
  }
  return c.record.image;
}

/** `docker ps`'s COMMAND: the path, then arguments, those with spaces in single quotes. */
export function commandString(path: string, args: string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

/** The writable layer's size and that plus the image's (for `size=1`). */
export async function containerSizes(engine: ContainerServices, c: Container): Promise<{ rw: number; rootFs: number }> {
  const rw = await dirSize(rootfsDirs(engine.containers.store.dir(c.id)).upper);
  let imageSize = 0;
  try {
    imageSize = engine.images.get(c.record.image).size;
  } catch {
    // Image deleted by force: only the container's own layer counts.
  }
  return { rw, rootFs: rw + imageSize };
}
