/**
 * `system df [-v] [--format]`: disk usage of images, containers, local volumes and the build cache,
 * from GET /system/df, printed as docker prints it (src/cli/render/disk-usage.ts).
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { renderDiskUsage, renderDiskUsageVerbose, type ApiDiskUsage } from '../render/disk-usage.js';

export interface SystemDfFlags {
  format?: string;
  verbose?: boolean;
}

export async function runSystemDf(cli: Cli, flags: SystemDfFlags): Promise<void> {
  const du = await cli.client.json<ApiDiskUsage>('GET', '/system/df');
  const format = flags.format || 'table';
  await cli.out(flags.verbose ? renderDiskUsageVerbose(du, format) : renderDiskUsage(du, format));
}

/** `df` under `berth system`. */
export function registerSystemDfCommand(system: Command, cli: Cli): void {
  system.command('df')
    .description('Show Berth disk usage')
    .usage('[OPTIONS]')
    .option('--format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Show detailed information on space usage')
    .action((flags: SystemDfFlags) => runSystemDf(cli, flags));
}
