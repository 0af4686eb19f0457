/**
 * `run`, `create` and `start -a`: create (pulling the image when it is missing), attach, wait, start,
 * relay the streams, and exit with the container's code, as docker does.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError, ConnectError, DaemonError, ExitStatus, ignoreDaemonRefusal, outcomeOf, valueOf } from '../base/errors.js';
import { startSession } from '../client/session.js';
import { watchTerminalSize } from '../client/streams.js';
import { addCreateFlags, buildCreateRequest, type CreateFlags } from './container-config.js';
import { pullImage } from './image-pull.js';
import { referenceArg } from '../client/reference-arg.js';
import { familiarString, withDefaultTag } from '../../lib/image-reference.js';

/** Errors of run/create exit 125 and read "berth: <message>" plus a pointer to --help. */
class RunError extends CliError {
  constructor(cli: Cli, cmd: string, message: string, exitCode = 125) {
    super(`${cli.name}: ${message}\n\nRun '${cli.name} ${cmd} --help' for more information`, exitCode);
  }
}

function asRunError(cli: Cli, cmd: string, err: unknown): unknown {
  if (err instanceof RunError || err instanceof ExitStatus) return err;
  if (err instanceof CliError) return new RunError(cli, cmd, err.message);
  return err;
}

/** An error line in the format of docker's logger (logrus text): time="..." level=error msg="...". */
function logrusError(message: string): void {
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const quoted = /^[\w./:-]+$/.test(message) ? message : JSON.stringify(message);
  process.stderr.write(`time="${time}" level=error msg=${quoted}\n`);
}

/** docker's mapping of a failed start to 125/126/127. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

async function createContainer(cli: Cli, image: string, args: string[], flags: CreateFlags, attached: boolean, entrypointGiven: boolean): Promise<string> {
  const req = buildCreateRequest(image, args, flags, attached, entrypointGiven);
  const send = (): Promise<{ Id: string; Warnings?: string[] | null }> =>
    cli.client.json('POST', '/containers/create', { query: { name: req.name, platform: req.platform }, body: req.body });
  let created: { Id: string; Warnings?: string[] | null };
  try {
    created = await send();
  } catch (err) {
    // like docker, any 404 from create means the image is missing: pull it and try once more
    if (!(err instanceof DaemonError) || err.status !== 404) throw err;
    const ref = withDefaultTag(referenceArg(image));
    await cli.err(`Unable to find image '${familiarString(ref)}' locally\n`);
    await pullImage(cli, ref, process.stderr);
    created = await send();
  }
  for (const w of created.Warnings ?? []) await cli.err(`WARNING: ${w}\n`);
  return created.Id;
}

interface RunSessionOptions {
  stdin: boolean;
  tty: boolean;
  /** The wait condition: next-exit, or removed for --rm. */
  condition: string;
  /** Start the container (false when it is already running). */
  start: boolean;
  cmd: string;
  detachKeys?: string;
  /** Forward SIGINT/SIGTERM to the container (docker's --sig-proxy; never with a TTY). */
  sigProxy?: boolean;
}

/**
 * Attach, wait, start, relay; resolves with the container's exit code, or 'detached' when the user
 * typed the detach keys (the container keeps running).
 */
export async function attachAndRun(cli: Cli, id: string, opts: RunSessionOptions): Promise<number | 'detached'> {
  const client = cli.client;
  const hijacked = await client.hijack(`/containers/${encodeURIComponent(id)}/attach`, {
    query: { stream: true, stdin: opts.stdin || undefined, stdout: true, stderr: true, detachKeys: opts.detachKeys },
  });
  // the wait is looked at after the session (or after a failed start), so its outcome is kept until then
  const waitOutcome = outcomeOf(client.json<{ StatusCode: number; Error?: { Message?: string } | null }>(
    'POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition: opts.condition } }));

  const session = startSession(hijacked, { tty: opts.tty, stdin: opts.stdin, detachKeys: opts.detachKeys });
  const sessionOutcome = outcomeOf(session.done);
  const proxy = (signal: NodeJS.Signals): void => {
    client.request('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal } }).catch(ignoreDaemonRefusal);
  };
  const signals: NodeJS.Signals[] = opts.tty || opts.sigProxy === false ? [] : ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, proxy);
  let stopResize = (): void => {};
  let ended: 'ended' | 'detached';
  try {
    if (opts.start) {
      try {
        await client.request('POST', `/containers/${encodeURIComponent(id)}/start`);
      } catch (err) {
        session.close();
        // like docker, a --rm run waits for the removal and logs what the wait reports
        if (opts.condition === 'removed') {
          // the failed start is what gets reported; a failed wait has nothing to add
          const waited = await waitOutcome;
          const status = waited.ok ? waited.value : undefined;
          if (status?.Error?.Message) logrusError(`Error waiting for container: ${status.Error.Message}`);
        }
        if (err instanceof DaemonError) {
          throw new RunError(cli, opts.cmd, err.message, startFailureCode(err.daemonMessage));
        }
        throw err;
      }
    }
    if (opts.tty) stopResize = watchTerminalSize(client, `/containers/${encodeURIComponent(id)}/resize`);
    ended = valueOf(await sessionOutcome);
  } finally {
    stopResize();
    for (const s of signals) process.off(s, proxy);
  }
  if (ended === 'detached') return 'detached';
  const status = valueOf(await waitOutcome);
  if (status?.Error?.Message) {
    // docker logs the wait error and exits 125
    logrusError(`Error waiting for container: ${status.Error.Message}`);
    return 125;
  }
  return status?.StatusCode ?? 0;
}

export interface RunOptions extends CreateFlags {
  detachKeys?: string;
  sigProxy: string | boolean;
}

/** `run`: create, then start detached or attached; `entrypointGiven` as buildCreateRequest takes it. */
export async function runRun(cli: Cli, image: string, args: string[], flags: RunOptions, entrypointGiven: boolean): Promise<void> {
  try {
    const detach = Boolean(flags.detach);
    const id = await createContainer(cli, image, args, flags, !detach, entrypointGiven);
    if (detach) {
      try {
        await cli.client.request('POST', `/containers/${encodeURIComponent(id)}/start`);
      } catch (err) {
        if (err instanceof DaemonError) throw new RunError(cli, 'run', err.message, startFailureCode(err.daemonMessage));
        throw err;
      }
      await cli.out(`${id}\n`);
      return;
    }
    const code = await attachAndRun(cli, id, {
      stdin: Boolean(flags.interactive),
      tty: Boolean(flags.tty),
      condition: flags.rm ? 'removed' : 'next-exit',
      start: true,
      cmd: 'run',
      detachKeys: flags.detachKeys,
      sigProxy: flags.sigProxy !== 'false' && flags.sigProxy !== false,
    });
    // detaching leaves the container running and is a success, as in docker
    if (code !== 'detached' && code !== 0) throw new ExitStatus(code);
  } catch (err) {
    throw err instanceof ConnectError ? new RunError(cli, 'run', err.message) : asRunError(cli, 'run', err);
  }
}

export async function runCreate(cli: Cli, image: string, args: string[], flags: CreateFlags, entrypointGiven: boolean): Promise<void> {
  try {
    const id = await createContainer(cli, image, args, flags, true, entrypointGiven);
    await cli.out(`${id}\n`);
  } catch (err) {
    // unlike run, docker's create reports daemon errors plainly and exits 1
    if (err instanceof DaemonError || err instanceof ConnectError) throw err;
    throw asRunError(cli, 'create', err);
  }
}

export interface StartOptions {
  attach?: boolean;
  detachKeys?: string;
  interactive?: boolean;
}

export async function runStart(cli: Cli, names: string[], flags: StartOptions): Promise<void> {
  if (flags.attach || flags.interactive) {
    if (names.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
    const info = await cli.client.json<{ Id: string; Config: { Tty: boolean } }>('GET', `/containers/${encodeURIComponent(names[0]!)}/json`);
    const code = await attachAndRun(cli, info.Id, {
      stdin: Boolean(flags.interactive), tty: info.Config.Tty, condition: 'next-exit', start: true, cmd: 'start',
      detachKeys: flags.detachKeys,
    }).catch((err: unknown) => {
      if (err instanceof RunError) throw new CliError(err.message.split('\n')[0]!.replace(/^berth: /, ''), err.exitCode === 125 ? 1 : err.exitCode);
      throw err;
    });
    if (code !== 'detached' && code !== 0) throw new ExitStatus(code);
    return;
  }
  const failed = await cli.forEach(names, async (name) => {
    await cli.client.request('POST', `/containers/${encodeURIComponent(name)}/start`);
    await cli.out(`${name}\n`);
  });
  if (failed.length > 0) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`);
}

/** --entrypoint typed on the command line, even empty (`--entrypoint ''` clears the image's). */
const entrypointGiven = (cmd: Command): boolean => cmd.getOptionValueSource('entrypoint') === 'cli';

export function registerRunCommands(program: Command, cli: Cli): void {
  addCreateFlags(
    program.command('run')
      .description('Create and run a new container from an image')
      .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
      .argument('<image>')
      .argument('[command...]')
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .option('--sig-proxy [bool]', 'Proxy received signals to the process', 'true')
      .passThroughOptions(),
  ).action((image: string, args: string[], flags: RunOptions, cmd: Command) => runRun(cli, image, args, flags, entrypointGiven(cmd)));
  addCreateFlags(
    program.command('create')
      .description('Create a new container')
      .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
      .argument('<image>')
      .argument('[command...]')
      .passThroughOptions(),
  ).action((image: string, args: string[], flags: CreateFlags, cmd: Command) => runCreate(cli, image, args, flags, entrypointGiven(cmd)));
  program.command('start')
    .description('Start one or more stopped containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>')
    .option('-a, --attach', "Attach STDOUT/STDERR and forward signals")
    .option('-i, --interactive', "Attach container's STDIN")
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .action((names: string[], flags: StartOptions) => runStart(cli, names, flags));
}
