/**
 * `inspect` and the `inspect` of each group (container, image, network, volume): objects as docker's
 * JSON array, or a template applied to each.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError, ConnectError, DaemonError, ExitStatus } from '../base/errors.js';
import { compileTemplate, runTemplate } from '../render/formatter.js';

export type InspectType = 'container' | 'image' | 'network' | 'volume';

const INSPECT_PATHS: Record<InspectType, (n: string) => string> = {
  container: (n) => `/containers/${encodeURIComponent(n)}/json`,
  image: (n) => `/images/${encodeURIComponent(n)}/json`,
  network: (n) => `/networks/${encodeURIComponent(n)}`,
  volume: (n) => `/volumes/${encodeURIComponent(n)}`,
};

async function inspectOne(cli: Cli, name: string, type: InspectType | undefined, size: boolean, daemonErrors = false): Promise<unknown> {
  // `docker container inspect` and its kin report the daemon's own message, `docker inspect` its own
  if (daemonErrors && type) return cli.client.json('GET', INSPECT_PATHS[type](name), { query: { size: type === 'container' && size ? true : undefined } });
  const types: InspectType[] = type ? [type] : ['container', 'image', 'network', 'volume'];
  for (const t of types) {
    try {
      return await cli.client.json('GET', INSPECT_PATHS[t](name), { query: { size: t === 'container' && size ? true : undefined } });
    } catch (err) {
      if (!(err instanceof DaemonError) || err.status !== 404 || !type) {
        if (err instanceof DaemonError && err.status === 404 && type) {
          throw new CliError(`Error: No such ${type}: ${name}`);
        }
        if (!(err instanceof DaemonError && err.status === 404)) throw err;
      }
    }
  }
  throw new CliError(`Error: No such object: ${name}`);
}

/** docker inspect: a JSON array (4-space indent), or the template once per object. */
export async function runInspect(cli: Cli, names: string[], flags: { format?: string; size?: boolean }, type?: InspectType, daemonErrors = false): Promise<void> {
  const template = flags.format && flags.format !== 'json' ? compileTemplate(flags.format) : undefined;
  const results: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      results.push(await inspectOne(cli, name, type, Boolean(flags.size), daemonErrors));
    } catch (err) {
      if (err instanceof ConnectError || !(err instanceof CliError)) throw err;
      errors.push(err.message);
    }
  }
  const failed = errors.length > 0;
  if (template) {
    let out = '';
    for (const r of results) {
      try {
        out += `${runTemplate(template, r)}\n`;
      } catch (err) {
        // docker ends the output it had with a newline before reporting the template error
        await cli.out(`${out}\n`);
        throw err;
      }
    }
    await cli.out(out);
  } else if (flags.format === 'json') {
    await cli.out(results.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } else {
    await cli.out(`${JSON.stringify(results, null, 4)}\n`);
  }
  if (failed) {
    await cli.err(errors.map((m) => `${m}\n`).join(''));
    throw new ExitStatus(1);
  }
}

export interface InspectOptions {
  format?: string;
  size?: boolean;
  type?: string;
}

/** `berth inspect`: --type narrows the search to one kind of object. */
export async function runInspectAny(cli: Cli, names: string[], flags: InspectOptions): Promise<void> {
  const t = flags.type as InspectType | undefined;
  if (t && !(t in INSPECT_PATHS)) throw new CliError(`"${t}" is not a valid value for --type`);
  await runInspect(cli, names, flags, t);
}

export function registerInspectCommand(program: Command, cli: Cli): void {
  program.command('inspect')
    .description('Return low-level information on Docker objects')
    .usage('[OPTIONS] NAME|ID [NAME|ID...]')
    .option('--type <string>', 'Only inspect objects of the given type')
    .argument('<names...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .action((names: string[], flags: InspectOptions) => runInspectAny(cli, names, flags));
}

export function registerInspectSubcommand(parent: Command, cli: Cli, type: InspectType): Command {
  return parent.command('inspect')
    .description(`Display detailed information on one or more ${type}s`)
    .argument('<names...>')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes')
    .action((names: string[], flags: { format?: string; size?: boolean }) => runInspect(cli, names, flags, type, true));
}
