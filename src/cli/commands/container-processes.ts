/**
 * Container commands that look into one container: top, port, diff.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { naturalLess } from '../render/natural-sort.js';
import { tabwrite } from '../render/tabwriter.js';
import { containerPath } from './flags.js';

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** The lines of `port`: every mapping ("80/tcp -> 0.0.0.0:10001") or one port's host addresses. */
export function portLines(ports: PortMap | null | undefined, container: string, port?: string): string[] {
  const out: string[] = [];
  if (port !== undefined) {
    const slash = port.indexOf('/');
    const num = slash < 0 ? port : port.slice(0, slash);
    const proto = slash < 0 || port.slice(slash + 1) === '' ? 'tcp' : port.slice(slash + 1);
    if (!/^\d+$/.test(num) || Number(num) > 65535) {
      const reason = /^\d+$/.test(num) ? 'value out of range' : 'invalid syntax';
      throw new CliError(`Error: invalid port (${num}): strconv.ParseUint: parsing "${num}": ${reason}`);
    }
    const frontends = ports?.[`${num}/${proto}`];
    if (!frontends || frontends.length === 0) throw new CliError(`Error: No public port '${port}' published for ${container}`);
    for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports ?? {})) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  return out.sort(naturalLess);
}

/** `top`: the daemon's ps columns in docker's tabwriter (minwidth 20, padding 3). */
export function renderTop(top: { Titles: string[]; Processes: string[][] | null }): string {
  let text = `${top.Titles.join('\t')}\n`;
  for (const p of top.Processes ?? []) text += `${p.join('\t')}\n`;
  return tabwrite(text, { minwidth: 20, padding: 3 });
}
const CHANGE_KINDS = ['C', 'A', 'D'];

export async function runTop(cli: Cli, name: string, psArgs: string[]): Promise<void> {
  const top = await cli.client.json<{ Titles: string[]; Processes: string[][] | null }>('GET', containerPath(name, '/top'), {
    query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
  });
  await cli.out(renderTop(top));
}

export async function runPort(cli: Cli, name: string, port: string | undefined): Promise<void> {
  const info = await cli.client.json<{ NetworkSettings?: { Ports?: PortMap | null } }>('GET', containerPath(name, '/json'));
  const lines = portLines(info.NetworkSettings?.Ports, name, port);
  if (lines.length) await cli.out(`${lines.join('\n')}\n`);
}

export async function runDiff(cli: Cli, name: string): Promise<void> {
  const changes = await cli.client.json<{ Path: string; Kind: number }[] | null>('GET', containerPath(name, '/changes'));
  await cli.out((changes ?? []).map((c) => `${CHANGE_KINDS[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
}

export function registerProcessCommands(program: Command, cli: Cli): void {
  program.command('top')
    .description('Display the running processes of a container')
    .usage('CONTAINER [ps OPTIONS]')
    .argument('<container>')
    .argument('[psArgs...]')
    .passThroughOptions()
    .allowUnknownOption()
    .action((name: string, psArgs: string[]) => runTop(cli, name, psArgs));
  program.command('port')
    .description('List port mappings or a specific mapping for the container')
    .usage('CONTAINER [PRIVATE_PORT[/PROTO]]')
    .argument('<container>')
    .argument('[port]')
    .action((name: string, port: string | undefined) => runPort(cli, name, port));
  program.command('diff')
    .description("Inspect changes to files or directories on a container's filesystem")
    .usage('CONTAINER')
    .argument('<container>')
    .action((name: string) => runDiff(cli, name));
}
