/**
 * `update`: new resource limits and restart policy for running or stopped containers.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { parseRestartPolicy } from './container-config.js';
import { containerPath, intFlag, ramInBytes } from './flags.js';

export interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  restart?: string;
}

export { ramInBytes };

function updateBody(f: UpdateFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (f.blkioWeight !== undefined) body.BlkioWeight = intFlag('--blkio-weight', f.blkioWeight);
  if (f.cpuPeriod !== undefined) body.CpuPeriod = intFlag('--cpu-period', f.cpuPeriod);
  if (f.cpuQuota !== undefined) body.CpuQuota = intFlag('--cpu-quota', f.cpuQuota);
  if (f.cpuShares !== undefined) body.CpuShares = intFlag('-c, --cpu-shares', f.cpuShares);
  if (f.cpus !== undefined) {
    const n = Number(f.cpus);
    if (!/^\d+(\.\d+)?$/.test(f.cpus)) throw new CliError(`invalid argument "${f.cpus}" for "--cpus" flag: failed to parse ${f.cpus} as a rational number`);
    body.NanoCpus = Math.round(n * 1e9);
  }
  if (f.cpusetCpus !== undefined) body.CpusetCpus = f.cpusetCpus;
  if (f.cpusetMems !== undefined) body.CpusetMems = f.cpusetMems;
  if (f.memory !== undefined) body.Memory = ramInBytes('-m, --memory', f.memory);
  if (f.memoryReservation !== undefined) body.MemoryReservation = ramInBytes('--memory-reservation', f.memoryReservation);
  if (f.memorySwap !== undefined) body.MemorySwap = ramInBytes('--memory-swap', f.memorySwap);
  if (f.pidsLimit !== undefined) body.PidsLimit = intFlag('--pids-limit', f.pidsLimit);
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
  for (const w of warnings) await cli.err(`${w}\n`);
}

export function registerUpdateCommand(program: Command, cli: Cli): void {
  program.command('update')
    .description('Update configuration of one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action((names: string[], flags: UpdateFlags) => runUpdate(cli, names, flags));
}
