import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import type { ContainerLookup } from './container-registry.js';
import { parseLink } from './links.js';
import { parseMac } from './mac-address.js';
import type { NetworkLookup } from './network-registry.js';
import type { Attachment, ContainerNetworkRecord, NetworkRecord } from './network-store.js';
import type { ContainerNetworkSpec, EndpointConfig } from './network-types.js';
import { parsePortKey, portKey, validatePortBindings } from './ports.js';

export interface RegistrationLookups {
  networks: Pick<NetworkLookup, 'get'> & { find(idOrName: string): NetworkRecord | undefined };
  containers: Pick<ContainerLookup, 'get'>;
}

/**
 * The network record of a container being created: its network mode normalised, its attachments
 * (`--network`, `--network-alias`, `--ip`, extra endpoints), ports, links and DNS settings. Throws
 * Docker's message for a setting that cannot work, before anything is made.
 */
export function containerRecordFor(spec: ContainerNetworkSpec, lookups: RegistrationLookups): ContainerNetworkRecord {
  const { networks: nets, containers } = lookups;
  let mode = spec.networkMode || 'default';
  if (mode === 'default') mode = 'bridge';
  const portBindings = spec.portBindings ?? {};
  validatePortBindings(portBindings);
  const exposed = new Set([...(spec.exposedPorts ?? []), ...Object.keys(portBindings)].map((k) => portKey(parsePortKey(k))));
  const networks: Record<string, Attachment> = {};
  // The CLI keys the endpoint of the network mode by the mode's own name, `default` included.
  const endpoints: Record<string, EndpointConfig | null> = {};
  for (const [key, ep] of Object.entries(spec.endpointsConfig ?? {})) endpoints[key === 'default' ? 'bridge' : key] = ep;
  if (mode.startsWith('container:')) {
    const target = asInvalid(() => containers.get(mode.slice('container:'.length)));
    if (target.id === spec.id) throw new InvalidArgumentError('cannot join own network');
    mode = `container:${target.id}`;
    if (Object.keys(portBindings).length || spec.publishAllPorts) {
      throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
    }
  } else if (mode !== 'host' && mode !== 'none') {
    // As dockerd, a network that does not exist (yet) fails the start, not the create: a 404 at
    // create would make the CLI try to pull the image. prepare() looks the network up again.
    const n = nets.find(mode);
    if (n?.driver === 'host') mode = 'host';
    else if (n?.driver === 'null') mode = 'none';
    else if (n) {
      mode = n.isDefault ? 'bridge' : n.name;
      const ep = endpoints[n.name] ?? endpoints[n.id] ?? endpoints[mode] ?? undefined;
      networks[n.id] = attachmentFor(n, ep ?? undefined);
    }
  }
  const links = (spec.links ?? []).map(parseLink);
  if (links.length && (mode === 'host' || mode === 'none' || mode.startsWith('container:'))) {
    throw new InvalidArgumentError(`conflicting options: ${mode.split(':')[0]} type networking can't be used with links`);
  }
  for (const link of links) {
    try {
      containers.get(link.target);
    } catch {
      throw new InvalidArgumentError(`could not get container for ${link.target}: No such container: ${link.target}`);
    }
  }
  const userNet = mode !== 'bridge' ? Object.values(networks)[0] : undefined;
  if (userNet && links.length) userNet.links = [...(userNet.links ?? []), ...links.map((l) => `${l.target}:${l.alias}`)];
  // Extra endpoints given at create (API clients may attach several networks at once).
  for (const [key, ep] of Object.entries(endpoints)) {
    if (mode.startsWith('container:') || mode === 'host' || mode === 'none') break;
    const n = nets.get(key);
    if (networks[n.id] || n.driver !== 'bridge') continue;
    networks[n.id] = attachmentFor(n, ep ?? undefined);
  }
  return {
    id: spec.id, name: spec.name.replace(/^\//, ''), hostname: spec.hostname || spec.id.slice(0, 12),
    domainname: spec.domainname ?? '', networkMode: mode,
    portBindings: Object.fromEntries(Object.entries(portBindings).map(([k, v]) => [k, v ?? []])),
    publishAllPorts: Boolean(spec.publishAllPorts), exposedPorts: [...exposed], links: userNet ? [] : links, env: spec.env ?? [],
    dns: spec.dns ?? [], dnsSearch: spec.dnsSearch ?? [], dnsOptions: spec.dnsOptions ?? [], extraHosts: spec.extraHosts ?? [],
    networks,
  };
}

/** A missing container named in a create body is the caller's mistake (400, as dockerd answers). */
function asInvalid<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NotFoundError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/**
 * A container's attachment to a network, as asked (aliases, `--ip`, `--mac-address`, links); refused
 * where Docker refuses it, with its words and in its order. Berth's networks have no IPv6 subnet, so
 * an `--ip6` is refused as dockerd refuses it on a network without one.
 */
export function attachmentFor(n: NetworkRecord, ep?: EndpointConfig): Attachment {
  const aliases = ep?.Aliases ?? [];
  const ipam = ep?.IPAMConfig ?? {};
  const ip = ipam.IPv4Address || undefined;
  const ip6 = ipam.IPv6Address || undefined;
  if (ip && !isIPv4(ip)) throw new InvalidArgumentError(`invalid IPv4 address: ${ip}`);
  if (ip6 && (!isIPv6(ip6) || /^::ffff:[\d.]+$/i.test(ip6))) throw new InvalidArgumentError(`invalid IPv6 address: ${ip6}`);
  if (n.isDefault && (ip || ip6)) throw new InvalidArgumentError('user specified IP address is supported on user defined networks only');
  if (n.isDefault && aliases.length) throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
  if (ip6 || (ip && !n.userSubnet)) {
    throw new InvalidArgumentError('user specified IP address is supported only when connecting to networks with user configured subnets');
  }
  if (ipam.LinkLocalIPs?.length) throw new InvalidArgumentError('link-local IP addresses (--link-local-ip) are not supported by berthd');
  const acted = Object.keys(ep?.DriverOpts ?? {}).filter((k) => k.startsWith('com.docker.network.endpoint.'));
  if (acted.length) throw new InvalidArgumentError(`endpoint driver option ${acted[0]} is refused: ${ENDPOINT_DRIVER_OPTS}`);
  const mac = ep?.MacAddress ? parseMac(ep.MacAddress) : undefined;
  const driverOpts = ep?.DriverOpts && Object.keys(ep.DriverOpts).length ? { ...ep.DriverOpts } : undefined;
  return { aliases: [...aliases], ipv4Address: ip, ...(mac ? { macAddress: mac } : {}), links: ep?.Links ?? undefined, ...(driverOpts ? { driverOpts } : {}) };
}

/**
 * Why an endpoint driver option that dockerd acts on is refused (create and `network connect
 * --driver-opt` alike). Any other option is kept and shown in inspect; the bridge acts on none, as
 * dockerd's 20.10 bridge does with the same options.
 */
export const ENDPOINT_DRIVER_OPTS = 'berthd does not implement the options dockerd acts on for a bridge network '
  + '(com.docker.network.endpoint.sysctls; com.docker.network.endpoint.ifname in newer releases)';

/**
 * `docker rename`: the container answers to its new name, and links that named it by its old name
 * follow it, as Docker's links follow the container rather than the name. Returns the records that
 * changed (to be saved).
 */
export function followRename(c: ContainerNetworkRecord, newName: string, all: Iterable<ContainerNetworkRecord>): Set<ContainerNetworkRecord> {
  const old = c.name;
  const name = newName.replace(/^\//, '');
  c.name = name;
  const changed = new Set<ContainerNetworkRecord>([c]);
  for (const other of all) {
    for (const link of other.links) {
      if (link.target === old) { link.target = name; changed.add(other); }
    }
    for (const a of Object.values(other.networks)) {
      if (!a.links?.some((l) => parseLink(l).target === old)) continue;
      a.links = a.links.map((l) => {
        const link = parseLink(l);
        return link.target === old ? `${name}:${link.alias}` : l;
      });
      changed.add(other);
    }
  }
  return changed;
}
