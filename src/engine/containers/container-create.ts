import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { bestEffort } from '../../lib/best-effort.js';
import { Container } from './container.js';
import type { ContainerIndex } from './container-index.js';
import type { ContainerContext } from './container-roles.js';
import type { ContainerTransitions } from './container-transitions.js';
import type { ContainerRecord } from './container-types.js';
import { initialState } from './container-state.js';
import { parseCreateBody } from './create-body.js';
import { checkHealthcheck } from './health-config.js';
import { entrypointAndArgs, mergeImageConfig } from './image-merge.js';
import { claimMounts, planMounts, releaseMounts, type ApiMount } from './mounts.js';
import { validateName } from './names.js';

/**
 * POST /containers/create: validates everything, takes the name, registers the network settings and
 * the volumes, then writes the container's record last. A refused create gives back all it took.
 */
export async function createContainer(
  ctx: ContainerContext, index: ContainerIndex, transitions: ContainerTransitions, name: string | undefined, body: unknown,
): Promise<{ Id: string; Warnings: string[] }> {
  const req = parseCreateBody(body);
  const healthcheck = checkHealthcheck(req.config.Healthcheck);
  if (healthcheck) req.config.Healthcheck = healthcheck;
  else delete req.config.Healthcheck;
  const wanted = name ? validateName(name) : undefined;
  const image = await ctx.images.resolve(req.config.Image);
  const config = req.config;
  const hostConfig = req.hostConfig;
  mergeImageConfig(config, image.config.config);
  const mountPlan = planMounts({
    binds: hostConfig.Binds, mounts: (hostConfig.Mounts ?? null) as ApiMount[] | null, volumes: config.Volumes,
    tmpfs: hostConfig.Tmpfs ?? null, volumeDriver: hostConfig.VolumeDriver,
  });
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
    await ctx.network.registerContainer({
      id, name: fullName.slice(1), hostname: config.Hostname, domainname: config.Domainname,
      networkMode: hostConfig.NetworkMode, portBindings: hostConfig.PortBindings ?? {},
      publishAllPorts: hostConfig.PublishAllPorts, exposedPorts: Object.keys(config.ExposedPorts ?? {}),
      links: hostConfig.Links ?? [], env: config.Env ?? [], dns: hostConfig.Dns ?? [],
      dnsSearch: hostConfig.DnsSearch ?? [], dnsOptions: hostConfig.DnsOptions ?? [],
      extraHosts: hostConfig.ExtraHosts ?? [],
      endpointsConfig: endpointsByNetwork(req.networkingConfig?.EndpointsConfig),
    });
    registered = true;
    claimed = await claimMounts(ctx.volumes, id, mountPlan, ctx.log);
    const record: ContainerRecord = {
      id, name: fullName, created: new Date().toISOString(), path, args, config, hostConfig,
      networkingConfig: req.networkingConfig, image: image.id, lowerDirs, state: initialState(), restartCount: 0,
      hasBeenStartedBefore: false, hasBeenManuallyStopped: false, mounts: claimed, logPath: ctx.store.logPath(id),
    };
    await transitions.created(new Container(record));
    return { Id: id, Warnings: [] };
  } catch (err) {
    index.releaseName(fullName, id);
    const undo = `container ${id}: undoing a refused create`;
    if (registered) await bestEffort(ctx.log, undo, () => ctx.network.unregisterContainer(id));
    await bestEffort(ctx.log, undo, () => releaseMounts(ctx.volumes, id, claimed, true, ctx.log));
    await bestEffort(ctx.log, undo, () => ctx.store.removeDir(id));
    throw err;
  }
}

/** The CLI keys the endpoint of `--network default` as "default": that is the default bridge. */
function endpointsByNetwork(raw: Record<string, unknown> | null | undefined): Record<string, never> {
  const out: Record<string, never> = {};
  for (const [key, value] of Object.entries(raw ?? {})) out[key === 'default' ? 'bridge' : key] = value as never;
  return out;
}
