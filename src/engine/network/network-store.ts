import { readdir, rm, mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-file.js';
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
  /** Links given for this network (user-defined networks: aliases seen only by this container). */
  links?: string[];
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

/** What networking knows of a container, persisted under <data-root>/network/containers/<id>/. */
export interface ContainerRecord {
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

export class NetworkStore {
  constructor(readonly root: string) {}

  private networkPath(id: string): string {
    return join(this.root, 'networks', `${id}.json`);
  }

  containerDir(id: string): string {
    return join(this.root, 'containers', id);
  }

  async loadNetworks(): Promise<NetworkRecord[]> {
    return this.loadAll<NetworkRecord>(join(this.root, 'networks'), (name) => name.endsWith('.json') ? join(this.root, 'networks', name) : undefined);
  }

  async loadContainers(): Promise<ContainerRecord[]> {
    return this.loadAll<ContainerRecord>(join(this.root, 'containers'), (name) => join(this.root, 'containers', name, 'network.json'));
  }

  private async loadAll<T>(dir: string, pathOf: (name: string) => string | undefined): Promise<T[]> {
    await mkdir(dir, { recursive: true });
    const out: T[] = [];
    for (const name of await readdir(dir)) {
      const path = pathOf(name);
      if (!path) continue;
      const record = await readJsonIfExists<T>(path).catch(() => undefined);
      if (record) out.push(record);
    }
    return out;
  }

  saveNetwork(n: NetworkRecord): Promise<void> {
    return writeJsonAtomic(this.networkPath(n.id), n);
  }

  async deleteNetwork(id: string): Promise<void> {
    await rm(this.networkPath(id), { force: true });
  }

  saveContainer(c: ContainerRecord): Promise<void> {
    return writeJsonAtomic(join(this.containerDir(c.id), 'network.json'), c);
  }

  /**
   * Saves what changes at every start and exit (addresses, pid, ports) without fsync: a crash of the
   * daemon keeps what was written, and after a crash of the machine no container runs anyway. The
   * rename still makes the file whole, old or new.
   */
  async saveContainerRuntime(c: ContainerRecord): Promise<void> {
    const path = join(this.containerDir(c.id), 'network.json');
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(c));
    await rename(tmp, path);
  }

  async deleteContainer(id: string): Promise<void> {
    await rm(this.containerDir(id), { recursive: true, force: true });
  }
}
