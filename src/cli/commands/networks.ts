/**
 * `network` and `volume`: create, ls, inspect, rm, prune (plus connect/disconnect for networks).
 */
import type { Command } from 'commander';
import { compareVersions, encodeFilters } from '../api-client.js';
import type { Cli } from '../cli.js';
import { CliError, DaemonError } from '../errors.js';
import { confirm } from '../prompt.js';
import { renderList } from '../render/formatter.js';
import {
  NETWORK_HEADER, NETWORK_TABLE, NetworkContext, VOLUME_HEADER, VOLUME_TABLE, VolumeContext, type ApiNetwork, type ApiVolume,
} from '../render/objects.js';
import { naturalLess, pruneReport } from './container-ops.js';
import { registerInspectSubcommand } from './system.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const enc = encodeURIComponent;

/** "k=v" flags into a map; a bare key maps to "". */
function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

interface NetworkCreateFlags {
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
function ipamConfig(flags: NetworkCreateFlags): Record<string, string>[] {
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
    .action(async (name: string, flags: NetworkCreateFlags) => {
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
    });

  network.command('ls')
    .aliases(['list'])
    .description('List networks')
    .usage('[OPTIONS]')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs')
    .action(async (flags: { filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      const list = await cli.client.json<ApiNetwork[]>('GET', '/networks', { query: { filters: encodeFilters(flags.filter) } });
      const rows = [...(list ?? [])].sort((a, b) => naturalLess(a.Name, b.Name)).map((n) => new NetworkContext(n, flags.trunc));
      const format = flags.quiet ? '{{.ID}}' : flags.format || 'table';
      await cli.out(renderList(format, NETWORK_TABLE, rows, NETWORK_HEADER));
    });

  registerInspectSubcommand(network, cli, 'network').option('-v, --verbose', 'Verbose output for diagnostics');

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
    .action(async (net: string, container: string, flags: { alias: string[]; driverOpt: string[]; ip?: string; ip6?: string; link: string[]; linkLocalIp: string[] }) => {
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
    });

  network.command('disconnect')
    .description('Disconnect a container from a network')
    .usage('[OPTIONS] NETWORK CONTAINER')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(async (net: string, container: string, flags: { force?: boolean }) => {
      await cli.client.request('POST', `/networks/${enc(net)}/disconnect`, { body: { Container: container, Force: Boolean(flags.force) } });
    });

  network.command('rm')
    .aliases(['remove'])
    .description('Remove one or more networks')
    .usage('NETWORK [NETWORK...]')
    .argument('<networks...>')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action(async (names: string[], flags: { force?: boolean }) => {
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
    });

  network.command('prune')
    .description('Remove all unused networks')
    .usage('[OPTIONS]')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (flags: { filter: string[]; force?: boolean }) => {
      if (!flags.force && !(await confirm(cli, 'WARNING! This will remove all custom networks not used by at least one container.'))) return;
      const res = await cli.client.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: encodeFilters(flags.filter) } });
      await cli.out(pruneReport('Deleted Networks', res.NetworksDeleted ?? []));
    });
}

export function registerVolumeCommands(program: Command, cli: Cli): void {
  const volume = program.command('volume').description('Manage volumes');

  volume.command('create')
    .description('Create a volume')
    .usage('[OPTIONS] [VOLUME]')
    .argument('[name]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect, [])
    .option('--name <string>', 'Specify volume name')
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .action(async (name: string | undefined, flags: { driver: string; label: string[]; name?: string; opt: string[] }) => {
      if (name && flags.name) throw new CliError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
      const res = await cli.client.json<ApiVolume>('POST', '/volumes/create', {
        body: { Driver: flags.driver, DriverOpts: keyValues(flags.opt), Labels: keyValues(flags.label), Name: name ?? flags.name ?? '' },
      });
      await cli.out(`${res.Name}\n`);
    });

  volume.command('ls')
    .aliases(['list'])
    .description('List volumes')
    .usage('[OPTIONS]')
    .option('-f, --filter <filter>', "Provide filter values (e.g. \"dangling=true\")", collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display volume names')
    .action(async (flags: { filter: string[]; format?: string; quiet?: boolean }) => {
      const res = await cli.client.json<{ Volumes?: ApiVolume[] | null; Warnings?: string[] | null }>('GET', '/volumes', {
        query: { filters: encodeFilters(flags.filter) },
      });
      const rows = [...(res.Volumes ?? [])].sort((a, b) => naturalLess(a.Name, b.Name)).map((v) => new VolumeContext(v));
      const format = flags.quiet ? '{{.Name}}' : flags.format || 'table';
      await cli.out(renderList(format, VOLUME_TABLE, rows, VOLUME_HEADER));
      for (const w of res.Warnings ?? []) await cli.err(`${w}\n`);
    });

  registerInspectSubcommand(volume, cli, 'volume');

  volume.command('rm')
    .aliases(['remove'])
    .description('Remove one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .argument('<volumes...>')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], flags: { force?: boolean }) => {
      await cli.forEachOrFail(names, async (name) => {
        await cli.client.request('DELETE', `/volumes/${enc(name)}`, { query: { force: flags.force || undefined } });
        await cli.out(`${name}\n`);
      });
    });

  volume.command('prune')
    .description('Remove unused local volumes')
    .usage('[OPTIONS]')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (flags: { all?: boolean; filter: string[]; force?: boolean }) => {
      const version = await cli.client.apiVersion();
      const anonymousOnly = compareVersions(version, '1.42') >= 0;
      if (flags.all && !anonymousOnly) throw new CliError(`"--all" requires API version 1.42, but the Berth daemon API version is ${version}`);
      const warning = anonymousOnly && !flags.all
        ? 'WARNING! This will remove anonymous local volumes not used by at least one container.'
        : 'WARNING! This will remove all local volumes not used by at least one container.';
      if (!flags.force && !(await confirm(cli, warning))) return;
      const filters = [...flags.filter, ...(flags.all ? ['all=true'] : [])];
      const res = await cli.client.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/volumes/prune', {
        query: { filters: encodeFilters(filters) },
      });
      await cli.out(pruneReport('Deleted Volumes', res.VolumesDeleted ?? [], res.SpaceReclaimed ?? 0));
    });
}
