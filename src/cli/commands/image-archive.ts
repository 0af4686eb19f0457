/**
 * `save`, `load` and `image prune`: images to and from tar archives, and removal of unused images.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { encodeFilters } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { confirm } from '../client/prompt.js';
import { pruneReport } from '../render/prune.js';
import { printJsonMessages } from './image-pull.js';
import { collect } from './flags.js';

/** Opens a local file for reading, with Go's wording when it cannot be. */
export async function openInput(path: string): Promise<Readable> {
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(err.code === 'ENOENT' ? `open ${path}: no such file or directory` : err.message)));
  });
  return stream;
}

export interface SaveOptions {
  output?: string;
  platform?: string;
}

export async function runSave(cli: Cli, names: string[], flags: SaveOptions): Promise<void> {
  if (!flags.output && process.stdout.isTTY) {
    throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const res = await cli.client.stream('GET', '/images/get', { query: { names, platform: flags.platform } });
  if (flags.output) await pipeline(res, createWriteStream(flags.output));
  else await pipeline(res, process.stdout, { end: false });
}

export interface LoadOptions {
  input?: string;
  platform?: string;
  quiet?: boolean;
}

export async function runLoad(cli: Cli, flags: LoadOptions): Promise<void> {
  let body: Readable;
  if (flags.input) body = await openInput(flags.input);
  else {
    if (process.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
    body = process.stdin;
  }
  // like docker, progress bars only for a terminal: the daemon is told to be quiet otherwise
  const quiet = Boolean(flags.quiet) || !process.stdout.isTTY;
  const res = await cli.client.stream('POST', '/images/load', {
    query: { quiet: quiet || undefined, platform: flags.platform },
    body,
  });
  await printJsonMessages(res, process.stdout);
}

export interface ImagePruneOptions {
  all?: boolean;
  filter: string[];
  force?: boolean;
}

export async function runImagePrune(cli: Cli, flags: ImagePruneOptions): Promise<void> {
  const warning = flags.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!flags.force && !(await confirm(cli, warning))) return;
  const filters = [...flags.filter, `dangling=${flags.all ? 'false' : 'true'}`];
  const res = await cli.client.json<{ ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }>(
    'POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
  const lines = (res.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`));
  await cli.out(pruneReport('Deleted Images', lines, res.SpaceReclaimed ?? 0));
}

export function registerImageArchiveCommands(program: Command, cli: Cli): void {
  program.command('save')
    .description('Save one or more images to a tar archive (streamed to STDOUT by default)')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .argument('<images...>')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .option('--platform <string>', 'Save only the given platform variant')
    .action((names: string[], flags: SaveOptions) => runSave(cli, names, flags));

  program.command('load')
    .description('Load an image from a tar archive or STDIN')
    .usage('[OPTIONS]')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('--platform <string>', 'Load only the given platform variant')
    .option('-q, --quiet', 'Suppress the load output')
    .action((flags: LoadOptions) => runLoad(cli, flags));
}

/** `image prune`, under `berth image` only, as in docker. */
export function registerImagePrune(image: Command, cli: Cli): void {
  image.command('prune')
    .description('Remove unused images')
    .usage('[OPTIONS]')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action((flags: ImagePruneOptions) => runImagePrune(cli, flags));
}
