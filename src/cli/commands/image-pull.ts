/**
 * `pull`, and the pull `run`/`create` do when the image is missing; the JSON progress stream printed
 * as docker prints it (shared with push, import and load).
 */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { registryAuthHeader } from '../client/auth-config.js';
import { displayJsonMessages, terminalOptions, type JsonMessage } from '../render/progress.js';
import { referenceArg } from '../client/reference-arg.js';
import { DEFAULT_TAG, familiarName, familiarString, referenceString, withDefaultTag, type ImageReference } from '../../lib/image-reference.js';

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

export async function runPull(cli: Cli, name: string, flags: { quiet?: boolean }): Promise<void> {
  const ref = referenceArg(name);
  const sink = flags.quiet ? new (await import('node:stream')).PassThrough() : process.stdout;
  if (flags.quiet) (sink as import('node:stream').PassThrough).resume();
  else if (!ref.tag && !ref.digest) await cli.out(`Using default tag: ${DEFAULT_TAG}\n`);
  await pullImage(cli, ref, sink);
  await cli.out(`${referenceString(withDefaultTag(ref))}\n`);
}

export function registerPullCommand(program: Command, cli: Cli): void {
  program.command('pull')
    .description('Download an image from a registry')
    .usage('[OPTIONS] NAME[:TAG|@DIGEST]')
    .argument('<name>')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action((name: string, flags: { quiet?: boolean }) => runPull(cli, name, flags));
}
