/**
 * The `run`/`create` flags for an endpoint's addresses (--ip, --ip6, --mac-address) and --volumes-from,
 * put into the create body where the docker CLI puts them (--no-healthcheck is in health-flags.ts).
 */
import type { Command } from 'commander';
import { collect } from './flags.js';

export interface EndpointVolumeFlags {
  ip?: string;
  ip6?: string;
  macAddress?: string;
  volumesFrom: string[];
}

export function addEndpointVolumeFlags(cmd: Command): Command {
  return cmd
    .option('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <string>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect, []);
}

/**
 * Adds the flags' fields to `body`: the addresses go to the endpoint of the network mode (keyed by the
 * mode's name, `default` included, as the docker CLI keys it), --volumes-from to HostConfig.
 */
export function applyEndpointVolumeFlags(flags: EndpointVolumeFlags, body: Record<string, unknown>): void {
  const host = body.HostConfig as Record<string, unknown>;
  if (flags.volumesFrom.length) host.VolumesFrom = flags.volumesFrom;
  if (!flags.ip && !flags.ip6 && !flags.macAddress) return;
  const networking = body.NetworkingConfig as { EndpointsConfig: Record<string, Record<string, unknown>> };
  const key = (host.NetworkMode as string | undefined) || 'default';
  const endpoint = (networking.EndpointsConfig[key] ??= {});
  if (flags.ip || flags.ip6) endpoint.IPAMConfig = { ...(flags.ip ? { IPv4Address: flags.ip } : {}), ...(flags.ip6 ? { IPv6Address: flags.ip6 } : {}) };
  if (flags.macAddress) endpoint.MacAddress = flags.macAddress;
}
