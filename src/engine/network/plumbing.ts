import { createHash } from 'node:crypto';
import { ipBatch, ipBatchLenient, ipScript, ipScriptIn, linkExists, runScript, setSysctl } from './host-commands.js';

/**
 * Links in the host's network: Linux bridges for networks, veth pairs for container endpoints.
 * Each operation is at most one `ip -batch` in the host namespace plus one in the container's.
 */

/** Creates the bridge if missing, gives it the gateway address and brings it up. */
export async function ensureBridge(name: string, gatewayCidr: string): Promise<{ created: boolean }> {
  const exists = await linkExists(name);
  const lines: string[] = [];
  if (!exists) lines.push(`link add ${name} type bridge`);
  lines.push(`addr replace ${gatewayCidr} dev ${name}`, `link set ${name} up`);
  await ipBatch(lines);
  // Published ports answer on the host's loopback: DNATed packets from 127.0.0.1 must be routable here.
  await setSysctl(`net/ipv4/conf/${name}/route_localnet`, '1');
  return { created: !exists };
}

export async function removeBridges(names: string[]): Promise<void> {
  const present: string[] = [];
  for (const name of names) if (await linkExists(name)) present.push(name);
  await ipBatchLenient(present.map((n) => `link del ${n}`));
}

/** Host-side veth name for a container's endpoint on a network: stable, so a restart can find it. */
export function hostVethName(containerId: string, networkId: string): string {
  return 'vb' + createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 11);
}

export interface VethSpec {
  hostName: string;
  bridge: string;
  /** Name inside the container: eth0, eth1... */
  ifname: string;
  mac: string;
  /** Address with prefix length, e.g. 172.18.0.2/16. */
  cidr: string;
  /** Default route through this gateway (absent for --internal networks and secondary networks). */
  gateway?: string;
}

/** Plugs a container (its init `pid`) into a bridge. Loopback is brought up by runc in a new namespace. */
export async function plugVeth(pid: number, v: VethSpec): Promise<void> {
  const inside = [`addr add ${v.cidr} dev ${v.ifname}`, `link set ${v.ifname} up`];
  if (v.gateway) inside.push(`route replace default via ${v.gateway} dev ${v.ifname}`);
  // One round trip: the host side, then the container side.
  await runScript([
    ipScript([
      `link add ${v.hostName} type veth peer name ${v.ifname} address ${v.mac} netns ${pid}`,
      `link set ${v.hostName} master ${v.bridge}`,
      // Hairpin lets a container reach its own published port through the host's address.
      `link set ${v.hostName} type bridge_slave hairpin on`,
      `link set ${v.hostName} up`,
    ]),
    ipScriptIn(`/proc/${pid}/ns/net`, inside),
  ], 'connecting the container to its network');
}

/** Removes host-side veths (their peers go with them); missing ones are fine. */
export async function unplugVeths(hostNames: string[]): Promise<void> {
  const present: string[] = [];
  for (const name of hostNames) if (await linkExists(name)) present.push(name);
  await ipBatchLenient(present.map((n) => `link del ${n}`));
}

export async function enableForwarding(): Promise<void> {
  await setSysctl('net/ipv4/ip_forward', '1');
}
