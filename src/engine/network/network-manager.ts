import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { bestEffort } from '../../lib/best-effort.js';
import { KeyedSerialQueue } from '../../lib/keyed-serial-queue.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import { Bridges } from './bridges.js';
import { ContainerEtc } from './container-etc.js';
import { ContainerNetworking } from './container-networking.js';
import { containerRecordFor, followRename } from './container-registration.js';
import { ContainerRegistry } from './container-registry.js';
import { DnsNames } from './dns-names.js';
import { DnsServers } from './dns-servers.js';
import { Endpoints } from './endpoints.js';
import { Firewall } from './firewall.js';
import { hostShell } from './host-commands.js';
import type { LinkSpec } from './links.js';
import { chainTag } from './network-ids.js';
import { NetworkLifecycle } from './network-lifecycle.js';
import { NetworkRegistry } from './network-registry.js';
import { NetworkStore, type NetworkRecord } from './network-store.js';
import type { ContainerNetworkSpec, CreateNetworkOptions, EndpointConfig, PreparedNetwork } from './network-types.js';
import { NetworkViews, type PortSummary } from './network-views.js';
import { enableForwarding } from './plumbing.js';
import { PortPublishing } from './port-publishing.js';
import { PortReservations } from './port-reservations.js';
import { UserlandProxy } from './userland-proxy.js';
import { NO_EVENTS, type EventPublisher } from '../events/event-types.js';
import { NotFoundError } from '../../lib/errors.js';

/**
 * Networks and the containers on them: bridges, addresses, veths, NAT and published ports, embedded
 * DNS, links and the per-container /etc files, each kept by a part of its own; this facade wires them
 * and holds the locks (docs/networking.md, "Locks"): one container's steps run one at a time, steps
 * of different containers side by side; what containers share (networks, addresses, host ports)
 * changes under one state lock, taken after a container's lock, never before. State is persisted
 * under <data-root>/network and reconciled with the host at start; the container manager calls
 * `registerContainer` (create), `prepare` (before runtime create), `connect` (after it, before
 * start), `disconnect` (after exit) and `unregisterContainer` (remove).
 */
export class NetworkManager {
  /** What containers share, changed one at a time: networks, the choice of addresses and host ports. */
  private readonly state = new SerialQueue();
  /** Each container's own steps (prepare, connect, release, network connect/disconnect), in order. */
  private readonly perContainer = new KeyedSerialQueue();
  private readonly store: NetworkStore;
  private readonly networks = new NetworkRegistry();
  private readonly containers = new ContainerRegistry();
  private readonly endpoints = new Endpoints(this.networks);
  private readonly dnsNames = new DnsNames(this.endpoints, this.containers, this.networks);
  private readonly dns: DnsServers;
  private readonly bridges: Bridges;
  private readonly ports: PortPublishing;
  private readonly networkLife: NetworkLifecycle;
  private readonly containerLife: ContainerNetworking;
  private readonly views = new NetworkViews(this.networks, this.containers);

  private constructor(
    readonly config: DaemonConfig, readonly log: Logger,
    /** Where network events go: create, destroy, connect, disconnect. */
    private readonly events: EventPublisher,
  ) {
    this.store = new NetworkStore(join(config.dataRoot, 'network'), log);
    this.dns = new DnsServers(this.dnsNames.resolve, log);
    this.bridges = new Bridges(config, this.networks, this.store);
    const firewall = config.iptables ? new Firewall(chainTag(config.execRoot)) : undefined;
    this.ports = new PortPublishing(this.networks, this.containers, new PortReservations(log, config.userlandProxy ? new UserlandProxy(config.execRoot, log) : undefined), { userlandProxy: config.userlandProxy, firewall }, log);
    this.networkLife = new NetworkLifecycle({
      networks: this.networks, containers: this.containers, bridges: this.bridges, endpoints: this.endpoints,
      dns: this.dns, ports: this.ports, store: this.store,
    });
    const etc = new ContainerEtc({
      networks: this.networks, containers: this.containers,
      dnsServes: (id) => this.dns.serves(id), containerDir: (id) => this.store.containerDir(id),
    });
    this.containerLife = new ContainerNetworking({
      networks: this.networks, containers: this.containers, endpoints: this.endpoints, ports: this.ports, etc, store: this.store, log,
      stateLock: this.state,
    });
  }

  static async open(config: DaemonConfig, log: Logger, events: EventPublisher = NO_EVENTS): Promise<NetworkManager> {
    const m = new NetworkManager(config, log, events);
    await m.restore();
    return m;
  }

  // ---- start, reconcile, shutdown ----

  private async restore(): Promise<void> {
    for (const n of await this.store.loadNetworks()) this.networks.set(n);
    for (const c of await this.store.loadContainers()) this.containers.set(c);
    const freshDefaultId = await this.bridges.ensurePredefined();
    await this.refreshUpstream();
    await bestEffort(this.log, 'cannot enable IP forwarding', enableForwarding);
    for (const n of this.networks.list()) {
      if (n.driver === 'bridge') await this.networkLife.bringUp(n, n.id === freshDefaultId);
    }
    // Containers that ran before a restart: keep the ones still alive, free the rest.
    for (const c of this.containers.list()) {
      if (c.pid === undefined) continue;
      const alive = await readlink(`/proc/${c.pid}/ns/net`).then((ns) => ns === c.sandboxId, () => false);
      if (alive) {
        this.endpoints.hold(c);
        await this.ports.hold(c);
      } else {
        await this.containerLife.clearRuntime(c);
      }
    }
    await this.ports.install();
  }

  /**
   * At daemon exit. With no container attached, everything Berth made in the host's network goes
   * (bridges it created, its chains and jumps); with running containers (live restore) it stays for
   * the next start to take over.
   */
  async close(): Promise<void> {
    // Containers' steps under way finish first (their scripts need the shells closed below).
    await this.perContainer.idle();
    await this.state.run(async () => {
      this.dns.stopAll();
      this.ports.releaseAll();
      if (!this.containers.anyRunning()) {
        await bestEffort(this.log, 'removing iptables rules', () => this.ports.removeRules());
        await bestEffort(this.log, 'removing bridges', () => this.bridges.removeAll());
      }
      hostShell.close();
    });
  }

  // ---- networks (the /networks API) ----

  /** Finds a network by full id, name, or unique id prefix (Docker's order). */
  get(idOrName: string): NetworkRecord {
    return this.networks.get(idOrName);
  }

  list(): NetworkRecord[] {
    return this.networks.list();
  }

  inspect(idOrName: string): Record<string, unknown> {
    return this.views.inspect(idOrName);
  }

  listJson(): Record<string, unknown>[] {
    return this.views.listJson();
  }

  async create(opts: CreateNetworkOptions): Promise<{ Id: string; Warning: string }> {
    const created = await this.state.run(() => this.networkLife.create(opts));
    this.publish('create', this.get(created.Id));
    return created;
  }

  async remove(idOrName: string): Promise<void> {
    const n = this.get(idOrName);
    await this.state.run(() => this.networkLife.remove(idOrName));
    this.publish('destroy', n);
  }

  /** Removes unused user-defined networks (optionally only those matching `match`); returns their names. */
  async prune(match: (n: NetworkRecord) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    for (const n of this.list()) {
      if (n.predefined || !match(n) || this.containers.members(n).length) continue;
      // As dockerd: a network that cannot go (a container attached meanwhile) is logged and skipped.
      const gone = await bestEffort(this.log, `could not remove local network ${n.name}`, async () => {
        await this.remove(n.id);
        return true;
      });
      if (gone) removed.push(n.name);
    }
    return removed;
  }

  // ---- containers ----

  /** Validates a new container's network settings and records them. Throws before anything is made. */
  async registerContainer(spec: ContainerNetworkSpec): Promise<void> {
    const { record, saved } = await this.state.run(() => {
      const record = containerRecordFor(spec, { networks: this.networks, containers: this.containers });
      this.containers.set(record);
      // The write is queued under the lock (a record's writes land in call order) and waited for
      // outside it: another container's registration does not wait for this one's fsync.
      try {
        return { record, saved: this.store.saveContainer(record) };
      } catch (err) {
        this.containers.delete(spec.id);
        throw err;
      }
    });
    try {
      await saved;
    } catch (err) {
      // Not recorded (a full disk): not known either.
      if (this.containers.byId(spec.id) === record) this.containers.delete(spec.id);
      throw err;
    }
  }

  /** Forgets a removed container. */
  async unregisterContainer(id: string): Promise<void> {
    await this.disconnect(id);
    // No state lock: whoever saves other containers' records (network remove, rename) queues the
    // writes in the tick it reads the registry, so a record deleted here is never written again.
    await this.perContainer.run(id, async () => {
      this.containers.delete(id);
      await this.store.deleteContainer(id);
    });
  }

  /**
   * `docker rename`: the container answers to its new name in the embedded DNS (the old one no longer
   * resolves), and links that named it by its old name follow it. Unknown ids are ignored (nothing
   * recorded, nothing to rename).
   */
  async renameContainer(id: string, newName: string): Promise<void> {
    await this.state.run(async () => {
      const c = this.containers.byId(id);
      if (!c) return;
      // Every write queued in this tick, from the registry as it is now (see unregisterContainer).
      await Promise.all([...followRename(c, newName, this.containers.list())].map((r) => this.store.saveContainer(r)));
    });
  }

  /** `docker rm --link parent/alias`: the parent's next runs have no such link (dockerd's rule). */
  async removeLink(id: string, alias: string): Promise<void> {
    await this.state.run(async () => {
      const c = this.containers.byId(id);
      if (!c) return;
      c.links = c.links.filter((l) => l.alias !== alias);
      await this.store.saveContainer(c);
    });
  }

  /**
   * Before the runtime creates the container: takes its addresses and host ports (refusing a busy
   * port with Docker's message), writes /etc/hosts, resolv.conf and hostname. Call `disconnect` to
   * undo when a later step fails.
   */
  async prepare(id: string): Promise<PreparedNetwork> {
    return this.perContainer.run(id, () => this.containerLife.prepare(id));
  }

  /**
   * After the runtime created the container (its namespace is /proc/<pid>/ns/net), before its process
   * starts: plugs a veth into each network's bridge and installs the published ports' rules.
   */
  async connect(id: string, pid: number): Promise<void> {
    await this.perContainer.run(id, () => this.containerLife.connect(id, pid));
    for (const n of this.containerNetworks(id)) this.publish('connect', this.get(n.id), id);
  }

  /** After the container's process exited (or a start failed): frees everything `prepare`/`connect` took. Idempotent. */
  async disconnect(id: string): Promise<void> {
    const left = await this.perContainer.run(id, async () => {
      const c = this.containers.byId(id);
      if (!c) return [];
      const connected = c.pid !== undefined ? this.containerNetworks(id).flatMap((n) => this.networks.find(n.id) ?? []) : [];
      await this.containerLife.release(c);
      return connected;
    });
    for (const n of left) this.publish('disconnect', n, id);
  }

  // ---- network connect / disconnect of a container ----

  async connectContainer(networkIdOrName: string, containerIdOrName: string, ep?: EndpointConfig): Promise<void> {
    const id = this.containers.get(containerIdOrName).id;
    // Rare, and it changes what a network has: the container's lock, then the state lock, throughout.
    await this.perContainer.run(id, () => this.state.run(() => this.containerLife.connectContainer(networkIdOrName, id, ep)));
    this.publish('connect', this.get(networkIdOrName), id);
  }

  async disconnectContainer(networkIdOrName: string, containerIdOrName: string, force = false): Promise<void> {
    const n = this.get(networkIdOrName);
    const c = this.containerIdOf(containerIdOrName);
    const job = () => this.state.run(() => this.containerLife.disconnectContainer(networkIdOrName, c ?? containerIdOrName, force));
    await (c ? this.perContainer.run(c, job) : job());
    if (c) this.publish('disconnect', n, c);
  }

  /** The ID of a container known to the network side, or undefined (a forced disconnect of a gone one). */
  private containerIdOf(idOrName: string): string | undefined {
    try {
      return this.containers.get(idOrName).id;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** A network event: the network's name and driver, and the container for connect and disconnect. */
  private publish(action: 'create' | 'destroy' | 'connect' | 'disconnect', n: NetworkRecord, container?: string): void {
    this.events.publish('network', action, {
      ID: n.id, Attributes: { ...(container ? { container } : {}), name: n.name, type: n.driver },
    });
  }

  // ---- what inspect and list show ----

  /** NetworkSettings of `docker inspect`. */
  networkSettings(id: string): Record<string, unknown> {
    return this.views.networkSettings(id);
  }

  /** The `Ports` of GET /containers/json. */
  portSummary(id: string): PortSummary {
    return this.views.portSummary(id);
  }

  /** The `NetworkSettings` of GET /containers/json. */
  summaryNetworkSettings(id: string): { Networks: Record<string, unknown> } {
    return this.views.summaryNetworkSettings(id);
  }

  /** Network names a container is on (for `docker ps --filter network=`). */
  containerNetworks(id: string): { id: string; name: string }[] {
    return this.views.containerNetworks(id);
  }

  // ---- embedded DNS ----

  /** Reads the host's resolvers (the upstream of the embedded DNS). */
  async refreshUpstream(): Promise<void> {
    await this.dnsNames.refreshUpstream();
  }
}

export { chainTag, defaultBridgeName } from './network-ids.js';
export type { ContainerNetworkSpec, CreateNetworkOptions, EndpointConfig, PreparedNetwork } from './network-types.js';
export type { LinkSpec };
