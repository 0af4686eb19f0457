import { ForbiddenError } from '../../lib/errors.js';
import type { Bridges } from './bridges.js';
import type { ContainerRegistry } from './container-registry.js';
import type { DnsServers } from './dns-servers.js';
import type { Endpoints } from './endpoints.js';
import { newNetworkRecord } from './network-create.js';
import type { NetworkRegistry } from './network-registry.js';
import type { NetworkRecord, NetworkStore } from './network-store.js';
import type { CreateNetworkOptions } from './network-types.js';
import type { PortPublishing } from './port-publishing.js';

export interface NetworkLifecycleParts {
  networks: NetworkRegistry;
  containers: Pick<ContainerRegistry, 'members'>;
  bridges: Bridges;
  endpoints: Pick<Endpoints, 'addNetwork' | 'removeNetwork'>;
  dns: Pick<DnsServers, 'start' | 'stop'>;
  ports: Pick<PortPublishing, 'apply'>;
  store: Pick<NetworkStore, 'saveContainer' | 'deleteNetwork'>;
}

/**
 * A network's life on the host: brought up (bridge, address space, embedded DNS, rules), created from
 * the API, removed. Callers run these under the state lock (they share subnets, bridges and rules).
 */
export class NetworkLifecycle {
  constructor(private readonly parts: NetworkLifecycleParts) {}

  /** A bridge network's bridge, addresses and embedded DNS (`autoPicked`: see Bridges.bringUp). */
  async bringUp(n: NetworkRecord, autoPicked = false): Promise<void> {
    await this.parts.bridges.bringUp(n, autoPicked);
    this.parts.endpoints.addNetwork(n);
    await this.parts.dns.start(n);
  }

  /** `docker network create`: a bridge network, up with its rules, or nothing left of it on failure. */
  async create(opts: CreateNetworkOptions): Promise<{ Id: string; Warning: string }> {
    const { networks, bridges, ports } = this.parts;
    const record = await newNetworkRecord(opts, networks.list(), () => bridges.pickFreeSubnet());
    networks.set(record);
    try {
      await this.bringUp(record, !record.userSubnet);
      await ports.apply();
    } catch (err) {
      await this.drop(record);
      throw err;
    }
    return { Id: record.id, Warning: '' };
  }

  /** `docker network rm`: refused for predefined networks and networks with running containers. */
  async remove(idOrName: string): Promise<void> {
    const { networks, containers, store } = this.parts;
    const n = networks.get(idOrName);
    if (n.predefined) throw new ForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
    const members = containers.members(n);
    if (members.some((c) => c.networks[n.id].endpointId)) {
      throw new ForbiddenError(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    // Every write queued in this tick, from the registry as it is now: a container removed meanwhile
    // (its record deleted without this lock) is never written again.
    for (const c of members) delete c.networks[n.id];
    await Promise.all(members.map((c) => store.saveContainer(c)));
    await this.drop(n);
  }

  private async drop(n: NetworkRecord): Promise<void> {
    const { networks, bridges, endpoints, dns, ports, store } = this.parts;
    dns.stop(n.id);
    networks.delete(n.id);
    endpoints.removeNetwork(n.id);
    await ports.apply();
    await bridges.remove(n);
    await store.deleteNetwork(n.id);
  }
}
