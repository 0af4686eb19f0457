/**
 * Container commands other than run/create/start: ps, stop, kill, restart, rm, logs, wait, rename.
 */
import type { Command } from 'commander';
import { encodeFilters } from '../api-client.js';
import type { Cli } from '../cli.js';
import { CliError, ConnectError } from '../errors.js';
import { CONTAINER_HEADER, ContainerContext, PS_TABLE, type ApiContainer } from '../render/contexts.js';
import { renderList } from '../render/formatter.js';
import { copyRaw, demultiplex } from '../streams.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const path = (name: string, action = ''): string => `/containers/${encodeURIComponent(name)}${action}`;

/** docker's --since/--until: a unix time, an RFC 3339 date, or a duration before now ("10m", "1h30m"). */
export function parseTimestamp(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(value);
  if (duration && value !== '') {
    const [, h, m, s, ms] = duration;
    const total = Number(h ?? 0) * 3600e3 + Number(m ?? 0) * 60e3 + Number(s ?? 0) * 1e3 + Number(ms ?? 0);
    return ((now - total) / 1000).toFixed(9);
  }
  const date = Date.parse(value.includes('T') || value.length <= 10 ? value : value.replace(' ', 'T'));
  if (Number.isNaN(date)) throw new CliError(`invalid value for "since": failed to parse value as time or duration: "${value}"`);
  return (date / 1000).toFixed(9);
}

function parseIntFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`, 125);
  return Number(value);
}

export function registerContainerCommands(program: Command, cli: Cli): void {
  program.command('ps')
    .description('List containers')
    .usage('[OPTIONS]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', '-1')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .action(async (flags: { all?: boolean; filter: string[]; format?: string; last: string; latest?: boolean; trunc: boolean; quiet?: boolean; size?: boolean }) => {
      let last = parseIntFlag('-n, --last', flags.last)!;
      if (flags.latest) last = 1;
      const format = flags.quiet ? '{{.ID}}' : flags.format || 'table';
      const wantSize = Boolean(flags.size) || /\.Size\b|\{\{\s*json\s+\.\s*\}\}/.test(format) || format === 'json';
      const containers = await cli.client.json<ApiContainer[]>('GET', '/containers/json', {
        query: {
          all: flags.all || last > 0 || undefined,
          limit: last > 0 ? last : undefined,
          size: wantSize || undefined,
          filters: encodeFilters(flags.filter),
        },
      });
      const now = Date.now();
      const rows = (containers ?? []).map((c) => new ContainerContext(c, flags.trunc, now));
      const table = flags.size && (!flags.format || flags.format === 'table') ? `${PS_TABLE}\t{{.Size}}` : PS_TABLE;
      await cli.out(renderList(format, table, rows, CONTAINER_HEADER));
    });

  // stop and restart: the same flags, one request per container, its name printed on success.
  for (const [verb, description] of [['stop', 'Stop one or more running containers'], ['restart', 'Restart one or more containers']] as const) {
    program.command(verb)
      .description(description)
      .usage('[OPTIONS] CONTAINER [CONTAINER...]')
      .argument('<containers...>')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .option('-t, --timeout <int>', 'Seconds to wait before killing the container')
      .action(async (names: string[], flags: { signal?: string; timeout?: string }) => {
        const t = parseIntFlag('-t, --timeout', flags.timeout);
        await cli.forEachOrFail(names, async (name) => {
          await cli.client.request('POST', path(name, `/${verb}`), { query: { t, signal: flags.signal } });
          await cli.out(`${name}\n`);
        });
      });
  }

  program.command('kill')
    .description('Kill one or more running containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action(async (names: string[], flags: { signal?: string }) => {
      await cli.forEachOrFail(names, async (name) => {
        await cli.client.request('POST', path(name, '/kill'), { query: { signal: flags.signal } });
        await cli.out(`${name}\n`);
      });
    });

  program.command('rm')
    .description('Remove one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action(async (names: string[], flags: { force?: boolean; link?: boolean; volumes?: boolean }) => {
      await cli.forEachOrFail(names, async (name) => {
        const trimmed = name.replace(/^\/+/, '');
        if (!trimmed) throw new CliError('Error response from daemon: Container name cannot be empty');
        await cli.client.request('DELETE', path(trimmed), {
          query: { force: flags.force || undefined, v: flags.volumes || undefined, link: flags.link || undefined },
        });
        await cli.out(`${name}\n`);
      });
    });

  program.command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .usage('CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .action(async (names: string[]) => {
      await cli.forEachOrFail(names, async (name) => {
        const res = await cli.client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', path(name, '/wait'));
        if (res?.Error?.Message) throw new CliError(res.Error.Message);
        await cli.out(`${res?.StatusCode ?? 0}\n`);
      });
    });

  program.command('rename')
    .description('Rename a container')
    .usage('CONTAINER NEW_NAME')
    .argument('<container>')
    .argument('<newName>')
    .action(async (name: string, newName: string) => {
      const target = newName.trim();
      if (!name.trim() || !target) throw new CliError('Error: Neither old nor new names may be empty');
      try {
        await cli.client.request('POST', path(name, '/rename'), { query: { name: target } });
      } catch (err) {
        if (!(err instanceof CliError) || err instanceof ConnectError) throw err;
        throw new CliError(`${err.message}\nError: failed to rename container named ${name}`);
      }
    });

  program.command('logs')
    .description('Fetch the logs of a container')
    .usage('[OPTIONS] CONTAINER')
    .argument('<container>')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .action(async (name: string, flags: { details?: boolean; follow?: boolean; since?: string; tail: string; timestamps?: boolean; until?: string }) => {
      const info = await cli.client.json<{ Config?: { Tty?: boolean } }>('GET', path(name, '/json'));
      const res = await cli.client.stream('GET', path(name, '/logs'), {
        query: {
          stdout: true,
          stderr: true,
          follow: flags.follow || undefined,
          since: flags.since ? parseTimestamp(flags.since) : undefined,
          until: flags.until ? parseTimestamp(flags.until) : undefined,
          timestamps: flags.timestamps || undefined,
          details: flags.details || undefined,
          tail: flags.tail,
        },
      });
      if (info?.Config?.Tty) await copyRaw(res, process.stdout);
      else await demultiplex(res, process.stdout, process.stderr);
    });
}
