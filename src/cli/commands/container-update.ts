/**
 * `update`: new resource limits and restart policy for running or stopped containers.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { parseRestartPolicy } from './container-config.js';
import { containerPath, ramInBytes } from './flags.js';
import { addUpdatableResourceFlags, resourceFields, type ResourceFlags } from './resource-flags.js';

export interface UpdateFlags extends ResourceFlags {
  memory?: string;
  restart?: string;
}

function updateBody(f: UpdateFlags): Record<string, unknown> {
  const body = resourceFields(f);
  if (f.memory !== undefined) body.Memory = ramInBytes('-m, --memory', f.memory);
  if (f.restart !== undefined) body.RestartPolicy = parseRestartPolicy(f.restart);
  return body;
}

export async function runUpdate(cli: Cli, names: string[], flags: UpdateFlags): Promise<void> {
  const body = updateBody(flags);
  if (Object.keys(body).length === 0) throw new CliError('you must provide one or more flags when using this command');
  const warnings: string[] = [];
  await cli.forEachOrFail(names, async (name) => {
    const res = await cli.client.json<{ Warnings?: string[] | null }>('POST', containerPath(name, '/update'), { body });
    warnings.push(...(res?.Warnings ?? []));
    await cli.out(`${name}\n`);
  });
  // docker prints the daemon's warnings on stdout, after the names.
  if (warnings.length) await cli.out(`${warnings.join('\n')}\n`);
}

export function registerUpdateCommand(program: Command, cli: Cli): void {
  addUpdatableResourceFlags(program.command('update')
    .description('Update configuration of one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>'))
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action((names: string[], flags: UpdateFlags) => runUpdate(cli, names, flags));
}
