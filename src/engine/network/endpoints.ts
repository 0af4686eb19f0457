import { NotFoundError } from '../../lib/errors.js';
import { macForIp, parseCidr, parseIp } from './cidr.js';
import { AddressSpace } from './ipam.js';
import { newId } from './network-ids.js';
import type { NetworkLookup } from './network-registry.js';
import type { Attachment, ContainerNetworkRecord, NetworkRecord } from './network-store.js';
import { hostVethName, plugVeth, unplugVeths, type VethSpec } from './plumbing.js';

/** How an endpoint gets into a container's namespace and out of it again (the host's `ip`, or a fake). */
export interface VethPlumbing {
  plug(pid: number, veth: VethSpec): Promise<void>;
  /** Removes host-side veths; missing ones are fine. */
  unplug(hostNames: string[]): Promise<void>;
}

export const hostPlumbing: VethPlumbing = { plug: plugVeth, unplug: unplugVeths };

/**
 * The endpoints of running containers: one address per network a container is on (from that
 * network's address space), its MAC, endpoint id, interface name and host veth, and which container
 * holds which address (how the embedded DNS knows who asks).
 */
export class Endpoints {
  private readonly spaces = new Map<string, AddressSpace>();
  /** Container address -> container id. */
  private readonly byIp = new Map<string, string>();

  constructor(private readonly networks: Pick<NetworkLookup, 'byId'>, private readonly plumbing: VethPlumbing = hostPlumbing) {}

  /** A bridge network is up: its addresses can be handed out. */
  addNetwork(n: NetworkRecord): void {
    this.spaces.set(n.id, new AddressSpace(n.subnet!, n.gateway!));
  }

  removeNetwork(id: string): void {
    this.spaces.delete(id);
  }

  /** The container (id) that holds `ip`, if any. */
  containerAt(ip: string): string | undefined {
    return this.byIp.get(ip);
  }

  /** Marks the addresses of a container that survived a daemon restart as held again. */
  hold(c: ContainerNetworkRecord): void {
    for (const [netId, a] of Object.entries(c.networks)) {
      if (a.ip) this.spaces.get(netId)?.hold(a.ip);
      if (a.ip) this.byIp.set(a.ip, c.id);
    }
  }

  /** Takes an endpoint on every network of a starting container, named eth0, eth1... in their order. */
  assignAll(c: ContainerNetworkRecord): void {
    let index = 0;
    for (const netId of Object.keys(c.networks)) {
      if (!this.networks.byId(netId) || !this.spaces.has(netId)) throw new NotFoundError(`network ${netId} not found`);
      this.assign(c, netId, `eth${index++}`);
    }
  }

  private assign(c: ContainerNetworkRecord, netId: string, ifname: string): Attachment {
    const a = c.networks[netId];
    a.ip = this.spaces.get(netId)!.allocate(a.ipv4Address);
    a.mac = a.macAddress ?? macForIp(parseIp(a.ip));
    a.endpointId = newId();
    a.ifname = ifname;
    a.hostVeth = hostVethName(c.id, netId);
    this.byIp.set(a.ip, c.id);
    return a;
  }

  /**
   * Plugs a created container (its init `pid`) into the bridge of each of its networks. The first
   * network that is not internal gives the default route.
   */
  async plugAll(c: ContainerNetworkRecord, pid: number): Promise<void> {
    let first = true;
    for (const [netId, a] of Object.entries(c.networks)) {
      const n = this.networks.byId(netId)!;
      await this.plumbing.plug(pid, {
        hostName: a.hostVeth!, bridge: n.bridge!, ifname: a.ifname!, mac: a.mac!,
        cidr: `${a.ip}/${parseCidr(n.subnet!).prefix}`, gateway: first && !n.internal ? n.gateway : undefined,
      });
      if (!n.internal) first = false;
    }
  }

  /**
   * `network connect` of a running container: an endpoint on `n` (already in `c.networks`) on the
   * next free ethN, plugged in at once; the default route goes through `n` only if no other network
   * gives one. On failure the address is given back.
   */
  async attachRunning(c: ContainerNetworkRecord, n: NetworkRecord, pid: number): Promise<void> {
    const used = new Set(Object.values(c.networks).map((x) => x.ifname).filter(Boolean));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    try {
      const a = this.assign(c, n.id, `eth${i}`);
      const hasGateway = Object.entries(c.networks).some(([id, x]) => id !== n.id && x.ip && !this.networks.byId(id)?.internal);
      await this.plumbing.plug(pid, {
        hostName: a.hostVeth!, bridge: n.bridge!, ifname: a.ifname!, mac: a.mac!,
        cidr: `${a.ip}/${parseCidr(n.subnet!).prefix}`, gateway: hasGateway || n.internal ? undefined : n.gateway,
      });
    } catch (err) {
      this.releaseAddress(c, n.id);
      throw err;
    }
  }

  /** `network disconnect` of one network: its veth goes (failing loudly), its address is free again. */
  async detach(c: ContainerNetworkRecord, netId: string): Promise<void> {
    const a = c.networks[netId];
    if (a.hostVeth) await this.plumbing.unplug([a.hostVeth]);
    this.releaseAddress(c, netId);
  }

  private releaseAddress(c: ContainerNetworkRecord, netId: string): void {
    const ip = c.networks[netId]?.ip;
    if (!ip) return;
    this.spaces.get(netId)?.release(ip);
    if (this.byIp.get(ip) === c.id) this.byIp.delete(ip);
  }

  /**
   * A container stopped: frees its addresses and forgets what its endpoints were. Returns the host
   * veths to remove (see `unplug`); the attachments themselves stay.
   */
  release(c: ContainerNetworkRecord): string[] {
    const veths: string[] = [];
    for (const [netId, a] of Object.entries(c.networks)) {
      this.releaseAddress(c, netId);
      if (a.hostVeth) veths.push(a.hostVeth);
      delete a.ip;
      delete a.mac;
      delete a.endpointId;
      delete a.ifname;
      delete a.hostVeth;
    }
    return veths;
  }

  unplug(hostNames: string[]): Promise<void> {
    return this.plumbing.unplug(hostNames);
  }
}
