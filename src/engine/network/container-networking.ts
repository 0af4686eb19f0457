import { readlink } from 'node:fs/promises';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { attachmentFor } from './container-registration.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ContainerEtc } from './container-etc.js';
import type { Endpoints } from './endpoints.js';
import { linkEnv } from './links.js';
import type { NetworkLookup } from './network-registry.js';
import type { ContainerNetworkRecord, NetworkStore } from './network-store.js';
import type { EndpointConfig, PreparedNetwork } from './network-types.js';
import type { PortPublishing } from './port-publishing.js';
import type { SerialQueue } from '../../lib/serial-queue.js';

export interface ContainerNetworkingParts {
  networks: Pick<NetworkLookup, 'get' | 'byId' | 'defaultBridge'>;
  containers: ContainerRegistry;
  endpoints: Endpoints;
  ports: PortPublishing;
  etc: ContainerEtc;
  store: Pick<NetworkStore, 'saveContainer' | 'saveContainerRuntime'>;
  log: WarningSink;
  /**
   * The lock of the state containers share (networks, addresses, host ports): `prepare` chooses a
   * container's addresses and ports under it, and network create and remove hold it.
   */
  stateLock: Pick<SerialQueue, 'run'>;
}

/**
 * A container's networking through its life: endpoints and host ports taken at start (`prepare`),
 * plugged in once its namespace exists (`connect`), freed when it stops (`release`), and networks
 * connected and disconnected while it runs. Callers run one container's steps one at a time; steps
 * of different containers run side by side: only the choice of addresses and ports takes the state
 * lock, and freeing them is synchronous (it cannot interleave with a choice).
 */
export class ContainerNetworking {
  constructor(private readonly parts: ContainerNetworkingParts) {}

  /**
   * Before the runtime creates the container: takes its addresses and host ports (refusing a busy
   * port with Docker's message), writes /etc/hosts, resolv.conf and hostname. `release` undoes it.
   */
  async prepare(id: string): Promise<PreparedNetwork> {
    const { containers, etc, stateLock } = this.parts;
    const c = containers.byId(id);
    if (!c) throw new NotFoundError(`No such container: ${id}`);
    if (c.networkMode === 'host') return etc.forHostNetwork(c);
    if (c.networkMode.startsWith('container:')) {
      const target = containers.byId(c.networkMode.slice('container:'.length));
      if (!target || target.pid === undefined) {
        throw new ConflictError(`cannot join network namespace of a non running container: ${c.networkMode.slice(10)}`);
      }
      return etc.forJoinedNetwork(target, target.pid);
    }
    try {
      // Under the state lock: once a container holds an endpoint on a network, that network cannot
      // be removed ("has active endpoints"); before, a removed network fails the start here.
      const env = await stateLock.run(() => this.allocate(c));
      // Saved with the pid by connect(): before that, a crash leaves nothing running to recover.
      return await etc.forOwnNetwork(c, env);
    } catch (err) {
      await this.release(c);
      throw err;
    }
  }

  /** Addresses on each network, host ports; returns the link variables. Run under the state lock. */
  private async allocate(c: ContainerNetworkRecord): Promise<string[]> {
    const { networks, containers, endpoints, ports } = this.parts;
    if (!['bridge', 'none'].includes(c.networkMode) && Object.keys(c.networks).length === 0) {
      const n = networks.get(c.networkMode);
      if (n.driver !== 'bridge') throw new InvalidArgumentError(`network ${c.networkMode} cannot be used this way`);
      c.networks[n.id] = attachmentFor(n);
    }
    endpoints.assignAll(c);
    const env: string[] = [];
    for (const link of c.links) {
      const target = containers.get(link.target);
      const bridgeId = networks.defaultBridge()?.id;
      const ip = bridgeId ? target.networks[bridgeId]?.ip : undefined;
      if (target.pid === undefined || !ip) throw new InvalidArgumentError(`Cannot link to a non running container: /${target.name} AS /${c.name}/${link.alias}`);
      env.push(...linkEnv(c.name, link, { ip, env: target.env, exposedPorts: target.exposedPorts }));
    }
    const primary = Object.keys(c.networks).map((id) => networks.byId(id)!).find((n) => !n.internal);
    await ports.publish(c, primary);
    return env;
  }

  /**
   * After the runtime created the container (its namespace is /proc/<pid>/ns/net), before its process
   * starts: plugs a veth into each network's bridge and installs the published ports' rules.
   */
  async connect(id: string, pid: number): Promise<void> {
    const { containers, endpoints, ports, store } = this.parts;
    const c = containers.byId(id);
    if (!c) throw new NotFoundError(`No such container: ${id}`);
    c.pid = pid;
    c.sandboxId = await readlink(`/proc/${pid}/ns/net`).catch((err: NodeJS.ErrnoException) => {
      // The process already gone: the start fails further on, where it says so.
      if (err.code === 'ENOENT' || err.code === 'ESRCH') return undefined;
      throw err;
    });
    await store.saveContainerRuntime(c);
    if (c.networkMode === 'host' || c.networkMode.startsWith('container:')) return;
    try {
      await endpoints.plugAll(c, pid);
      if (c.ports?.length) await ports.apply();
    } catch (err) {
      await this.release(c);
      throw err;
    }
  }

  /** After the container's process exited (or a start failed): frees everything `prepare`/`connect` took. Idempotent. */
  async release(c: ContainerNetworkRecord): Promise<void> {
    const hadPorts = Boolean(c.ports?.length);
    await this.clearRuntime(c);
    if (hadPorts) await bestEffort(this.parts.log, 'iptables', () => this.parts.ports.apply());
  }

  /** Forgets what a container held while it ran (addresses, ports, pid); removes its veths. */
  async clearRuntime(c: ContainerNetworkRecord): Promise<void> {
    const { containers, endpoints, ports, store, log } = this.parts;
    const veths = endpoints.release(c);
    ports.release(c.ports ?? []);
    const wasRunning = c.pid !== undefined || veths.length > 0;
    delete c.ports;
    delete c.pid;
    delete c.sandboxId;
    // The veths die with the namespace; removing them covers a namespace still held by something else.
    if (veths.length) await bestEffort(log, `removing the veths of container ${c.id}`, () => endpoints.unplug(veths));
    if (wasRunning && containers.has(c.id)) await store.saveContainerRuntime(c);
  }

  /** `docker network connect`: attaches a container, and plugs it in at once if it runs. */
  async connectContainer(networkIdOrName: string, containerIdOrName: string, ep?: EndpointConfig): Promise<void> {
    const { networks, containers, endpoints, etc, store } = this.parts;
    const n = networks.get(networkIdOrName);
    const c = containers.get(containerIdOrName);
    if (n.driver !== 'bridge' || c.networkMode === 'host') {
      throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
    }
    if (c.networkMode === 'none' || c.networkMode.startsWith('container:')) {
      throw new ForbiddenError('container sharing network namespace with another container or host cannot be connected to any other network');
    }
    if (c.networks[n.id]) throw new ForbiddenError(`endpoint with name ${c.name} already exists in network ${n.name}`);
    c.networks[n.id] = attachmentFor(n, ep);
    if (c.pid !== undefined) {
      try {
        await endpoints.attachRunning(c, n, c.pid);
      } catch (err) {
        delete c.networks[n.id];
        throw err;
      }
    }
    await store.saveContainer(c);
    await etc.refreshHosts(c);
  }

  /** `docker network disconnect`: unplugs and detaches a container, with the ports it published there. */
  async disconnectContainer(networkIdOrName: string, containerIdOrName: string, force: boolean): Promise<void> {
    const { networks, containers, endpoints, ports, etc, store } = this.parts;
    const n = networks.get(networkIdOrName);
    let c: ContainerNetworkRecord;
    try {
      c = containers.get(containerIdOrName);
    } catch (err) {
      if (force) return;
      throw err;
    }
    if (n.driver === 'host') throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
    if (!c.networks[n.id]) throw new ForbiddenError(`container ${c.id} is not connected to network ${n.name}`);
    await endpoints.detach(c, n.id);
    const droppedPorts = (c.ports ?? []).filter((p) => p.networkId === n.id);
    ports.release(droppedPorts);
    if (c.ports) c.ports = c.ports.filter((p) => p.networkId !== n.id);
    delete c.networks[n.id];
    if (droppedPorts.length) await ports.apply();
    await store.saveContainer(c);
    await etc.refreshHosts(c);
  }
}
