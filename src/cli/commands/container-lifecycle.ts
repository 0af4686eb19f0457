/**
 * Container commands that act on containers by name, one request each: stop, restart, kill, rm,
 * wait, rename.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError, ConnectError } from '../base/errors.js';
import { containerPath, intFlag } from './flags.js';

/** stop and restart: the same flags, one request per container, its name printed on success. */
export async function runStopOrRestart(cli: Cli, verb: 'stop' | 'restart', names: string[], flags: { signal?: string; timeout?: string }): Promise<void> {
  const t = flags.timeout === undefined ? undefined : intFlag('-t, --timeout', flags.timeout, 125);
  await cli.forEachOrFail(names, async (name) => {
    await cli.client.request('POST', containerPath(name, `/${verb}`), { query: { t, signal: flags.signal } });
    await cli.out(`${name}\n`);
  });
}

export async function runKill(cli: Cli, names: string[], flags: { signal?: string }): Promise<void> {
  await cli.forEachOrFail(names, async (name) => {
    await cli.client.request('POST', containerPath(name, '/kill'), { query: { signal: flags.signal } });
    await cli.out(`${name}\n`);
  });
}

export interface RemoveOptions {
  force?: boolean;
  link?: boolean;
  volumes?: boolean;
}

export async function runRemove(cli: Cli, names: string[], flags: RemoveOptions): Promise<void> {
  await cli.forEachOrFail(names, async (name) => {
    const trimmed = name.replace(/^\/+/, '');
    if (!trimmed) throw new CliError('Error response from daemon: Container name cannot be empty');
    await cli.client.request('DELETE', containerPath(trimmed), {
      query: { force: flags.force || undefined, v: flags.volumes || undefined, link: flags.link || undefined },
    });
    await cli.out(`${name}\n`);
  });
}

export async function runWait(cli: Cli, names: string[]): Promise<void> {
  await cli.forEachOrFail(names, async (name) => {
    const res = await cli.client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', containerPath(name, '/wait'));
    if (res?.Error?.Message) throw new CliError(res.Error.Message);
    await cli.out(`${res?.StatusCode ?? 0}\n`);
  });
}

export async function runRename(cli: Cli, name: string, newName: string): Promise<void> {
  const target = newName.trim();
  if (!name.trim() || !target) throw new CliError('Error: Neither old nor new names may be empty');
  try {
    await cli.client.request('POST', containerPath(name, '/rename'), { query: { name: target } });
  } catch (err) {
    if (!(err instanceof CliError) || err instanceof ConnectError) throw err;
    throw new CliError(`${err.message}\nError: failed to rename container named ${name}`);
  }
}

export function registerLifecycleCommands(program: Command, cli: Cli): void {
  for (const [verb, description] of [['stop', 'Stop one or more running containers'], ['restart', 'Restart one or more containers']] as const) {
    program.command(verb)
      .description(description)
      .usage('[OPTIONS] CONTAINER [CONTAINER...]')
      .argument('<containers...>')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .option('-t, --timeout <int>', 'Seconds to wait before killing the container')
      .action((names: string[], flags: { signal?: string; timeout?: string }) => runStopOrRestart(cli, verb, names, flags));
  }
  program.command('kill')
    .description('Kill one or more running containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .action((names: string[], flags: { signal?: string }) => runKill(cli, names, flags));
  program.command('rm')
    .description('Remove one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action((names: string[], flags: RemoveOptions) => runRemove(cli, names, flags));
  program.command('wait')
    .description('Block until one or more containers stop, then print their exit codes')
    .usage('CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .action((names: string[]) => runWait(cli, names));
  program.command('rename')
    .description('Rename a container')
    .usage('CONTAINER NEW_NAME')
    .argument('<container>')
    .argument('<newName>')
    .action((name: string, newName: string) => runRename(cli, name, newName));
}
