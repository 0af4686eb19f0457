import { randomBytes, createHash } from 'node:crypto';
import { readlink, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { DaemonConfig } from '../config.js';
import type { Logger } from '../log.js';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, SystemError, errorMessage } from '../../lib/errors.js';
import { formatIp, formatSubnet, macForIp, overlaps, parseCidr, parseIp } from './cidr.js';
import { AddressSpace, DEFAULT_POOLS, hostRoutes, pickSubnet, type AddressPool } from './ipam.js';
import { Firewall, type FirewallState } from './firewall.js';
import { ipBatch, hostShell } from './host-commands.js';
import { ensureBridge, removeBridges, hostVethName, plugVeth, unplugVeths, enableForwarding } from './plumbing.js';
import { PortReservations, type ForwardTarget } from './port-reservations.js';
import { DnsServer } from './dns-server.js';
import { NetworkStore, type Attachment, type ContainerRecord, type NetworkRecord, type PublishedPort, type PortBinding } from './network-store.js';
import { networkJson, endpointJson } from './network-json.js';
import { parseHostBinding, parsePortKey, portKey, validatePortBindings } from './ports.js';
import { parseLink, linkEnv, type LinkSpec } from './links.js';
import { copyHostEtcFiles, etcMounts, hostResolvConf, renderHosts, renderResolvConf, usableNameservers, writeEtcFiles, type HostsEntry, type MountSpec } from './etc-files.js';

/** What the container manager tells networking about a container when it is created. */
export interface ContainerNetworkSpec {
  id: string;
  /** Without the leading slash. */
  name: string;
  hostname?: string;
  domainname?: string;
  /** HostConfig.NetworkMode: '', 'default', 'bridge', 'none', 'host', 'container:<name|id>' or a network. */
  networkMode?: string;
  portBindings?: Record<string, PortBinding[] | null>;
  publishAllPorts?: boolean;
  /** Config.ExposedPorts keys (image's and the container's), like `80/tcp`. */
  exposedPorts?: string[];
  /** HostConfig.Links: `name:alias`. */
  links?: string[];
  env?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** HostConfig.ExtraHosts: `name:ip`. */
  extraHosts?: string[];
  /** NetworkingConfig.EndpointsConfig. */
  endpointsConfig?: Record<string, EndpointConfig | null>;
}

export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string } | null;
  Aliases?: string[] | null;
  Links?: string[] | null;
}

/** What the runtime spec needs from networking, returned by `prepare`. */
export interface PreparedNetwork {
  network: 'new' | 'host' | { path: string };
  mounts: MountSpec[];
  hostname: string;
  /** Link variables to add to the container's environment. */
  env: string[];
  /** Where the /etc files are on the host (inspect's ResolvConfPath, HostnamePath, HostsPath). */
  etcPaths: { resolvConf: string; hostname: string; hosts: string };
}

export interface CreateNetworkOptions {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  CheckDuplicate?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const PREDEFINED = ['bridge', 'host', 'none'];
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Networks and the containers on them: bridges, addresses, veths, NAT and published ports, embedded
 * DNS, links and the per-container /etc files. State is persisted under <data-root>/network and
 * reconciled with the host at start; the container manager calls `registerContainer` (create),
 * `prepare` (before runtime create), `connect` (after it, before start), `disconnect` (after exit)
 * and `unregisterContainer` (remove).
 */
export class NetworkManager {
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly spaces = new Map<string, AddressSpace>();
  private readonly dns = new Map<string, DnsServer>();
  private readonly ports = new PortReservations();
  private readonly firewall?: Firewall;
  /** Container address -> container id, for DNS queries. */
  private readonly byIp = new Map<string, string>();
  private readonly store: NetworkStore;
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(readonly config: DaemonConfig, readonly log: Logger) {
    this.store = new NetworkStore(join(config.dataRoot, 'network'));
    if (config.iptables) this.firewall = new Firewall(chainTag(config.execRoot));
  }

  static async open(config: DaemonConfig, log: Logger): Promise<NetworkManager> {
    const m = new NetworkManager(config, log);
    await m.restore();
    return m;
  }

  /** Runs state changes one at a time: addresses, ports and rules are shared. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  // ---- start, reconcile, shutdown ----

  private async restore(): Promise<void> {
    for (const n of await this.store.loadNetworks()) this.networks.set(n.id, n);
    for (const c of await this.store.loadContainers()) this.containers.set(c.id, c);
    await this.ensurePredefined();
    await this.refreshUpstream();
    await enableForwarding().catch((err) => this.log.warn(`cannot enable IP forwarding: ${errorMessage(err)}`));
    for (const n of this.networks.values()) {
      if (n.driver === 'bridge') await this.bringUp(n, n.id === this.freshDefaultId);
    }
    // Containers that ran before a restart: keep the ones still alive, free the rest.
    for (const c of this.containers.values()) {
      if (c.pid === undefined) continue;
      const alive = await readlink(`/proc/${c.pid}/ns/net`).then((ns) => ns === c.sandboxId, () => false);
      if (alive) {
        for (const [netId, a] of Object.entries(c.networks)) {
          if (a.ip) this.spaces.get(netId)?.hold(a.ip);
          if (a.ip) this.byIp.set(a.ip, c.id);
        }
        for (const p of c.ports ?? []) {
          await this.ports.reserve({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort }, this.proxyTarget(p.proto, c.networks[p.networkId]?.ip, p.containerPort))
            .catch((err) => this.log.warn(`cannot hold host port ${p.hostPort} for ${c.name}: ${errorMessage(err)}`));
        }
      } else {
        await this.clearRuntime(c);
      }
    }
    await this.firewall?.install(this.firewallState());
  }

  private async ensurePredefined(): Promise<void> {
    const byName = (name: string) => [...this.networks.values()].find((n) => n.name === name && n.predefined);
    const created = new Date().toISOString();
    const base = { created, internal: false, attachable: false, labels: {}, options: {}, predefined: true };
    if (!byName('host')) await this.addRecord({ ...base, id: newId(), name: 'host', driver: 'host' });
    if (!byName('none')) await this.addRecord({ ...base, id: newId(), name: 'none', driver: 'null' });
    const bridgeName = this.config.bridge ?? defaultBridgeName(this.config.execRoot);
    const existing = byName('bridge');
    if (bridgeName === 'none') {
      if (existing) this.networks.delete(existing.id);
      return;
    }
    let subnet = existing?.subnet;
    let gateway = existing?.gateway;
    let freshlyPicked = false;
    if (this.config.bip) {
      const bip = parseCidr(this.config.bip);
      subnet = formatSubnet(bip);
      gateway = formatIp(bip.ip);
    } else if (!subnet || existing?.bridge !== bridgeName) {
      const picked = pickSubnet(this.pools(), await this.takenSubnets(existing?.id));
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
    await this.addRecord(record);
    if (freshlyPicked) this.freshDefaultId = record.id;
  }

  /** The default bridge when its subnet was just picked from the pools (may be re-picked on a clash). */
  private freshDefaultId?: string;

  private async addRecord(n: NetworkRecord): Promise<void> {
    this.networks.set(n.id, n);
    await this.store.saveNetwork(n);
  }

  private pools(): AddressPool[] {
    return this.config.defaultAddressPools.length ? this.config.defaultAddressPools : DEFAULT_POOLS;
  }

  /** Subnets a new network must not overlap: the host's routes and our other networks. */
  private async takenSubnets(exceptId?: string): Promise<ReturnType<typeof parseCidr>[]> {
    const ours = [...this.networks.values()].filter((n) => n.subnet && n.id !== exceptId);
    const ourBridges = new Set([...this.networks.values()].filter((n) => n.id === exceptId || n.subnet).map((n) => n.bridge));
    const routes = (await hostRoutes()).filter((r) => !ourBridges.has(r.dev));
    return [...routes.map((r) => ({ ...r, ip: r.base })), ...ours.map((n) => parseCidr(n.subnet!))];
  }

  /**
   * Makes the bridge of a network exist with its gateway address, and its DNS server listen. With
   * `autoPicked`, a subnet that another daemon took meanwhile (both read the routes, then both
   * picked the same free one) is given up for the next free one.
   */
  private async bringUp(n: NetworkRecord, autoPicked = false): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { created } = await ensureBridge(n.bridge!, `${n.gateway}/${parseCidr(n.subnet!).prefix}`);
      if (created && !n.ownsBridge) n.ownsBridge = true;
      if (!autoPicked || attempt >= 5) break;
      const mine = parseCidr(n.subnet!);
      const clash = (await hostRoutes()).some((r) => r.dev !== n.bridge && overlaps(r, mine));
      if (!clash) break;
      await ipBatch([`addr flush dev ${n.bridge}`]);
      const picked = pickSubnet(this.pools(), await this.takenSubnets(n.id));
      n.subnet = formatSubnet(picked);
      n.gateway = formatIp(picked.base + 1);
    }
    this.spaces.set(n.id, new AddressSpace(n.subnet!, n.gateway!));
    await this.store.saveNetwork(n);
    if (!n.isDefault && !this.dns.has(n.id)) {
      const server = new DnsServer(n.gateway!, (source, name) => this.resolve(source, name));
      try {
        await server.start();
        this.dns.set(n.id, server);
      } catch (err) {
        this.log.warn(`embedded DNS for network ${n.name} cannot listen on ${n.gateway}:53: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * At daemon exit. With no container attached, everything Berth made in the host's network goes
   * (bridges it created, its chains and jumps); with running containers (live restore) it stays for
   * the next start to take over.
   */
  async shutdown(): Promise<void> {
    await this.serial(async () => {
      for (const d of this.dns.values()) d.close();
      this.dns.clear();
      this.ports.releaseAll();
      const busy = [...this.containers.values()].some((c) => c.pid !== undefined);
      if (!busy) {
        await this.firewall?.remove().catch((err) => this.log.warn(`removing iptables rules: ${errorMessage(err)}`));
        const owned = [...this.networks.values()].filter((n) => n.driver === 'bridge' && n.ownsBridge).map((n) => n.bridge!);
        await removeBridges(owned).catch((err) => this.log.warn(`removing bridges: ${errorMessage(err)}`));
      }
      hostShell.close();
    });
  }

  private firewallState(): FirewallState {
    const bridges = [...this.networks.values()].filter((n) => n.driver === 'bridge');
    const ports: FirewallState['ports'] = [];
    for (const c of this.containers.values()) {
      for (const p of c.ports ?? []) {
        const n = this.networks.get(p.networkId);
        const ip = c.networks[p.networkId]?.ip;
        if (!n || !ip) continue;
        ports.push({
          bridge: n.bridge!, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: ip, containerPort: p.containerPort,
          proxied: this.proxyTarget(p.proto, ip, p.containerPort) !== undefined,
        });
      }
    }
    return {
      networks: bridges.map((n) => ({
        bridge: n.bridge!, subnet: n.subnet!, internal: n.internal,
        icc: n.options['com.docker.network.bridge.enable_icc'] !== 'false',
      })),
      ports,
    };
  }

  /** Where the userland proxy of a published port forwards (TCP only; UDP on loopback goes through DNAT). */
  private proxyTarget(proto: string, containerIp: string | undefined, containerPort: number): ForwardTarget | undefined {
    return this.config.userlandProxy && proto === 'tcp' && containerIp ? { ip: containerIp, port: containerPort } : undefined;
  }

  private async applyFirewall(): Promise<void> {
    await this.firewall?.apply(this.firewallState());
  }

  // ---- networks (the /networks API) ----

  /** Finds a network by full id, name, or unique id prefix (Docker's order). */
  get(idOrName: string): NetworkRecord {
    const all = [...this.networks.values()];
    const found = all.find((n) => n.id === idOrName) ?? all.find((n) => n.name === idOrName);
    if (found) return found;
    const byPrefix = idOrName ? all.filter((n) => n.id.startsWith(idOrName)) : [];
    if (byPrefix.length === 1) return byPrefix[0];
    if (byPrefix.length > 1) throw new InvalidArgumentError(`network ${idOrName} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw new NotFoundError(`network ${idOrName} not found`);
  }

  private find(idOrName: string): NetworkRecord | undefined {
    try {
      return this.get(idOrName);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  list(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  inspect(idOrName: string): Record<string, unknown> {
    const n = this.get(idOrName);
    return networkJson(n, [...this.containers.values()]);
  }

  listJson(): Record<string, unknown>[] {
    return this.list().map((n) => networkJson(n));
  }

  /** Containers (ids) attached to a network, running or not. */
  private members(n: NetworkRecord): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.networks[n.id] !== undefined);
  }

  async create(opts: CreateNetworkOptions): Promise<{ Id: string; Warning: string }> {
    return this.serial(async () => {
      const name = opts.Name;
      if (!name) throw new InvalidArgumentError('network name is required');
      if (!NAME_PATTERN.test(name)) throw new InvalidArgumentError(`invalid network name "${name}": must match ${NAME_PATTERN.source}`);
      if (PREDEFINED.includes(name)) throw new ForbiddenError(`operation is not permitted on predefined ${name} network`);
      if ([...this.networks.values()].some((n) => n.name === name)) throw new ConflictError(`network with name ${name} already exists`);
      const driver = opts.Driver || 'bridge';
      if (driver !== 'bridge') throw new NotFoundError(`could not find plugin ${driver} in v1 plugin registry: plugin not found`);
      if (opts.EnableIPv6) throw new InvalidArgumentError('IPv6 networks are not supported by Berth');
      const configs = opts.IPAM?.Config ?? [];
      if (configs.length > 1) throw new InvalidArgumentError('only one IPv4 subnet per network is supported');
      const id = newId();
      let subnet: string;
      let gateway: string;
      const wanted = configs[0];
      if (wanted?.Subnet) {
        const s = parseCidr(wanted.Subnet);
        if (s.ip !== s.base) throw new InvalidArgumentError(`invalid subnet ${wanted.Subnet} : it should be ${formatSubnet(s)}`);
        if (s.prefix > 30) throw new InvalidArgumentError(`invalid subnet ${wanted.Subnet}: too small`);
        const clash = [...this.networks.values()].find((n) => n.subnet && overlaps(parseCidr(n.subnet), s));
        if (clash) throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
        subnet = formatSubnet(s);
        if (wanted.Gateway) {
          const g = parseIp(wanted.Gateway);
          if (((g & (0xffffffff << (32 - s.prefix))) >>> 0) !== s.base) {
            throw new InvalidArgumentError(`no matching subnet for gateway ${wanted.Gateway}`);
          }
          gateway = wanted.Gateway;
        } else {
          gateway = formatIp(s.base + 1);
        }
      } else {
        if (wanted?.Gateway) throw new InvalidArgumentError('a gateway needs a subnet (--subnet)');
        const picked = pickSubnet(this.pools(), await this.takenSubnets());
        subnet = formatSubnet(picked);
        gateway = formatIp(picked.base + 1);
      }
      const options = { ...(opts.Options ?? {}) };
      const bridge = options['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
      if (bridge.length > 15) throw new InvalidArgumentError(`bridge name ${bridge} is longer than 15 characters`);
      if ([...this.networks.values()].some((n) => n.bridge === bridge)) throw new ConflictError(`bridge ${bridge} is already used by another network`);
      const record: NetworkRecord = {
        id, name, created: new Date().toISOString(), driver: 'bridge', internal: Boolean(opts.Internal),
        attachable: Boolean(opts.Attachable), labels: { ...(opts.Labels ?? {}) }, options, bridge, subnet, gateway,
        userSubnet: Boolean(wanted?.Subnet), predefined: false,
      };
      this.networks.set(id, record);
      try {
        await this.bringUp(record, !record.userSubnet);
        await this.applyFirewall();
      } catch (err) {
        await this.dropNetwork(record);
        throw err;
      }
      return { Id: id, Warning: '' };
    });
  }

  async remove(idOrName: string): Promise<void> {
    await this.serial(async () => {
      const n = this.get(idOrName);
      if (n.predefined) throw new ForbiddenError(`${n.name} is a pre-defined network and cannot be removed`);
      const active = this.members(n).filter((c) => c.networks[n.id].endpointId);
      if (active.length) {
        throw new ForbiddenError(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      }
      for (const c of this.members(n)) {
        delete c.networks[n.id];
        await this.store.saveContainer(c);
      }
      await this.dropNetwork(n);
    });
  }

  private async dropNetwork(n: NetworkRecord): Promise<void> {
    this.dns.get(n.id)?.close();
    this.dns.delete(n.id);
    this.networks.delete(n.id);
    this.spaces.delete(n.id);
    await this.applyFirewall();
    if (n.ownsBridge) await removeBridges([n.bridge!]);
    await this.store.deleteNetwork(n.id);
  }

  /** Removes unused user-defined networks (optionally only those matching `keep`); returns their names. */
  async prune(match: (n: NetworkRecord) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    for (const n of this.list()) {
      if (n.predefined || !match(n) || this.members(n).length) continue;
      await this.remove(n.id).then(() => removed.push(n.name), () => {});
    }
    return removed;
  }

  // ---- containers ----

  private findContainer(idOrName: string): ContainerRecord {
    const name = idOrName.replace(/^\//, '');
    const all = [...this.containers.values()];
    const found = all.find((c) => c.id === name) ?? all.find((c) => c.name === name);
    if (found) return found;
    const byPrefix = name ? all.filter((c) => c.id.startsWith(name)) : [];
    if (byPrefix.length === 1) return byPrefix[0];
    throw new NotFoundError(`No such container: ${idOrName}`);
  }

  /** Validates a new container's network settings and records them. Throws before anything is made. */
  async registerContainer(spec: ContainerNetworkSpec): Promise<void> {
    await this.serial(async () => {
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
        const target = this.asInvalid(() => this.findContainer(mode.slice('container:'.length)));
        if (target.id === spec.id) throw new InvalidArgumentError('cannot join own network');
        mode = `container:${target.id}`;
        if (Object.keys(portBindings).length || spec.publishAllPorts) {
          throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
        }
      } else if (mode !== 'host' && mode !== 'none') {
        // As dockerd, a network that does not exist (yet) fails the start, not the create: a 404 at
        // create would make the CLI try to pull the image.
        const n = this.find(mode);
        if (!n) {
          // leave `networks` empty; prepare() looks the network up again
        } else if (n.driver === 'host') mode = 'host';
        else if (n.driver === 'null') mode = 'none';
        else {
          mode = n.isDefault ? 'bridge' : n.name;
          const ep = endpoints[n.name] ?? endpoints[n.id] ?? endpoints[mode] ?? undefined;
          networks[n.id] = this.attachmentFor(n, spec.name, ep ?? undefined);
        }
      }
      const links = (spec.links ?? []).map(parseLink);
      if (links.length && (mode === 'host' || mode === 'none' || mode.startsWith('container:'))) {
        throw new InvalidArgumentError(`conflicting options: ${mode.split(':')[0]} type networking can't be used with links`);
      }
      for (const link of links) {
        try {
          this.findContainer(link.target);
        } catch {
          throw new InvalidArgumentError(`could not get container for ${link.target}: No such container: ${link.target}`);
        }
      }
      const userNet = mode !== 'bridge' ? Object.values(networks)[0] : undefined;
      if (userNet && links.length) userNet.links = [...(userNet.links ?? []), ...links.map((l) => `${l.target}:${l.alias}`)];
      // Extra endpoints given at create (API clients may attach several networks at once).
      for (const [key, ep] of Object.entries(endpoints)) {
        if (mode.startsWith('container:') || mode === 'host' || mode === 'none') break;
        const n = this.get(key);
        if (networks[n.id] || n.driver !== 'bridge') continue;
        networks[n.id] = this.attachmentFor(n, spec.name, ep ?? undefined);
      }
      const record: ContainerRecord = {
        id: spec.id, name: spec.name.replace(/^\//, ''), hostname: spec.hostname || spec.id.slice(0, 12),
        domainname: spec.domainname ?? '', networkMode: mode,
        portBindings: Object.fromEntries(Object.entries(portBindings).map(([k, v]) => [k, v ?? []])),
        publishAllPorts: Boolean(spec.publishAllPorts), exposedPorts: [...exposed], links: userNet ? [] : links, env: spec.env ?? [],
        dns: spec.dns ?? [], dnsSearch: spec.dnsSearch ?? [], dnsOptions: spec.dnsOptions ?? [], extraHosts: spec.extraHosts ?? [],
        networks,
      };
      this.containers.set(record.id, record);
      await this.store.saveContainer(record);
    });
  }

  /** A missing container named in a create body is the caller's mistake (400, as dockerd answers). */
  private asInvalid<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof NotFoundError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  }

  private attachmentFor(n: NetworkRecord, containerName: string, ep?: EndpointConfig): Attachment {
    const aliases = ep?.Aliases ?? [];
    const ip = ep?.IPAMConfig?.IPv4Address || undefined;
    if (n.isDefault && aliases.length) throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
    if (ip) {
      if (n.isDefault || !n.userSubnet) throw new InvalidArgumentError('user specified IP address is supported only when connecting to networks with user configured subnets');
      parseIp(ip);
    }
    void containerName;
    return { aliases: [...aliases], ipv4Address: ip, links: ep?.Links ?? undefined };
  }

  private defaultBridgeId(): string | undefined {
    return [...this.networks.values()].find((n) => n.isDefault)?.id;
  }

  /** Forgets a removed container. */
  async unregisterContainer(id: string): Promise<void> {
    await this.disconnect(id);
    await this.serial(async () => {
      this.containers.delete(id);
      await this.store.deleteContainer(id);
    });
  }

  /**
   * `docker rename`: the container answers to its new name in the embedded DNS (the old one no longer
   * resolves), and links that named it by its old name follow it, as Docker's links follow the
   * container rather than the name. Unknown ids are ignored (nothing recorded, nothing to rename).
   */
  async renameContainer(id: string, newName: string): Promise<void> {
    await this.serial(async () => {
      const c = this.containers.get(id);
      if (!c) return;
      const old = c.name;
      const name = newName.replace(/^\//, '');
      c.name = name;
      const changed = new Set<ContainerRecord>([c]);
      for (const other of this.containers.values()) {
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
      for (const r of changed) await this.store.saveContainer(r);
    });
  }

  /**
   * Before the runtime creates the container: takes its addresses and host ports (refusing a busy
   * port with Docker's message), writes /etc/hosts, resolv.conf and hostname. Call `disconnect` to
   * undo when a later step fails.
   */
  async prepare(id: string): Promise<PreparedNetwork> {
    return this.serial(async () => {
      const c = this.containers.get(id);
      if (!c) throw new NotFoundError(`No such container: ${id}`);
      const dir = this.store.containerDir(id);
      if (c.networkMode === 'host') {
        const mounts = await copyHostEtcFiles(dir, osHostname());
        return { network: 'host', mounts, hostname: osHostname(), env: [], etcPaths: etcPaths(mounts) };
      }
      if (c.networkMode.startsWith('container:')) {
        const target = this.containers.get(c.networkMode.slice('container:'.length));
        if (!target || target.pid === undefined) {
          throw new ConflictError(`cannot join network namespace of a non running container: ${c.networkMode.slice(10)}`);
        }
        const targetDir = this.store.containerDir(target.id);
        const mounts = etcMounts(targetDir);
        return { network: { path: `/proc/${target.pid}/ns/net` }, mounts, hostname: target.hostname, env: [], etcPaths: etcPaths(mounts) };
      }
      if (!['bridge', 'none'].includes(c.networkMode) && Object.keys(c.networks).length === 0) {
        const n = this.get(c.networkMode);
        if (n.driver !== 'bridge') throw new InvalidArgumentError(`network ${c.networkMode} cannot be used this way`);
        c.networks[n.id] = this.attachmentFor(n, c.name);
      }
      try {
        const env = await this.allocate(c);
        // Saved with the pid by connect(): before that, a crash leaves nothing running to recover.
        const mounts = await writeEtcFiles(dir, await this.etcFilesFor(c));
        return { network: 'new', mounts, hostname: c.hostname, env, etcPaths: etcPaths(mounts) };
      } catch (err) {
        await this.releaseLocked(c);
        throw err;
      }
    });
  }

  /** Addresses on each network, host ports; returns the link variables. */
  private async allocate(c: ContainerRecord): Promise<string[]> {
    const netIds = Object.keys(c.networks);
    let index = 0;
    for (const netId of netIds) {
      const n = this.networks.get(netId);
      const space = this.spaces.get(netId);
      if (!n || !space) throw new NotFoundError(`network ${netId} not found`);
      const a = c.networks[netId];
      a.ip = space.allocate(a.ipv4Address);
      a.mac = macForIp(parseIp(a.ip));
      a.endpointId = newId();
      a.ifname = `eth${index++}`;
      a.hostVeth = hostVethName(c.id, netId);
      this.byIp.set(a.ip, c.id);
    }
    const env: string[] = [];
    for (const link of c.links) {
      const target = this.findContainer(link.target);
      const bridgeId = this.defaultBridgeId();
      const ip = bridgeId ? target.networks[bridgeId]?.ip : undefined;
      if (target.pid === undefined || !ip) throw new InvalidArgumentError(`Cannot link to a non running container: /${target.name} AS /${c.name}/${link.alias}`);
      env.push(...linkEnv(c.name, link, { ip, env: target.env, exposedPorts: target.exposedPorts }));
    }
    c.ports = [];
    const primary = netIds.map((id) => this.networks.get(id)!).find((n) => !n.internal);
    if (!primary) return env;
    const wanted = new Map<string, PortBinding[]>(Object.entries(c.portBindings));
    if (c.publishAllPorts) for (const p of c.exposedPorts) if (!wanted.get(p)?.length) wanted.set(p, [{ HostIp: '', HostPort: '' }]);
    for (const [key, bindings] of wanted) {
      const { port, proto } = parsePortKey(key);
      for (const b of bindings) {
        const { hostIp, ports } = parseHostBinding(b);
        let last: unknown;
        let held: number | undefined;
        for (const candidate of ports) {
          try {
            held = await this.ports.reserve({ proto, hostIp, hostPort: candidate }, this.proxyTarget(proto, c.networks[primary.id].ip, port));
            break;
          } catch (err) {
            last = err;
          }
        }
        if (held === undefined) {
          const endpoint = c.networks[primary.id].endpointId;
          throw new SystemError(`driver failed programming external connectivity on endpoint ${c.name} (${endpoint}): ${errorMessage(last)}`);
        }
        c.ports.push({ proto, containerPort: port, hostIp: hostIp || '0.0.0.0', hostPort: held, networkId: primary.id });
      }
    }
    return env;
  }

  /** A container's /etc/hosts: extra hosts, links, then its own name on each of its networks (as Docker). */
  private hostsFor(c: ContainerRecord): string {
    const entries: HostsEntry[] = [];
    const extra: HostsEntry[] = c.extraHosts.map((h) => {
      const i = h.indexOf(':');
      let ip = h.slice(i + 1);
      if (ip === 'host-gateway') ip = this.networks.get(this.defaultBridgeId() ?? '')?.gateway ?? '127.0.0.1';
      return { ip, names: [h.slice(0, i)] };
    });
    const bridgeId = this.defaultBridgeId();
    for (const link of c.links) {
      const target = this.findContainer(link.target);
      const ip = bridgeId ? target.networks[bridgeId]?.ip : undefined;
      if (!ip) continue;
      const names = [link.alias, target.hostname];
      if (link.alias !== target.name) names.push(target.name);
      entries.push({ ip, names });
    }
    const fqdn = c.domainname ? `${c.hostname}.${c.domainname} ${c.hostname}` : c.hostname;
    for (const a of Object.values(c.networks)) if (a.ip) entries.push({ ip: a.ip, names: [fqdn] });
    return renderHosts(entries, extra);
  }

  /**
   * After `network connect`/`disconnect` of a running container: its /etc/hosts names it on the
   * networks it is on now. Written in place: the file is bind-mounted, so it must keep its inode.
   */
  private async refreshHosts(c: ContainerRecord): Promise<void> {
    if (c.pid === undefined || c.networkMode === 'host' || c.networkMode.startsWith('container:')) return;
    await writeFile(join(this.store.containerDir(c.id), 'hosts'), this.hostsFor(c));
  }

  private async etcFilesFor(c: ContainerRecord): Promise<{ hosts: string; resolvConf: string; hostname: string }> {
    const host = await hostResolvConf();
    const firstNet = this.networks.get(Object.keys(c.networks)[0] ?? '');
    const userDefined = firstNet && !firstNet.isDefault && this.dns.has(firstNet.id);
    const resolv = userDefined
      ? { nameservers: [firstNet.gateway!], search: c.dnsSearch.length ? c.dnsSearch : host.search, options: c.dnsOptions.length ? c.dnsOptions : ['ndots:0'] }
      : {
        nameservers: c.dns.length ? c.dns : usableNameservers(host.nameservers),
        search: c.dnsSearch.length ? c.dnsSearch : host.search,
        options: c.dnsOptions.length ? c.dnsOptions : host.options,
      };
    return { hosts: this.hostsFor(c), resolvConf: renderResolvConf(resolv), hostname: c.hostname };
  }

  /**
   * After the runtime created the container (its namespace is /proc/<pid>/ns/net), before its process
   * starts: plugs a veth into each network's bridge and installs the published ports' rules.
   */
  async connect(id: string, pid: number): Promise<void> {
    await this.serial(async () => {
      const c = this.containers.get(id);
      if (!c) throw new NotFoundError(`No such container: ${id}`);
      c.pid = pid;
      c.sandboxId = await readlink(`/proc/${pid}/ns/net`).catch(() => undefined);
      await this.store.saveContainerRuntime(c);
      if (c.networkMode === 'host' || c.networkMode.startsWith('container:')) return;
      try {
        let first = true;
        for (const [netId, a] of Object.entries(c.networks)) {
          const n = this.networks.get(netId)!;
          await plugVeth(pid, {
            hostName: a.hostVeth!, bridge: n.bridge!, ifname: a.ifname!, mac: a.mac!,
            cidr: `${a.ip}/${parseCidr(n.subnet!).prefix}`, gateway: first && !n.internal ? n.gateway : undefined,
          });
          if (!n.internal) first = false;
        }
        if (c.ports?.length) await this.applyFirewall();
      } catch (err) {
        await this.releaseLocked(c);
        throw err;
      }
    });
  }

  /** After the container's process exited (or a start failed): frees everything `prepare`/`connect` took. Idempotent. */
  async disconnect(id: string): Promise<void> {
    await this.serial(async () => {
      const c = this.containers.get(id);
      if (c) await this.releaseLocked(c);
    });
  }

  private async releaseLocked(c: ContainerRecord): Promise<void> {
    const hadPorts = Boolean(c.ports?.length);
    await this.clearRuntime(c);
    if (hadPorts) await this.applyFirewall().catch((err) => this.log.warn(`iptables: ${errorMessage(err)}`));
  }

  private async clearRuntime(c: ContainerRecord): Promise<void> {
    const veths: string[] = [];
    for (const [netId, a] of Object.entries(c.networks)) {
      if (a.ip) {
        this.spaces.get(netId)?.release(a.ip);
        if (this.byIp.get(a.ip) === c.id) this.byIp.delete(a.ip);
      }
      if (a.hostVeth) veths.push(a.hostVeth);
      delete a.ip;
      delete a.mac;
      delete a.endpointId;
      delete a.ifname;
      delete a.hostVeth;
    }
    for (const p of c.ports ?? []) this.ports.release({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort });
    const wasRunning = c.pid !== undefined || veths.length > 0;
    delete c.ports;
    delete c.pid;
    delete c.sandboxId;
    // The veths die with the namespace; removing them covers a namespace still held by something else.
    if (veths.length) await unplugVeths(veths).catch(() => {});
    if (wasRunning && this.containers.has(c.id)) await this.store.saveContainerRuntime(c);
  }

  // ---- network connect / disconnect of a container ----

  async connectContainer(networkIdOrName: string, containerIdOrName: string, ep?: EndpointConfig): Promise<void> {
    await this.serial(async () => {
      const n = this.get(networkIdOrName);
      const c = this.findContainer(containerIdOrName);
      if (n.driver !== 'bridge' || c.networkMode === 'host') {
        throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
      }
      if (c.networkMode === 'none' || c.networkMode.startsWith('container:')) {
        throw new ForbiddenError('container sharing network namespace with another container or host cannot be connected to any other network');
      }
      if (c.networks[n.id]) throw new ForbiddenError(`endpoint with name ${c.name} already exists in network ${n.name}`);
      const a = this.attachmentFor(n, c.name, ep);
      c.networks[n.id] = a;
      if (c.pid !== undefined) {
        try {
          const space = this.spaces.get(n.id)!;
          a.ip = space.allocate(a.ipv4Address);
          a.mac = macForIp(parseIp(a.ip));
          a.endpointId = newId();
          const used = new Set(Object.values(c.networks).map((x) => x.ifname).filter(Boolean));
          let i = 0;
          while (used.has(`eth${i}`)) i++;
          a.ifname = `eth${i}`;
          a.hostVeth = hostVethName(c.id, n.id);
          this.byIp.set(a.ip, c.id);
          const hasGateway = Object.entries(c.networks).some(([id, x]) => id !== n.id && x.ip && !this.networks.get(id)?.internal);
          await plugVeth(c.pid, {
            hostName: a.hostVeth, bridge: n.bridge!, ifname: a.ifname, mac: a.mac,
            cidr: `${a.ip}/${parseCidr(n.subnet!).prefix}`, gateway: hasGateway || n.internal ? undefined : n.gateway,
          });
        } catch (err) {
          if (a.ip) this.spaces.get(n.id)?.release(a.ip);
          if (a.ip) this.byIp.delete(a.ip);
          delete c.networks[n.id];
          throw err;
        }
      }
      await this.store.saveContainer(c);
      await this.refreshHosts(c);
    });
  }

  async disconnectContainer(networkIdOrName: string, containerIdOrName: string, force = false): Promise<void> {
    await this.serial(async () => {
      const n = this.get(networkIdOrName);
      let c: ContainerRecord;
      try {
        c = this.findContainer(containerIdOrName);
      } catch (err) {
        if (force) return;
        throw err;
      }
      if (n.driver === 'host') throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
      const a = c.networks[n.id];
      if (!a) throw new ForbiddenError(`container ${c.id} is not connected to network ${n.name}`);
      if (a.hostVeth) await unplugVeths([a.hostVeth]);
      if (a.ip) {
        this.spaces.get(n.id)?.release(a.ip);
        if (this.byIp.get(a.ip) === c.id) this.byIp.delete(a.ip);
      }
      const droppedPorts = (c.ports ?? []).filter((p) => p.networkId === n.id);
      for (const p of droppedPorts) this.ports.release({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort });
      if (c.ports) c.ports = c.ports.filter((p) => p.networkId !== n.id);
      delete c.networks[n.id];
      if (droppedPorts.length) await this.applyFirewall();
      await this.store.saveContainer(c);
      await this.refreshHosts(c);
    });
  }

  // ---- what inspect and list show ----

  /** NetworkSettings of `docker inspect`. */
  networkSettings(id: string): Record<string, unknown> {
    const c = this.containers.get(id);
    const bridgeId = this.defaultBridgeId();
    const onBridge = c && bridgeId ? c.networks[bridgeId] : undefined;
    const networks: Record<string, unknown> = {};
    if (c) {
      if (c.networkMode === 'host' || c.networkMode === 'none') {
        const n = [...this.networks.values()].find((x) => x.predefined && x.name === c.networkMode);
        if (n) networks[n.name] = endpointJson(c, n, { aliases: [], endpointId: c.pid !== undefined ? hashId(c.id + n.id) : undefined });
      }
      for (const [netId, a] of Object.entries(c.networks)) {
        const n = this.networks.get(netId);
        if (n) networks[n.name] = endpointJson(c, n, a);
      }
    }
    const bridge = bridgeId ? this.networks.get(bridgeId) : undefined;
    const running = Boolean(onBridge?.endpointId);
    return {
      Bridge: '',
      SandboxID: c?.sandboxId ? hashId(c.sandboxId) : '',
      SandboxKey: c?.pid !== undefined ? `/proc/${c.pid}/ns/net` : '',
      Ports: c ? this.portMap(c) : {},
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

  /** NetworkSettings.Ports: every exposed port, with its host bindings while running (null if none). */
  private portMap(c: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
    if (c.pid === undefined) return {};
    const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
    for (const key of c.exposedPorts) out[key] = null;
    for (const p of c.ports ?? []) {
      const key = `${p.containerPort}/${p.proto}`;
      (out[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
    }
    return out;
  }

  /** The `Ports` of GET /containers/json. */
  portSummary(id: string): { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] {
    const c = this.containers.get(id);
    if (!c) return [];
    const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
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
    const c = this.containers.get(id);
    if (!c) return [];
    return Object.keys(c.networks).map((nid) => ({ id: nid, name: this.networks.get(nid)?.name ?? nid }));
  }

  // ---- embedded DNS ----

  /** Answers `name` for the container at `sourceIp`, looking at the user-defined networks it is on. */
  private resolve(sourceIp: string, name: string): { addresses: string[] | undefined; upstream: string[] } {
    const askerId = this.byIp.get(sourceIp);
    const asker = askerId ? this.containers.get(askerId) : undefined;
    const upstream = asker?.dns.length ? asker.dns : this.upstreamServers();
    if (!asker) return { addresses: undefined, upstream };
    for (const netId of Object.keys(asker.networks)) {
      const n = this.networks.get(netId);
      if (!n || n.isDefault || n.driver !== 'bridge') continue;
      // Links given on this network are aliases only the linking container sees.
      const linked = (asker.networks[netId].links ?? []).map(parseLink).find((l) => l.alias.toLowerCase() === name);
      const addresses: string[] = [];
      for (const c of this.containers.values()) {
        const a = c.networks[netId];
        if (!a?.ip) continue;
        const names = [c.name, c.id.slice(0, 12), c.id, ...a.aliases].map((x) => x.toLowerCase());
        if (names.includes(name) || (linked && (c.name === linked.target || c.id.startsWith(linked.target)))) addresses.push(a.ip);
      }
      if (addresses.length) return { addresses, upstream };
    }
    return { addresses: undefined, upstream };
  }

  private upstreamCache?: { at: number; servers: string[] };

  private upstreamServers(): string[] {
    return this.upstreamCache?.servers ?? [];
  }

  /** Reads the host's resolvers (refreshed on each container start). */
  async refreshUpstream(): Promise<void> {
    const conf = await hostResolvConf();
    this.upstreamCache = { at: Date.now(), servers: conf.nameservers };
  }
}

function etcPaths(mounts: MountSpec[]): PreparedNetwork['etcPaths'] {
  const find = (dest: string) => mounts.find((m) => m.destination === dest)?.source ?? '';
  return { resolvConf: find('/etc/resolv.conf'), hostname: find('/etc/hostname'), hosts: find('/etc/hosts') };
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function hashId(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The default bridge: `berth0` for the default exec root; any other daemon (tests, a second daemon on
 * the host) gets `berth-<hash>` so two daemons never share one bridge.
 */
export function defaultBridgeName(execRoot: string): string {
  if (execRoot === '/var/run/berth') return 'berth0';
  return `berth-${createHash('sha256').update(execRoot).digest('hex').slice(0, 8)}`;
}

/** Our iptables chains' prefix: `BERTH` for the default exec root, `BERTH-<hash>` for any other daemon. */
export function chainTag(execRoot: string): string {
  if (execRoot === '/var/run/berth') return 'BERTH';
  return `BERTH-${createHash('sha256').update(execRoot).digest('hex').slice(0, 8)}`;
}

export type { LinkSpec };
