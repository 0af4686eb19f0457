/**
 * `import`: a filesystem tarball (a file, stdin or a URL) made into an image.
 */
import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { referenceArg } from '../client/reference-arg.js';
import { familiarName } from '../../lib/image-reference.js';
import { collect } from './flags.js';
import { printJsonMessages } from './image-pull.js';

export interface ImportOptions {
  change: string[];
  message?: string;
  platform?: string;
}

/** The tarball to send: stdin for "-", the file once it opened, nothing for a URL (the daemon fetches it). */
async function importSource(source: string, isUrl: boolean): Promise<NodeJS.ReadableStream | undefined> {
  if (isUrl) return undefined;
  if (source === '-') return process.stdin;
  const stream = createReadStream(source);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(err.code === 'ENOENT' ? `open ${source}: no such file or directory` : err.message)));
  });
  return stream;
}

export async function runImport(cli: Cli, source: string, reference: string | undefined, flags: ImportOptions): Promise<void> {
  let repo: string | undefined;
  let tag: string | undefined;
  if (reference) {
    if (reference.includes('@')) throw new CliError(`invalid reference format: ${reference}`);
    const ref = referenceArg(reference);
    repo = familiarName(ref);
    tag = ref.tag;
  }
  const isUrl = /^https?:\/\//.test(source);
  const body = await importSource(source, isUrl);
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
}

export function registerImportCommand(program: Command, cli: Cli): void {
  program.command('import')
    .description('Import the contents from a tarball to create a filesystem image')
    .usage('[OPTIONS] file|URL|- [REPOSITORY[:TAG]]')
    .argument('<source>')
    .argument('[reference]')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action((source: string, reference: string | undefined, flags: ImportOptions) => runImport(cli, source, reference, flags));
}
