import { writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { ContainerLookup } from './container-registry.js';
import {
  copyHostEtcFiles, etcMounts, hostResolvConf, renderHosts, renderResolvConf, usableNameservers, writeEtcFiles,
  type HostsEntry, type MountSpec,
} from './etc-files.js';
import type { NetworkLookup } from './network-registry.js';
import type { ContainerNetworkRecord } from './network-store.js';
import type { PreparedNetwork } from './network-types.js';

export interface EtcLookups {
  networks: Pick<NetworkLookup, 'byId' | 'defaultBridge'>;
  containers: Pick<ContainerLookup, 'get'>;
  /** Whether a network's containers use the embedded DNS (its gateway) as their nameserver. */
  dnsServes(networkId: string): boolean;
  /** Where a container's files live (beside its network record). */
  containerDir(id: string): string;
}

/**
 * A container's /etc/hosts, /etc/resolv.conf and /etc/hostname: what goes in them, and the mounts
 * that put them (or the host's, or another container's) over the image's files.
 */
export class ContainerEtc {
  constructor(private readonly lookups: EtcLookups) {}

  /** `--network host`: copies of the host's files, the host's name. */
  async forHostNetwork(c: ContainerNetworkRecord): Promise<PreparedNetwork> {
    const mounts = await copyHostEtcFiles(this.lookups.containerDir(c.id), osHostname());
    return { network: 'host', mounts, hostname: osHostname(), env: [], etcPaths: etcPaths(mounts) };
  }

  /** `--network container:<id>`: the files and name of the container whose namespace it joins. */
  forJoinedNetwork(target: ContainerNetworkRecord, pid: number): PreparedNetwork {
    const mounts = etcMounts(this.lookups.containerDir(target.id));
    return { network: { path: `/proc/${pid}/ns/net` }, mounts, hostname: target.hostname, env: [], etcPaths: etcPaths(mounts) };
  }

  /** A namespace of its own: writes the container's files (after its addresses were taken). */
  async forOwnNetwork(c: ContainerNetworkRecord, env: string[]): Promise<PreparedNetwork> {
    const mounts = await writeEtcFiles(this.lookups.containerDir(c.id), await this.filesFor(c));
    return { network: 'new', mounts, hostname: c.hostname, env, etcPaths: etcPaths(mounts) };
  }

  /** A container's /etc/hosts: extra hosts, links, then its own name on each of its networks (as Docker). */
  hostsFor(c: ContainerNetworkRecord): string {
    const { networks, containers } = this.lookups;
    const entries: HostsEntry[] = [];
    const extra: HostsEntry[] = c.extraHosts.map((h) => {
      const i = h.indexOf(':');
      let ip = h.slice(i + 1);
      if (ip === 'host-gateway') ip = networks.defaultBridge()?.gateway ?? '127.0.0.1';
      return { ip, names: [h.slice(0, i)] };
    });
    const bridgeId = networks.defaultBridge()?.id;
    for (const link of c.links) {
      const target = containers.get(link.target);
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
  async refreshHosts(c: ContainerNetworkRecord): Promise<void> {
    if (c.pid === undefined || c.networkMode === 'host' || c.networkMode.startsWith('container:')) return;
    await writeFile(join(this.lookups.containerDir(c.id), 'hosts'), this.hostsFor(c));
  }

  /** On a user-defined network the embedded DNS answers; elsewhere the host's resolvers (or `--dns`). */
  private async filesFor(c: ContainerNetworkRecord): Promise<{ hosts: string; resolvConf: string; hostname: string }> {
    const host = await hostResolvConf();
    const firstNet = this.lookups.networks.byId(Object.keys(c.networks)[0] ?? '');
    const userDefined = firstNet && !firstNet.isDefault && this.lookups.dnsServes(firstNet.id);
    const resolv = userDefined
      ? { nameservers: [firstNet.gateway!], search: c.dnsSearch.length ? c.dnsSearch : host.search, options: c.dnsOptions.length ? c.dnsOptions : ['ndots:0'] }
      : {
        nameservers: c.dns.length ? c.dns : usableNameservers(host.nameservers),
        search: c.dnsSearch.length ? c.dnsSearch : host.search,
        options: c.dnsOptions.length ? c.dnsOptions : host.options,
      };
    return { hosts: this.hostsFor(c), resolvConf: renderResolvConf(resolv), hostname: c.hostname };
  }
}

function etcPaths(mounts: MountSpec[]): PreparedNetwork['etcPaths'] {
  const find = (dest: string) => mounts.find((m) => m.destination === dest)?.source ?? '';
  return { resolvConf: find('/etc/resolv.conf'), hostname: find('/etc/hostname'), hosts: find('/etc/hosts') };
}
