/**
 * Container commands that look into or change one container: top, port, diff, pause, unpause,
 * export, commit, update, and container prune.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { encodeFilters } from '../api-client.js';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { confirm } from '../prompt.js';
import { tabwrite } from '../render/tabwriter.js';
import { humanSize } from '../render/units.js';
import { parseRestartPolicy } from './container-config.js';
import { referenceArg } from '../reference-arg.js';
import { repositoryName, withDefaultTag } from '../../lib/image-reference.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const path = (name: string, action = ''): string => `/containers/${encodeURIComponent(name)}${action}`;

/** Go's sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** The lines of `port`: every mapping ("80/tcp -> 0.0.0.0:10001") or one port's host addresses. */
export function portLines(ports: PortMap | null | undefined, container: string, port?: string): string[] {
  const out: string[] = [];
  if (port !== undefined) {
    const slash = port.indexOf('/');
    const num = slash < 0 ? port : port.slice(0, slash);
    const proto = slash < 0 || port.slice(slash + 1) === '' ? 'tcp' : port.slice(slash + 1);
    if (!/^\d+$/.test(num) || Number(num) > 65535) {
      const reason = /^\d+$/.test(num) ? 'value out of range' : 'invalid syntax';
      throw new CliError(`Error: invalid port (${num}): strconv.ParseUint: parsing "${num}": ${reason}`);
    }
    const frontends = ports?.[`${num}/${proto}`];
    if (!frontends || frontends.length === 0) throw new CliError(`Error: No public port '${port}' published for ${container}`);
    for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports ?? {})) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
  }
  return out.sort(naturalLess);
}

/** `top`: the daemon's ps columns in docker's tabwriter (minwidth 20, padding 3). */
export function renderTop(top: { Titles: string[]; Processes: string[][] | null }): string {
  let text = `${top.Titles.join('\t')}\n`;
  for (const p of top.Processes ?? []) text += `${p.join('\t')}\n`;
  return tabwrite(text, { minwidth: 20, padding: 3 });
}

const CHANGE_KINDS = ['C', 'A', 'D'];

/** docker's prune report: the deleted objects under a title, then the space reclaimed. */
export function pruneReport(title: string, deleted: string[], space?: number): string {
  let out = '';
  if (deleted.length) out += `${title}:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
  if (space !== undefined) out += `Total reclaimed space: ${humanSize(space)}\n`;
  return out;
}

interface UpdateFlags {
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

/** go-units RAMInBytes: "512m", "1g", "1.5GB" -> bytes (binary multiples); "-1" stays -1. */
export function ramInBytes(flag: string, value: string): number {
  if (value === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!m) throw new CliError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  const pow = ' kmgtp'.indexOf(m[2]!.toLowerCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** Math.max(pow, 0));
}

function intFlag(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new CliError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

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

export function registerContainerOpsCommands(program: Command, cli: Cli): void {
  program.command('top')
    .description('Display the running processes of a container')
    .usage('CONTAINER [ps OPTIONS]')
    .argument('<container>')
    .argument('[psArgs...]')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (name: string, psArgs: string[]) => {
      const top = await cli.client.json<{ Titles: string[]; Processes: string[][] | null }>('GET', path(name, '/top'), {
        query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
      });
      await cli.out(renderTop(top));
    });

  program.command('port')
    .description('List port mappings or a specific mapping for the container')
    .usage('CONTAINER [PRIVATE_PORT[/PROTO]]')
    .argument('<container>')
    .argument('[port]')
    .action(async (name: string, port: string | undefined) => {
      const info = await cli.client.json<{ NetworkSettings?: { Ports?: PortMap | null } }>('GET', path(name, '/json'));
      const lines = portLines(info.NetworkSettings?.Ports, name, port);
      if (lines.length) await cli.out(`${lines.join('\n')}\n`);
    });

  program.command('diff')
    .description("Inspect changes to files or directories on a container's filesystem")
    .usage('CONTAINER')
    .argument('<container>')
    .action(async (name: string) => {
      const changes = await cli.client.json<{ Path: string; Kind: number }[] | null>('GET', path(name, '/changes'));
      await cli.out((changes ?? []).map((c) => `${CHANGE_KINDS[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
    });

  for (const [action, description] of [['pause', 'Pause all processes within one or more containers'], ['unpause', 'Unpause all processes within one or more containers']] as const) {
    program.command(action)
      .description(description)
      .usage('CONTAINER [CONTAINER...]')
      .argument('<containers...>')
      .action(async (names: string[]) => {
        await cli.forEachOrFail(names, async (name) => {
          await cli.client.request('POST', path(name, `/${action}`));
          await cli.out(`${name}\n`);
        });
      });
  }

  program.command('export')
    .description("Export a container's filesystem as a tar archive")
    .usage('[OPTIONS] CONTAINER')
    .argument('<container>')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .action(async (name: string, flags: { output?: string }) => {
      if (!flags.output && process.stdout.isTTY) {
        throw new CliError('failed to export container: cowardly refusing to save to a terminal. Use the -o flag or redirect');
      }
      const res = await cli.client.stream('GET', path(name, '/export'));
      await pipeline(res, flags.output ? createWriteStream(flags.output) : process.stdout, { end: Boolean(flags.output) });
    });

  program.command('commit')
    .description("Create a new image from a container's changes")
    .usage('[OPTIONS] CONTAINER [REPOSITORY[:TAG]]')
    .argument('<container>')
    .argument('[reference]')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause [bool]', 'Pause container during commit', 'true')
    .action(async (name: string, reference: string | undefined, flags: { author?: string; change: string[]; message?: string; pause: string | boolean }) => {
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
    });

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
    .action(async (names: string[], flags: UpdateFlags) => {
      const body = updateBody(flags);
      if (Object.keys(body).length === 0) throw new CliError('you must provide one or more flags when using this command');
      const warnings: string[] = [];
      await cli.forEachOrFail(names, async (name) => {
        const res = await cli.client.json<{ Warnings?: string[] | null }>('POST', path(name, '/update'), { body });
        warnings.push(...(res?.Warnings ?? []));
        await cli.out(`${name}\n`);
      });
      for (const w of warnings) await cli.err(`${w}\n`);
    });
}

/** `container prune`, registered under `berth container` only, as in docker. */
export function registerContainerPrune(container: Command, cli: Cli): void {
  container.command('prune')
    .description('Remove all stopped containers')
    .usage('[OPTIONS]')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (flags: { filter: string[]; force?: boolean }) => {
      if (!flags.force && !(await confirm(cli, 'WARNING! This will remove all stopped containers.'))) return;
      const res = await cli.client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/containers/prune', {
        query: { filters: encodeFilters(flags.filter) },
      });
      await cli.out(pruneReport('Deleted Containers', res.ContainersDeleted ?? [], res.SpaceReclaimed ?? 0));
    });
}
