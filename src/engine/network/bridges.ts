import type { DaemonConfig } from '../base/config.js';
import { formatIp, formatSubnet, overlaps, parseCidr, type Subnet } from './cidr.js';
import { ipBatch } from './host-commands.js';
import { DEFAULT_POOLS, hostRoutes, pickSubnet, type AddressPool } from './ipam.js';
import { defaultBridgeName, newId } from './network-ids.js';
import type { NetworkRegistry } from './network-registry.js';
import type { NetworkRecord, NetworkStore } from './network-store.js';
import { ensureBridge, removeBridges } from './plumbing.js';

export type BridgeConfig = Pick<DaemonConfig, 'bridge' | 'bip' | 'execRoot' | 'defaultAddressPools'>;

/**
 * The host side of bridge networks: their subnets (from the configured pools, clear of the host's
 * routes and of each other), their Linux bridges, and the predefined `bridge`, `host` and `none`.
 */
export class Bridges {
  constructor(
    private readonly config: BridgeConfig,
    private readonly networks: NetworkRegistry,
    private readonly store: Pick<NetworkStore, 'saveNetwork'>,
  ) {}

  /**
   * Makes sure `host`, `none` and (unless `--bridge none`) the default `bridge` exist as configured
   * (`--bridge`, `--bip`). Returns the default bridge's id when its subnet was just picked from the
   * pools (so `bringUp` may pick again on a clash).
   */
  async ensurePredefined(): Promise<string | undefined> {
    const created = new Date().toISOString();
    const base = { created, internal: false, attachable: false, labels: {}, options: {}, predefined: true };
    if (!this.networks.predefined('host')) await this.add({ ...base, id: newId(), name: 'host', driver: 'host' });
    if (!this.networks.predefined('none')) await this.add({ ...base, id: newId(), name: 'none', driver: 'null' });
    const bridgeName = this.config.bridge ?? defaultBridgeName(this.config.execRoot);
    const existing = this.networks.predefined('bridge');
    if (bridgeName === 'none') {
      if (existing) this.networks.delete(existing.id);
      return undefined;
    }
    let subnet = existing?.subnet;
    let gateway = existing?.gateway;
    let freshlyPicked = false;
    if (this.config.bip) {
      const bip = parseCidr(this.config.bip);
      subnet = formatSubnet(bip);
      gateway = formatIp(bip.ip);
    } else if (!subnet || existing?.bridge !== bridgeName) {
      const picked = await this.pickFreeSubnet(existing?.id);
      subnet = formatSubnet(picked);
      gateway = formatIp(picked.base + 1);
      freshlyPicked = true;
    }
    const record: NetworkRecord = {
      ...base, id: existing?.id ?? newId(), created: existing?.created ?? created, name: 'bridge', driver: 'bridge',
      bridge: bridgeName, subnet, gateway, isDefault: true, ownsBridge: existing?.ownsBridge,
      options: {
        'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': bridgeName, 'com.docker.network.driver.mtu': '1500',
      },
    };
    await this.add(record);
    return freshlyPicked ? record.id : undefined;
  }

  private async add(n: NetworkRecord): Promise<void> {
    this.networks.set(n);
    await this.store.saveNetwork(n);
  }

  /** The first subnet of the pools that overlaps no host route and no other network (but `exceptId`). */
  async pickFreeSubnet(exceptId?: string): Promise<Subnet> {
    return pickSubnet(this.pools(), await this.takenSubnets(exceptId));
  }

  private pools(): AddressPool[] {
    return this.config.defaultAddressPools.length ? this.config.defaultAddressPools : DEFAULT_POOLS;
  }

  /** Subnets a new network must not overlap: the host's routes and our other networks. */
  private async takenSubnets(exceptId?: string): Promise<Subnet[]> {
    const all = this.networks.list();
    const ours = all.filter((n) => n.subnet && n.id !== exceptId);
    const ourBridges = new Set(all.filter((n) => n.id === exceptId || n.subnet).map((n) => n.bridge));
    const routes = (await hostRoutes()).filter((r) => !ourBridges.has(r.dev));
    return [...routes.map((r) => ({ ...r, ip: r.base })), ...ours.map((n) => parseCidr(n.subnet!))];
  }

  /**
   * Makes the bridge of a network exist with its gateway address, and saves the network. With
   * `autoPicked`, a subnet that another daemon took meanwhile (both read the routes, then both
   * picked the same free one) is given up for the next free one.
   */
  async bringUp(n: NetworkRecord, autoPicked: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { created } = await ensureBridge(n.bridge!, `${n.gateway}/${parseCidr(n.subnet!).prefix}`);
      if (created && !n.ownsBridge) n.ownsBridge = true;
      if (!autoPicked || attempt >= 5) break;
      const mine = parseCidr(n.subnet!);
      const clash = (await hostRoutes()).some((r) => r.dev !== n.bridge && overlaps(r, mine));
      if (!clash) break;
      await ipBatch([`addr flush dev ${n.bridge}`]);
      const picked = await this.pickFreeSubnet(n.id);
      n.subnet = formatSubnet(picked);
      n.gateway = formatIp(picked.base + 1);
    }
    await this.store.saveNetwork(n);
  }

  /** Removes the bridge of a network being removed, if Berth made it. */
  async remove(n: NetworkRecord): Promise<void> {
    if (n.ownsBridge) await removeBridges([n.bridge!]);
  }

  /** Removes every bridge Berth made (daemon exit with nothing running). */
  async removeAll(): Promise<void> {
    const owned = this.networks.list().filter((n) => n.driver === 'bridge' && n.ownsBridge).map((n) => n.bridge!);
    await removeBridges(owned);
  }
}
