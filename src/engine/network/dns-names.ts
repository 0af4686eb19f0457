import { hostResolvConf } from './etc-files.js';
import { parseLink } from './links.js';
import type { NetworkLookup } from './network-registry.js';
import type { ContainerNetworkRecord } from './network-store.js';
import type { NameLookup } from './dns-server.js';

/** Who holds an address (the asking container of a query is known by its source address). */
export interface AddressOwners {
  containerAt(ip: string): string | undefined;
}

/**
 * The embedded DNS's view of names: what a container may resolve (names, short and full ids and
 * aliases of the containers on the user-defined networks it shares with them, and its links there),
 * and which upstream resolvers answer the rest.
 */
export class DnsNames {
  private upstream: string[] = [];

  constructor(
    private readonly owners: AddressOwners,
    private readonly containers: { byId(id: string): ContainerNetworkRecord | undefined; values(): Iterable<ContainerNetworkRecord> },
    private readonly networks: Pick<NetworkLookup, 'byId'>,
  ) {}

  /** Answers `name` (lower case, no trailing dot) for the container at `sourceIp`. */
  readonly resolve: NameLookup = (sourceIp, name) => {
    const askerId = this.owners.containerAt(sourceIp);
    const asker = askerId ? this.containers.byId(askerId) : undefined;
    const upstream = asker?.dns.length ? asker.dns : this.upstream;
    if (!asker) return { addresses: undefined, upstream };
    const addresses = namesOnSharedNetworks(asker, name, this.containers.values(), this.networks);
    return addresses ? { addresses, upstream } : { addresses: undefined, upstream };
  };

  /** Reads the host's resolvers (the upstream of containers that set no `--dns`). */
  async refreshUpstream(): Promise<void> {
    this.upstream = (await hostResolvConf()).nameservers;
  }
}

/**
 * The addresses `name` has for `asker`, on the first of its user-defined bridge networks where it
 * matches any container; undefined when it matches none.
 */
export function namesOnSharedNetworks(
  asker: ContainerNetworkRecord, name: string, containers: Iterable<ContainerNetworkRecord>, networks: Pick<NetworkLookup, 'byId'>,
): string[] | undefined {
  const all = [...containers];
  for (const netId of Object.keys(asker.networks)) {
    const n = networks.byId(netId);
    if (!n || n.isDefault || n.driver !== 'bridge') continue;
    // Links given on this network are aliases only the linking container sees.
    const linked = (asker.networks[netId].links ?? []).map(parseLink).find((l) => l.alias.toLowerCase() === name);
    const addresses: string[] = [];
    for (const c of all) {
      const a = c.networks[netId];
      if (!a?.ip) continue;
      const names = [c.name, c.id.slice(0, 12), c.id, ...a.aliases].map((x) => x.toLowerCase());
      if (names.includes(name) || (linked && (c.name === linked.target || c.id.startsWith(linked.target)))) addresses.push(a.ip);
    }
    if (addresses.length) return addresses;
  }
  return undefined;
}
