/**
 * Container commands that change one container or take something out of it: pause, unpause, export,
 * commit, and container prune; with top/port/diff (container-processes.ts) and update
 * (container-update.ts) they make the group registerContainerOpsCommands adds.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { encodeFilters } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { confirm } from '../client/prompt.js';
import { pruneReport } from '../render/prune.js';
import { referenceArg } from '../client/reference-arg.js';
import { repositoryName, withDefaultTag } from '../../lib/image-reference.js';
import { registerProcessCommands } from './container-processes.js';
import { registerUpdateCommand } from './container-update.js';
import { collect, containerPath } from './flags.js';

export async function runPauseOrUnpause(cli: Cli, action: 'pause' | 'unpause', names: string[]): Promise<void> {
  await cli.forEachOrFail(names, async (name) => {
    await cli.client.request('POST', containerPath(name, `/${action}`));
    await cli.out(`${name}\n`);
  });
}

export async function runExport(cli: Cli, name: string, flags: { output?: string }): Promise<void> {
  if (!flags.output && process.stdout.isTTY) {
    throw new CliError('failed to export container: cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const res = await cli.client.stream('GET', containerPath(name, '/export'));
  await pipeline(res, flags.output ? createWriteStream(flags.output) : process.stdout, { end: Boolean(flags.output) });
}

export interface CommitOptions {
  author?: string;
  change: string[];
  message?: string;
  pause: string | boolean;
}

export async function runCommit(cli: Cli, name: string, reference: string | undefined, flags: CommitOptions): Promise<void> {
  let repo: string | undefined;
  let tag: string | undefined;
  if (reference) {
    const ref = referenceArg(reference);
    if (ref.digest) throw new CliError('refusing to create a tag with a digest reference');
    repo = repositoryName(ref);
    tag = withDefaultTag(ref).tag;
  }
  const paused = !(flags.pause === 'false' || flags.pause === false);
  const res = await cli.client.json<{ Id: string }>('POST', '/commit', {
    query: {
      author: flags.author, changes: flags.change.length ? flags.change : undefined, comment: flags.message,
      container: name, pause: paused ? undefined : false, repo, tag,
    },
  });
  await cli.out(`${res.Id}\n`);
}

export async function runContainerPrune(cli: Cli, flags: { filter: string[]; force?: boolean }): Promise<void> {
  if (!flags.force && !(await confirm(cli, 'WARNING! This will remove all stopped containers.'))) return;
  const res = await cli.client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/containers/prune', {
    query: { filters: encodeFilters(flags.filter) },
  });
  await cli.out(pruneReport('Deleted Containers', res.ContainersDeleted ?? [], res.SpaceReclaimed ?? 0));
}

export function registerContainerOpsCommands(program: Command, cli: Cli): void {
  registerProcessCommands(program, cli);
  for (const [action, description] of [['pause', 'Pause all processes within one or more containers'], ['unpause', 'Unpause all processes within one or more containers']] as const) {
    program.command(action)
      .description(description)
      .usage('CONTAINER [CONTAINER...]')
      .argument('<containers...>')
      .action((names: string[]) => runPauseOrUnpause(cli, action, names));
  }
  program.command('export')
    .description("Export a container's filesystem as a tar archive")
    .usage('[OPTIONS] CONTAINER')
    .argument('<container>')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .action((name: string, flags: { output?: string }) => runExport(cli, name, flags));
  program.command('commit')
    .description("Create a new image from a container's changes")
    .usage('[OPTIONS] CONTAINER [REPOSITORY[:TAG]]')
    .argument('<container>')
    .argument('[reference]')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause [bool]', 'Pause container during commit', 'true')
    .action((name: string, reference: string | undefined, flags: CommitOptions) => runCommit(cli, name, reference, flags));
  registerUpdateCommand(program, cli);
}

/** `container prune`, registered under `berth container` only, as in docker. */
export function registerContainerPrune(container: Command, cli: Cli): void {
  container.command('prune')
    .description('Remove all stopped containers')
    .usage('[OPTIONS]')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action((flags: { filter: string[]; force?: boolean }) => runContainerPrune(cli, flags));
}
