import type { ContainerNetworkRecord, NetworkRecord, Attachment } from './network-store.js';
import { parseCidr } from './cidr.js';

/** Docker's JSON shapes for networks and a container's NetworkSettings. */

export function networkJson(n: NetworkRecord, containers?: ContainerNetworkRecord[]): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  for (const c of containers ?? []) {
    const a = c.networks[n.id];
    if (!a?.endpointId) continue;
    members[c.id] = {
      Name: c.name, EndpointID: a.endpointId, MacAddress: a.mac ?? '',
      IPv4Address: a.ip ? `${a.ip}/${parseCidr(n.subnet!).prefix}` : '', IPv6Address: '',
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: members,
    Options: n.options,
    Labels: n.labels,
  };
}

export function endpointJson(c: ContainerNetworkRecord, n: NetworkRecord, a: Attachment): Record<string, unknown> {
  const running = Boolean(a.endpointId);
  const prefix = n.subnet ? parseCidr(n.subnet).prefix : 0;
  const dnsNames = n.isDefault || n.driver !== 'bridge' ? null : [c.name, c.id.slice(0, 12), ...a.aliases];
  return {
    IPAMConfig: a.ipv4Address ? { IPv4Address: a.ipv4Address } : null,
    Links: a.links?.length ? a.links : null,
    Aliases: a.aliases.length ? a.aliases : null,
    MacAddress: running ? a.mac ?? '' : '',
    DriverOpts: a.driverOpts ?? null,
    GwPriority: 0,
    NetworkID: n.id,
    EndpointID: a.endpointId ?? '',
    Gateway: running && n.gateway ? n.gateway : '',
    IPAddress: running ? a.ip ?? '' : '',
    IPPrefixLen: running && a.ip ? prefix : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: dnsNames,
  };
}
