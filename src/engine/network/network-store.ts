import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '../base/log.js';
import { RecordStore } from '../store/record-store.js';
import type { StoreLog } from '../store/record-file.js';
import type { LinkSpec } from './links.js';

/** A network as persisted under <data-root>/network/networks/<id>.json. */
export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: 'bridge' | 'host' | 'null';
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** Bridge networks: the Linux bridge, the subnet and its gateway. */
  bridge?: string;
  subnet?: string;
  gateway?: string;
  /** The user gave the subnet (`--subnet`), so IPAM.Config echoes it and --ip is allowed. */
  userSubnet?: boolean;
  /** True when Berth made the Linux bridge (so Berth removes it); false for an existing `-b` bridge. */
  ownsBridge?: boolean;
  /** `bridge`, `host` and `none`: made by the daemon, never removed by users. */
  predefined: boolean;
  /** The default bridge (`bridge`): no DNS, links allowed. */
  isDefault?: boolean;
}

/** One container's attachment to one network. */
export interface Attachment {
  aliases: string[];
  /** `--ip` asked for. */
  ipv4Address?: string;
  /** `--mac-address` asked for (normalised); else the MAC is made from the address at each start. */
  macAddress?: string;
  /** Links given for this network (user-defined networks: aliases seen only by this container). */
  links?: string[];
  /** The endpoint's DriverOpts as given. */
  driverOpts?: Record<string, string>;
  /** Set while the container runs. */
  endpointId?: string;
  ip?: string;
  mac?: string;
  ifname?: string;
  hostVeth?: string;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface PublishedPort {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
  /** Network (id) whose address the port is forwarded to. */
  networkId: string;
}

/**
 * What networking knows of a container, persisted under <data-root>/network/containers/<id>/ (the
 * engine's own record of a container is containers/container-types.ts's ContainerNetworkRecord).
 */
export interface ContainerNetworkRecord {
  id: string;
  name: string;
  hostname: string;
  domainname: string;
  /** HostConfig.NetworkMode as normalised: 'bridge', 'none', 'host', 'container:<id>' or a network name. */
  networkMode: string;
  portBindings: Record<string, PortBinding[]>;
  publishAllPorts: boolean;
  exposedPorts: string[];
  links: LinkSpec[];
  env: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
  /** Network id -> attachment. */
  networks: Record<string, Attachment>;
  /** While running: the init pid whose namespace holds the endpoints. */
  pid?: number;
  sandboxId?: string;
  ports?: PublishedPort[];
}

/**
 * Networking's state on disk, in RecordStore records: `networks/<id>.json` per network and
 * `containers/<id>/network.json` per container networking knows.
 */
export class NetworkStore {
  private readonly networks: RecordStore<NetworkRecord>;
  private readonly containers: RecordStore<ContainerNetworkRecord>;

  constructor(readonly root: string, log: StoreLog = new Logger()) {
    this.networks = new RecordStore<NetworkRecord>({ kind: 'network', version: 1, dir: join(root, 'networks'), log });
    this.containers = new RecordStore<ContainerNetworkRecord>({
      kind: 'container network', version: 1, dir: join(root, 'containers'), file: 'network.json', log,
      // What the runtime save of the version before RecordStore left when cut short.
      legacyTempName: /^network\.json\.\d+\.tmp$/,
    });
  }

  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  /** Every network saved; a damaged record is reported to the log and left out. */
  async loadNetworks(): Promise<NetworkRecord[]> {
    return [...(await this.networks.loadAll()).records.values()];
  }

  /** Every container's networking saved; a damaged record is reported to the log and left out. */
  async loadContainers(): Promise<ContainerNetworkRecord[]> {
    return [...(await this.containers.loadAll()).records.values()];
  }

  saveNetwork(n: NetworkRecord): Promise<void> {
    return this.networks.put(n.id, n);
  }

  async deleteNetwork(id: string): Promise<void> {
    await this.networks.delete(id);
  }

  saveContainer(c: ContainerNetworkRecord): Promise<void> {
    return this.containers.put(c.id, c);
  }

  /**
   * Saves what changes at every start and exit (addresses, pid, ports) without fsync: a crash of the
   * daemon keeps what was written, and after a crash of the machine no container runs anyway. The
   * rename still makes the file whole, old or new.
   */
  async saveContainerRuntime(c: ContainerNetworkRecord): Promise<void> {
    await this.containers.put(c.id, c, { durable: false });
  }

  async deleteContainer(id: string): Promise<void> {
    await this.containers.delete(id, () => rm(this.containerDir(id), { recursive: true, force: true }));
  }
}
