/**
 * Container commands other than run/create/start: ps (here), stop, kill, restart, rm, wait, rename
 * (container-lifecycle.ts), logs (container-logs.ts).
 */
import type { Command } from 'commander';
import { encodeFilters } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CONTAINER_HEADER, ContainerContext, PS_TABLE, type ApiContainer } from '../render/contexts.js';
import { renderList } from '../render/formatter.js';
import { registerLifecycleCommands } from './container-lifecycle.js';
import { registerLogsCommand } from './container-logs.js';
import { collect, intFlag } from './flags.js';

export interface PsOptions {
  all?: boolean;
  filter: string[];
  format?: string;
  last: string;
  latest?: boolean;
  trunc: boolean;
  quiet?: boolean;
  size?: boolean;
}

export async function runPs(cli: Cli, flags: PsOptions): Promise<void> {
  let last = intFlag('-n, --last', flags.last, 125);
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
    .action((flags: PsOptions) => runPs(cli, flags));
  registerLifecycleCommands(program, cli);
  registerLogsCommand(program, cli);
}
