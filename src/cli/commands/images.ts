/**
 * Image commands: images, pull, import, tag, rmi, history.
 */
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { encodeFilters } from '../api-client.js';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { registryAuthHeader } from '../auth-config.js';
import { displayJsonMessages, terminalOptions, type JsonMessage } from '../render/progress.js';
import { renderList } from '../render/formatter.js';
import {
  HISTORY_HEADER, HISTORY_TABLE, HistoryContext, IMAGE_HEADER, IMAGES_TABLE, IMAGES_TABLE_DIGESTS,
  imageRows, type ApiHistory, type ApiImage,
} from '../render/contexts.js';
import { anyReferenceArg, referenceArg } from '../reference-arg.js';
import {
  DEFAULT_TAG, familiarName, familiarString, referenceString, repositoryName, withDefaultTag, type ImageReference,
} from '../../lib/image-reference.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Prints a JSON message stream (pull/import/push/load progress) as docker does on `out`. */
export async function printJsonMessages(body: AsyncIterable<unknown>, out: Writable, onAux?: (msg: JsonMessage) => void): Promise<JsonMessage[]> {
  const opts = terminalOptions(out as NodeJS.WriteStream);
  return displayJsonMessages(body, out, { ...opts, onAux });
}

/** Pulls `ref` (a name alone means its latest tag), printing the progress on `out`. */
export async function pullImage(cli: Cli, ref: ImageReference, out: Writable): Promise<void> {
  const fromImage = ref.digest ? familiarString(ref) : familiarName(ref);
  const tag = ref.digest ? undefined : ref.tag ?? DEFAULT_TAG;
  const res = await cli.client.stream('POST', '/images/create', {
    query: { fromImage, tag }, headers: { 'X-Registry-Auth': registryAuthHeader(cli, fromImage) },
  });
  await printJsonMessages(res, out);
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
    .action(async (repository: string | undefined, flags: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
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
    });

  program.command('pull')
    .description('Download an image from a registry')
    .usage('[OPTIONS] NAME[:TAG|@DIGEST]')
    .argument('<name>')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action(async (name: string, flags: { quiet?: boolean }) => {
      const ref = referenceArg(name);
      const sink = flags.quiet ? new (await import('node:stream')).PassThrough() : process.stdout;
      if (flags.quiet) (sink as import('node:stream').PassThrough).resume();
      else if (!ref.tag && !ref.digest) await cli.out(`Using default tag: ${DEFAULT_TAG}\n`);
      await pullImage(cli, ref, sink);
      await cli.out(`${referenceString(withDefaultTag(ref))}\n`);
    });

  program.command('import')
    .description('Import the contents from a tarball to create a filesystem image')
    .usage('[OPTIONS] file|URL|- [REPOSITORY[:TAG]]')
    .argument('<source>')
    .argument('[reference]')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action(async (source: string, reference: string | undefined, flags: { change: string[]; message?: string; platform?: string }) => {
      let repo: string | undefined;
      let tag: string | undefined;
      if (reference) {
        if (reference.includes('@')) throw new CliError(`invalid reference format: ${reference}`);
        const ref = referenceArg(reference);
        repo = familiarName(ref);
        tag = ref.tag;
      }
      const isUrl = /^https?:\/\//.test(source);
      let body: NodeJS.ReadableStream | undefined;
      if (!isUrl) {
        const stream = source === '-' ? process.stdin : createReadStream(source);
        await new Promise<void>((resolve, reject) => {
          if (source === '-') return resolve();
          stream.once('open', () => resolve());
          stream.once('error', (err: NodeJS.ErrnoException) =>
            reject(new CliError(err.code === 'ENOENT' ? `open ${source}: no such file or directory` : err.message)));
        });
        body = stream;
      }
      const res = await cli.client.stream('POST', '/images/create', {
        query: {
          fromSrc: isUrl ? source : '-',
          repo, tag: tag || undefined,
          message: flags.message,
          changes: flags.change.length ? flags.change : undefined,
          platform: flags.platform,
        },
        body,
      });
      await printJsonMessages(res, process.stdout);
    });

  program.command('tag')
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .usage('SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]')
    .argument('<source>')
    .argument('<target>')
    .action(async (source: string, target: string) => {
      const notValid = (name: string) => (message: string): string => `Error parsing reference: "${name}" is not a valid repository/tag: ${message}`;
      anyReferenceArg(source, notValid(source));
      const ref = referenceArg(target, notValid(target));
      if (ref.digest) throw new CliError('refusing to create a tag with a digest reference');
      await cli.client.request('POST', `/images/${encodeURIComponent(source)}/tag`, {
        query: { repo: repositoryName(ref), tag: ref.tag ?? DEFAULT_TAG },
      });
    });

  program.command('rmi')
    .description('Remove one or more images')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .argument('<images...>')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (names: string[], flags: { force?: boolean; prune: boolean }) => {
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
    });

  program.command('history')
    .description('Show the history of an image')
    .usage('[OPTIONS] IMAGE')
    .argument('<image>')
    .option('--format <string>', 'Format output using a custom template')
    .option('-H, --human [bool]', 'Print sizes and dates in human readable format', 'true')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (image: string, flags: { format?: string; human: string | boolean; trunc: boolean; quiet?: boolean }) => {
      const history = await cli.client.json<ApiHistory[]>('GET', `/images/${encodeURIComponent(image)}/history`);
      const human = !(flags.human === 'false' || flags.human === false);
      const rows = (history ?? []).map((h) => new HistoryContext(h, flags.trunc, human));
      if (flags.quiet) {
        await cli.out(rows.map((r) => `${r.ID()}\n`).join(''));
        return;
      }
      await cli.out(renderList(flags.format || 'table', HISTORY_TABLE, rows, HISTORY_HEADER));
    });
}
