import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { bestEffort } from '../../lib/best-effort.js';
import { API_VERSION } from '../base/version.js';
import { checkImagePlatform, parsePlatformSpec } from '../images/platform-match.js';
import { normalize } from '../volumes/mount-errors.js';
import { Container } from './container.js';
import type { ContainerIndex } from './container-index.js';
import type { ContainerContext } from './container-roles.js';
import type { ContainerTransitions } from './container-transitions.js';
import type { ContainerRecord } from './container-types.js';
import { initialState } from './container-state.js';
import { withDaemonLogOpts, type LogConfig } from './log-drivers.js';
import { parseCreateBody } from './create-body.js';
import { checkHealthcheck } from './health-config.js';
import { entrypointAndArgs, mergeImageConfig } from './image-merge.js';
import { claimMounts, planMounts, releaseMounts, type ApiMount } from './mounts.js';
import { validateName } from './names.js';
import { networkRequest } from './network-request.js';
import { parseSignal } from './signals.js';
import { mountsFromContainers } from './volumes-from.js';

/** What the request adds to the body: its API version, and `?platform=` (API 1.41 and later). */
export interface CreateOptions {
  apiVersion?: string;
  platform?: string;
}
import { checkIsolationOptions } from './namespace-options.js';
import { prepareContainerDir } from './userns-options.js';
import { rootfsDirs } from './rootfs.js';
import { OciRuntimes } from '../runtime/oci-runtimes.js';

const STOCK_RUNTIMES = new OciRuntimes();

/**
 * POST /containers/create: validates everything, takes the name, registers the network settings and
 * the volumes, then writes the container's record last. A refused create gives back all it took.
 */
export async function createContainer(
  ctx: ContainerContext, index: ContainerIndex, transitions: ContainerTransitions, name: string | undefined, body: unknown,
  opts: CreateOptions = {},
): Promise<{ Id: string; Warnings: string[] }> {
  const req = parseCreateBody(body);
  req.hostConfig.LogConfig = withDaemonLogOpts(req.hostConfig.LogConfig as LogConfig, ctx.defaultLogOpts);
  const healthcheck = checkHealthcheck(req.config.Healthcheck);
  if (healthcheck) req.config.Healthcheck = healthcheck;
  else delete req.config.Healthcheck;
  const wanted = name ? validateName(name) : undefined;
  checkIsolationOptions(req.hostConfig, req.config, (ref) => index.get(ref), ctx.idMapping);
  // dockerd records the runtime at create: the default runtime when none is named.
  req.hostConfig.Runtime = (ctx.runtimes ?? STOCK_RUNTIMES).checkName(req.hostConfig.Runtime as string | undefined);
  const config = req.config;
  const hostConfig = req.hostConfig;
  if (config.StopSignal) parseSignal(config.StopSignal);
  const platform = opts.platform ? parsePlatformSpec(opts.platform) : undefined;
  const image = await ctx.images.resolve(req.config.Image);
  if (platform) checkImagePlatform(req.config.Image, image.config, platform);
  const net = networkRequest(config, hostConfig, req.networkingConfig?.EndpointsConfig, opts.apiVersion ?? API_VERSION);
  mergeImageConfig(config, image.config.config);
  const inherited = mountsFromContainers(hostConfig.VolumesFrom as string[] | null, (ref) => ({ mounts: index.get(ref).record.mounts }));
  const inheritedAt = new Set(inherited.map((m) => m.Destination));
  const ownPlan = planMounts({
    binds: hostConfig.Binds, mounts: (hostConfig.Mounts ?? null) as ApiMount[] | null,
    // The image's and `-v /path` volumes yield to what --volumes-from brings; --volumes-from to -v and --mount.
    volumes: Object.fromEntries(Object.entries(config.Volumes ?? {}).filter(([target]) => !inheritedAt.has(normalize(target)))),
    tmpfs: hostConfig.Tmpfs ?? null, volumeDriver: hostConfig.VolumeDriver,
  });
  const taken = new Set([...ownPlan.map((m) => m.Destination), ...Object.keys(hostConfig.Tmpfs ?? {}).map(normalize)]);
  const mountPlan = [...ownPlan, ...inherited.filter((m) => !taken.has(m.Destination))];
  const lowerDirs = await ctx.images.lowerDirs(image.id);

  const id = randomBytes(32).toString('hex');
  const fullName = index.reserve(id, wanted);
  if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? osHostname() : id.slice(0, 12);
  const { path, args } = entrypointAndArgs(config);
  let registered = false;
  let claimed: ContainerRecord['mounts'] = [];
  try {
    // The directory comes first: after a crash, a directory without a record tells the next start
    // to undo what other subsystems recorded for this ID.
    await mkdir(ctx.store.dir(id), { recursive: true, mode: 0o710 });
    await prepareContainerDir(ctx.store.dir(id), rootfsDirs(ctx.store.dir(id)).upper, ctx.idMapping);
    await ctx.network.registerContainer({
      id, name: fullName.slice(1), hostname: config.Hostname, domainname: config.Domainname,
      networkMode: net.networkMode, portBindings: net.disabled ? {} : hostConfig.PortBindings ?? {},
      publishAllPorts: hostConfig.PublishAllPorts && !net.disabled, exposedPorts: Object.keys(config.ExposedPorts ?? {}),
      links: net.disabled ? [] : hostConfig.Links ?? [], env: config.Env ?? [], dns: hostConfig.Dns ?? [],
      dnsSearch: hostConfig.DnsSearch ?? [], dnsOptions: hostConfig.DnsOptions ?? [],
      extraHosts: hostConfig.ExtraHosts ?? [],
      endpointsConfig: net.endpoints,
    });
    registered = true;
    claimed = await claimMounts(ctx.volumes, id, mountPlan, ctx.log);
    const record: ContainerRecord = {
      id, name: fullName, created: new Date().toISOString(), path, args, config, hostConfig,
      networkingConfig: req.networkingConfig, image: image.id, lowerDirs, state: initialState(), restartCount: 0,
      hasBeenStartedBefore: false, hasBeenManuallyStopped: false, mounts: claimed, logPath: ctx.store.logPath(id),
    };
    await transitions.created(new Container(record));
    return { Id: id, Warnings: [...req.warnings, ...net.warnings] };
  } catch (err) {
    index.releaseName(fullName, id);
    const undo = `container ${id}: undoing a refused create`;
    if (registered) await bestEffort(ctx.log, undo, () => ctx.network.unregisterContainer(id));
    await bestEffort(ctx.log, undo, () => releaseMounts(ctx.volumes, id, claimed, true, ctx.log));
    await bestEffort(ctx.log, undo, () => ctx.store.removeDir(id));
    throw err;
  }
}
