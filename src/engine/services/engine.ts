import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { API_VERSION, BERTH_VERSION, MIN_API_VERSION } from '../base/version.js';
import { BuildService } from '../build/build-service.js';
import { ContainerManager } from '../containers/container-manager.js';
import { ExecManager } from '../containers/exec-manager.js';
import { Distribution } from '../distribution/distribution.js';
import { ImageStore } from '../images/image-store.js';
import { NetworkManager } from '../network/network-manager.js';
import { ConmonRuntime } from '../runtime/conmon-runtime.js';
import { RuncProbeRunner } from '../runtime/health-probe.js';
import { OciRuntimes } from '../runtime/oci-runtimes.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { VolumeStore } from '../volumes/volume-store.js';
import { EventBus } from '../events/event-bus.js';

/** A part of the daemon that holds resources of this process (timers, sockets, pools) until closed. */
interface Service {
  close(): Promise<void>;
}

/**
 * The daemon's composition root: it builds every service in one visible order, each from the services
 * it stands on, and closes them in the reverse order. The API handlers reach the services through this
 * object; the services themselves take only the narrow parts they use (ContainerServices,
 * RegistryServices, ImageServices, BuildServices, the container manager's roles), never the Engine.
 *
 * Start order: the event bus (every service below publishes to it), images, volumes, network, the
 * container runtime, containers (which reconcile with what ran while the daemon was down, and own the
 * health monitor), exec instances, distribution (its download area emptied), builds.
 */
export class Engine {
  readonly version = BERTH_VERSION;
  readonly apiVersion = API_VERSION;
  readonly minApiVersion = MIN_API_VERSION;
  readonly startedAt = new Date();

  private constructor(
    readonly config: DaemonConfig,
    readonly log: Logger,
    readonly images: ImageStore,
    readonly volumes: VolumeStore,
    readonly network: NetworkManager,
    readonly runtime: ContainerRuntime,
    readonly containers: ContainerManager,
    readonly execs: ExecManager,
    readonly distribution: Distribution,
    readonly builds: BuildService,
    /** Every event of the daemon (GET /events), with its journal under `<data-root>/events`. */
    readonly events: EventBus,
    /** The OCI runtimes containers may choose (`--add-runtime`, `--default-runtime`). */
    readonly ociRuntimes: OciRuntimes,
    /** In start order; closed in reverse. */
    private readonly services: Service[],
  ) {}

  /** Opens every service under the data root, in start order; a failure closes what was opened. */
  static async start(config: DaemonConfig, log: Logger): Promise<Engine> {
    const runtimes = new OciRuntimes(config.runtimes, config.defaultRuntime);
    await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
    await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
    const opened: Service[] = [];
    const open = async <T extends Service>(service: Promise<T> | T): Promise<T> => {
      const s = await service;
      opened.push(s);
      return s;
    };
    try {
      const events = await open(EventBus.open(join(config.dataRoot, 'events'), log));
      const images = await open(ImageStore.open(join(config.dataRoot, 'image'), log, events, config.remap?.mapping));
      const volumes = await open(VolumeStore.open(join(config.dataRoot, 'volumes'), log, events, config.remap?.root));
      const network = await open(NetworkManager.open(config, log, events));
      const runtime = new ConmonRuntime({ execRoot: config.execRoot, log, runtimes });
      const containers = await open(ContainerManager.open({
        dataRoot: config.dataRoot, execRoot: config.execRoot, log, runtime, images, volumes, network, events,
        defaultInit: config.init, defaultUlimits: config.defaultUlimits, defaultLogOpts: config.logOpts,
        probes: new RuncProbeRunner({ execRoot: config.execRoot, log, runtimes }), runtimes,
        idMapping: config.remap?.mapping,
      }));
      const execs = await open(new ExecManager({ config, log, containers, runtimes }));
      const distribution = await open(Distribution.open({ config, log, images }));
      const builds = await open(BuildService.open({ config, log, images }));
      return new Engine(config, log, images, volumes, network, runtime, containers, execs, distribution, builds, events, runtimes, opened);
    } catch (err) {
      await closeAll(opened, log);
      throw err;
    }
  }

  /**
   * Stops the daemon's own work, services in the reverse of their start order. Containers keep running
   * (live restore); the next start picks them up.
   */
  async shutdown(): Promise<void> {
    await closeAll(this.services, this.log);
  }
}

/** Closes `services` last-opened first; a service that fails to close is logged and the rest still close. */
async function closeAll(services: Service[], log: Logger): Promise<void> {
  for (const service of [...services].reverse()) {
    try {
      await service.close();
    } catch (err) {
      log.error(`closing ${service.constructor.name}: ${(err as Error).message}`);
    }
  }
}
