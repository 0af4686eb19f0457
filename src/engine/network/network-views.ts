import { parseCidr } from './cidr.js';
import type { ContainerLookup } from './container-registry.js';
import { endpointJson, networkJson } from './network-json.js';
import { hashId } from './network-ids.js';
import type { NetworkLookup } from './network-registry.js';
import type { ContainerNetworkRecord } from './network-store.js';
import { parsePortKey } from './ports.js';

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;
export type PortSummary = { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];

/** What the API shows of networks and of a container's networking (Docker's JSON shapes). */
export class NetworkViews {
  constructor(
    private readonly networks: Pick<NetworkLookup, 'get' | 'byId' | 'list' | 'defaultBridge'>,
    private readonly containers: Pick<ContainerLookup, 'byId' | 'values'>,
  ) {}

  /** GET /networks/{id}: the network with its running containers. */
  inspect(idOrName: string): Record<string, unknown> {
    const n = this.networks.get(idOrName);
    return networkJson(n, [...this.containers.values()]);
  }

  listJson(): Record<string, unknown>[] {
    return this.networks.list().map((n) => networkJson(n));
  }

  /** NetworkSettings of `docker inspect`. */
  networkSettings(id: string): Record<string, unknown> {
    const c = this.containers.byId(id);
    const bridge = this.networks.defaultBridge();
    const onBridge = c && bridge ? c.networks[bridge.id] : undefined;
    const networks: Record<string, unknown> = {};
    if (c) {
      if (c.networkMode === 'host' || c.networkMode === 'none') {
        const n = this.networks.list().find((x) => x.predefined && x.name === c.networkMode);
        if (n) networks[n.name] = endpointJson(c, n, { aliases: [], endpointId: c.pid !== undefined ? hashId(c.id + n.id) : undefined });
      }
      for (const [netId, a] of Object.entries(c.networks)) {
        const n = this.networks.byId(netId);
        if (n) networks[n.name] = endpointJson(c, n, a);
      }
    }
    const running = Boolean(onBridge?.endpointId);
    return {
      Bridge: '',
      SandboxID: c?.sandboxId ? hashId(c.sandboxId) : '',
      SandboxKey: c?.pid !== undefined ? `/proc/${c.pid}/ns/net` : '',
      Ports: c ? portMap(c) : {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: running ? onBridge!.endpointId : '',
      Gateway: running ? bridge!.gateway : '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: running ? onBridge!.ip : '',
      IPPrefixLen: running ? parseCidr(bridge!.subnet!).prefix : 0,
      IPv6Gateway: '',
      MacAddress: running ? onBridge!.mac : '',
      Networks: networks,
    };
  }

  /** The `Ports` of GET /containers/json: published ports, then exposed ones that are not. */
  portSummary(id: string): PortSummary {
    const c = this.containers.byId(id);
    if (!c) return [];
    const out: PortSummary = [];
    const published = new Set<string>();
    for (const p of c.ports ?? []) {
      out.push({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
      published.add(`${p.containerPort}/${p.proto}`);
    }
    for (const key of c.exposedPorts) {
      if (published.has(key)) continue;
      const { port, proto } = parsePortKey(key);
      out.push({ PrivatePort: port, Type: proto });
    }
    return out;
  }

  /** The `NetworkSettings` of GET /containers/json. */
  summaryNetworkSettings(id: string): { Networks: Record<string, unknown> } {
    return { Networks: (this.networkSettings(id).Networks as Record<string, unknown>) ?? {} };
  }

  /** Network names a container is on (for `docker ps --filter network=`). */
  containerNetworks(id: string): { id: string; name: string }[] {
    const c = this.containers.byId(id);
    if (!c) return [];
    return Object.keys(c.networks).map((nid) => ({ id: nid, name: this.networks.byId(nid)?.name ?? nid }));
  }
}

/** NetworkSettings.Ports: every exposed port, with its host bindings while running (null if none). */
function portMap(c: ContainerNetworkRecord): PortMap {
  if (c.pid === undefined) return {};
  const out: PortMap = {};
  for (const key of c.exposedPorts) out[key] = null;
  for (const p of c.ports ?? []) {
    const key = `${p.containerPort}/${p.proto}`;
    (out[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  return out;
}
