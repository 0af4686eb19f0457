/**
 * Image commands: images, tag, rmi, history (here); pull (image-pull.ts), import (image-import.ts).
 */
import type { Command } from 'commander';
import { encodeFilters } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { renderList } from '../render/formatter.js';
import {
  HISTORY_HEADER, HISTORY_TABLE, HistoryContext, IMAGE_HEADER, IMAGES_TABLE, IMAGES_TABLE_DIGESTS,
  imageRows, type ApiHistory, type ApiImage,
} from '../render/contexts.js';
import { anyReferenceArg, referenceArg } from '../client/reference-arg.js';
import { DEFAULT_TAG, repositoryName } from '../../lib/image-reference.js';
import { collect } from './flags.js';
import { registerImportCommand } from './image-import.js';
import { registerPullCommand } from './image-pull.js';

export interface ImagesOptions {
  all?: boolean;
  digests?: boolean;
  filter: string[];
  format?: string;
  trunc: boolean;
  quiet?: boolean;
}

export async function runImages(cli: Cli, repository: string | undefined, flags: ImagesOptions): Promise<void> {
  const filters = [...flags.filter];
  if (repository) filters.push(`reference=${repository}`);
  const images = await cli.client.json<ApiImage[]>('GET', '/images/json', {
    query: { all: flags.all || undefined, filters: encodeFilters(filters) },
  });
  const rows = imageRows(images ?? [], flags.trunc, Boolean(flags.digests));
  if (flags.quiet) {
    const seen = new Set<string>();
    let out = '';
    for (const r of rows) {
      const id = r.ID();
      if (!seen.has(id)) { seen.add(id); out += `${id}\n`; }
    }
    await cli.out(out);
    return;
  }
  const table = flags.digests ? IMAGES_TABLE_DIGESTS : IMAGES_TABLE;
  await cli.out(renderList(flags.format || 'table', table, rows, IMAGE_HEADER));
}

export async function runTag(cli: Cli, source: string, target: string): Promise<void> {
  const notValid = (name: string) => (message: string): string => `Error parsing reference: "${name}" is not a valid repository/tag: ${message}`;
  anyReferenceArg(source, notValid(source));
  const ref = referenceArg(target, notValid(target));
  if (ref.digest) throw new CliError('refusing to create a tag with a digest reference');
  await cli.client.request('POST', `/images/${encodeURIComponent(source)}/tag`, {
    query: { repo: repositoryName(ref), tag: ref.tag ?? DEFAULT_TAG },
  });
}

export async function runRemoveImages(cli: Cli, names: string[], flags: { force?: boolean; prune: boolean }): Promise<void> {
  await cli.forEachOrFail(names, async (name) => {
    const deleted = await cli.client.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${encodeURIComponent(name)}`, {
      query: { force: flags.force || undefined, noprune: flags.prune ? undefined : true },
    });
    let out = '';
    for (const d of deleted ?? []) {
      if (d.Untagged) out += `Untagged: ${d.Untagged}\n`;
      if (d.Deleted) out += `Deleted: ${d.Deleted}\n`;
    }
    await cli.out(out);
  });
}

export interface HistoryOptions {
  format?: string;
  human: string | boolean;
  trunc: boolean;
  quiet?: boolean;
}

export async function runHistory(cli: Cli, image: string, flags: HistoryOptions): Promise<void> {
  const history = await cli.client.json<ApiHistory[]>('GET', `/images/${encodeURIComponent(image)}/history`);
  const human = !(flags.human === 'false' || flags.human === false);
  const rows = (history ?? []).map((h) => new HistoryContext(h, flags.trunc, human));
  if (flags.quiet) {
    await cli.out(rows.map((r) => `${r.ID()}\n`).join(''));
    return;
  }
  await cli.out(renderList(flags.format || 'table', HISTORY_TABLE, rows, HISTORY_HEADER));
}

export function registerImageCommands(program: Command, cli: Cli): void {
  program.command('images')
    .description('List images')
    .usage('[OPTIONS] [REPOSITORY[:TAG]]')
    .argument('[repository]')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action((repository: string | undefined, flags: ImagesOptions) => runImages(cli, repository, flags));
  registerPullCommand(program, cli);
  registerImportCommand(program, cli);
  program.command('tag')
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .usage('SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]')
    .argument('<source>')
    .argument('<target>')
    .action((source: string, target: string) => runTag(cli, source, target));
  program.command('rmi')
    .description('Remove one or more images')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .argument('<images...>')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action((names: string[], flags: { force?: boolean; prune: boolean }) => runRemoveImages(cli, names, flags));
  program.command('history')
    .description('Show the history of an image')
    .usage('[OPTIONS] IMAGE')
    .argument('<image>')
    .option('--format <string>', 'Format output using a custom template')
    .option('-H, --human [bool]', 'Print sizes and dates in human readable format', 'true')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action((image: string, flags: HistoryOptions) => runHistory(cli, image, flags));
}
