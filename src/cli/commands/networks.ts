/**
 * `network`: create, ls, inspect, connect, disconnect, rm, prune.
 */
import type { Command } from 'commander';
import { compareVersions, encodeFilters } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError, DaemonError } from '../base/errors.js';
import { confirm } from '../client/prompt.js';
import { renderList } from '../render/formatter.js';
import { NETWORK_HEADER, NETWORK_TABLE, NetworkContext, type ApiNetwork } from '../render/objects.js';
import { naturalLess } from '../render/natural-sort.js';
import { pruneReport } from '../render/prune.js';
import { collect, keyValues } from './flags.js';
import { registerInspectSubcommand } from './system.js';

const enc = encodeURIComponent;

export interface NetworkCreateOptions {
  driver: string;
  subnet: string[];
  gateway: string[];
  ipRange: string[];
  internal?: boolean;
  attachable?: boolean;
  label: string[];
  opt: string[];
  ipamDriver: string;
  ipv6?: boolean;
}

/** docker's IPAM config: one entry per subnet, each gateway/ip-range matched to the subnet holding it. */
function ipamConfig(flags: NetworkCreateOptions): Record<string, string>[] {
  if (flags.subnet.length === 0 && (flags.gateway.length || flags.ipRange.length)) {
    throw new CliError('every ip-range or gateway must have a corresponding subnet');
  }
  const configs = flags.subnet.map((s) => ({ Subnet: s } as Record<string, string>));
  const inSubnet = (ip: string, subnet: string): boolean => {
    const [net, bits] = subnet.split('/');
    const toInt = (a: string): number => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    if (!net || bits === undefined || ip.includes(':') || net.includes(':')) return true;
    const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
    return Math.floor(toInt(ip.split('/')[0]!) / 2 ** (32 - Number(bits))) === Math.floor((toInt(net) & mask) / 2 ** (32 - Number(bits)));
  };
  for (const [list, key] of [[flags.ipRange, 'IPRange'], [flags.gateway, 'Gateway']] as const) {
    for (const value of list) {
      const match = configs.find((c) => inSubnet(value, c.Subnet!));
      if (!match) throw new CliError(`no matching subnet for ${key === 'Gateway' ? 'gateway' : 'range'} ${value}`);
      if (match[key]) throw new CliError(`cannot configure multiple ${key === 'Gateway' ? 'gateways' : 'ranges'} (${value}, ${match[key]}) on the same subnet (${match.Subnet})`);
      match[key] = value;
    }
  }
  return configs;
}

export async function runNetworkCreate(cli: Cli, name: string, flags: NetworkCreateOptions): Promise<void> {
  const old = compareVersions(await cli.client.apiVersion(), '1.44') < 0;
  const res = await cli.client.json<{ Id: string; Warning?: string }>('POST', '/networks/create', {
    body: {
      Name: name,
      Driver: flags.driver,
      Scope: '',
      ...(flags.ipv6 ? { EnableIPv6: true } : {}),
      IPAM: { Driver: flags.ipamDriver, Options: {}, Config: ipamConfig(flags) },
      Internal: Boolean(flags.internal),
      Attachable: Boolean(flags.attachable),
      Ingress: false,
      ConfigOnly: false,
      ConfigFrom: null,
      Options: keyValues(flags.opt),
      Labels: keyValues(flags.label),
      ...(old ? { CheckDuplicate: true } : {}),
    },
  });
  if (res.Warning) await cli.err(`${res.Warning}\n`);
  await cli.out(`${res.Id}\n`);
}

export interface NetworkListOptions {
  filter: string[];
  format?: string;
  trunc: boolean;
  quiet?: boolean;
}

export async function runNetworkList(cli: Cli, flags: NetworkListOptions): Promise<void> {
  const list = await cli.client.json<ApiNetwork[]>('GET', '/networks', { query: { filters: encodeFilters(flags.filter) } });
  const rows = [...(list ?? [])].sort((a, b) => naturalLess(a.Name, b.Name)).map((n) => new NetworkContext(n, flags.trunc));
  const format = flags.quiet ? '{{.ID}}' : flags.format || 'table';
  await cli.out(renderList(format, NETWORK_TABLE, rows, NETWORK_HEADER));
}

export interface NetworkConnectOptions {
  alias: string[];
  driverOpt: string[];
  ip?: string;
  ip6?: string;
  link: string[];
  linkLocalIp: string[];
}

export async function runNetworkConnect(cli: Cli, net: string, container: string, flags: NetworkConnectOptions): Promise<void> {
  const ipam = flags.ip || flags.ip6 || flags.linkLocalIp.length
    ? { IPv4Address: flags.ip ?? '', IPv6Address: flags.ip6 ?? '', ...(flags.linkLocalIp.length ? { LinkLocalIPs: flags.linkLocalIp } : {}) }
    : undefined;
  await cli.client.request('POST', `/networks/${enc(net)}/connect`, {
    body: {
      Container: container,
      EndpointConfig: {
        ...(ipam ? { IPAMConfig: ipam } : {}),
        Links: flags.link.length ? flags.link : null,
        Aliases: flags.alias.length ? flags.alias : null,
        DriverOpts: keyValues(flags.driverOpt),
      },
    },
  });
}

export async function runNetworkDisconnect(cli: Cli, net: string, container: string, flags: { force?: boolean }): Promise<void> {
  await cli.client.request('POST', `/networks/${enc(net)}/disconnect`, { body: { Container: container, Force: Boolean(flags.force) } });
}

export async function runNetworkRemove(cli: Cli, names: string[], flags: { force?: boolean }): Promise<void> {
  const failed = await cli.forEach(names, async (name) => {
    try {
      await cli.client.request('DELETE', `/networks/${enc(name)}`);
    } catch (err) {
      if (flags.force && err instanceof DaemonError && err.status === 404) return;
      throw err;
    }
    await cli.out(`${name}\n`);
  });
  // docker ends a failed network rm with its status error's own text
  if (failed.length) throw new CliError('exit status 1');
}

export async function runNetworkPrune(cli: Cli, flags: { filter: string[]; force?: boolean }): Promise<void> {
  if (!flags.force && !(await confirm(cli, 'WARNING! This will remove all custom networks not used by at least one container.'))) return;
  const res = await cli.client.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: encodeFilters(flags.filter) } });
  await cli.out(pruneReport('Deleted Networks', res.NetworksDeleted ?? []));
}

export function registerNetworkCommands(program: Command, cli: Cli): void {
  const network = program.command('network').description('Manage networks');
  network.command('create')
    .description('Create a network')
    .usage('[OPTIONS] NETWORK')
    .argument('<name>')
    .option('--attachable', 'Enable manual container attachment')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', collect, [])
    .option('--internal', 'Restrict external access to the network')
    .option('--ip-range <strings>', 'Allocate container ip from a sub-range', collect, [])
    .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
    .option('--ipv6', 'Enable or disable IPv6 address assignment')
    .option('--label <list>', 'Set metadata on a network', collect, [])
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', collect, [])
    .action((name: string, flags: NetworkCreateOptions) => runNetworkCreate(cli, name, flags));
  network.command('ls')
    .aliases(['list'])
    .description('List networks')
    .usage('[OPTIONS]')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs')
    .action((flags: NetworkListOptions) => runNetworkList(cli, flags));
  registerInspectSubcommand(network, cli, 'network').option('-v, --verbose', 'Verbose output for diagnostics');
  registerConnectCommands(network, cli);
  network.command('rm')
    .aliases(['remove'])
    .description('Remove one or more networks')
    .usage('NETWORK [NETWORK...]')
    .argument('<networks...>')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action((names: string[], flags: { force?: boolean }) => runNetworkRemove(cli, names, flags));
  network.command('prune')
    .description('Remove all unused networks')
    .usage('[OPTIONS]')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action((flags: { filter: string[]; force?: boolean }) => runNetworkPrune(cli, flags));
}

function registerConnectCommands(network: Command, cli: Cli): void {
  network.command('connect')
    .description('Connect a container to a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <strings>', 'Add network-scoped alias for the container', collect, [])
    .option('--driver-opt <strings>', 'driver options for the network', collect, [])
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
    .option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")')
    .option('--link <list>', 'Add link to another container', collect, [])
    .option('--link-local-ip <strings>', 'Add a link-local address for the container', collect, [])
    .action((net: string, container: string, flags: NetworkConnectOptions) => runNetworkConnect(cli, net, container, flags));
  network.command('disconnect')
    .description('Disconnect a container from a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action((net: string, container: string, flags: { force?: boolean }) => runNetworkDisconnect(cli, net, container, flags));
}
