/**
 * `volume`: create, ls, inspect, rm, prune.
 */
import type { Command } from 'commander';
import { compareVersions, encodeFilters } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { confirm } from '../client/prompt.js';
import { renderList } from '../render/formatter.js';
import { VOLUME_HEADER, VOLUME_TABLE, VolumeContext, type ApiVolume } from '../render/objects.js';
import { naturalLess } from '../render/natural-sort.js';
import { pruneReport } from '../render/prune.js';
import { collect, keyValues } from './flags.js';
import { registerInspectSubcommand } from './system.js';

export interface VolumeCreateOptions {
  driver: string;
  label: string[];
  name?: string;
  opt: string[];
}

export async function runVolumeCreate(cli: Cli, name: string | undefined, flags: VolumeCreateOptions): Promise<void> {
  if (name && flags.name) throw new CliError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
  const res = await cli.client.json<ApiVolume>('POST', '/volumes/create', {
    body: { Driver: flags.driver, DriverOpts: keyValues(flags.opt), Labels: keyValues(flags.label), Name: name ?? flags.name ?? '' },
  });
  await cli.out(`${res.Name}\n`);
}

export interface VolumeListOptions {
  filter: string[];
  format?: string;
  quiet?: boolean;
}

export async function runVolumeList(cli: Cli, flags: VolumeListOptions): Promise<void> {
  const res = await cli.client.json<{ Volumes?: ApiVolume[] | null; Warnings?: string[] | null }>('GET', '/volumes', {
    query: { filters: encodeFilters(flags.filter) },
  });
  const rows = [...(res.Volumes ?? [])].sort((a, b) => naturalLess(a.Name, b.Name)).map((v) => new VolumeContext(v));
  const format = flags.quiet ? '{{.Name}}' : flags.format || 'table';
  await cli.out(renderList(format, VOLUME_TABLE, rows, VOLUME_HEADER));
  for (const w of res.Warnings ?? []) await cli.err(`${w}\n`);
}

export async function runVolumeRemove(cli: Cli, names: string[], flags: { force?: boolean }): Promise<void> {
  await cli.forEachOrFail(names, async (name) => {
    await cli.client.request('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: flags.force || undefined } });
    await cli.out(`${name}\n`);
  });
}

export interface VolumePruneOptions {
  all?: boolean;
  filter: string[];
  force?: boolean;
}

export async function runVolumePrune(cli: Cli, flags: VolumePruneOptions): Promise<void> {
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
    .action((name: string | undefined, flags: VolumeCreateOptions) => runVolumeCreate(cli, name, flags));
  volume.command('ls')
    .aliases(['list'])
    .description('List volumes')
    .usage('[OPTIONS]')
    .option('-f, --filter <filter>', "Provide filter values (e.g. \"dangling=true\")", collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display volume names')
    .action((flags: VolumeListOptions) => runVolumeList(cli, flags));
  registerInspectSubcommand(volume, cli, 'volume');
  volume.command('rm')
    .aliases(['remove'])
    .description('Remove one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .argument('<volumes...>')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action((names: string[], flags: { force?: boolean }) => runVolumeRemove(cli, names, flags));
  volume.command('prune')
    .description('Remove unused local volumes')
    .usage('[OPTIONS]')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action((flags: VolumePruneOptions) => runVolumePrune(cli, flags));
}
