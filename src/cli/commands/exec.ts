/**
 * `exec` and `attach`: a process in a running container, or the container's own streams, relayed
 * over a hijacked connection with docker's detach keys, resize and exit codes.
 */
import type { Command } from 'commander';
import { compareVersions } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError, ExitStatus, ignoreDaemonRefusal, outcomeOf, valueOf } from '../base/errors.js';
import { environment } from './container-config.js';
import { startSession } from '../client/session.js';
import { watchTerminalSize } from '../client/streams.js';
import { collect } from './flags.js';
const enc = encodeURIComponent;

export interface ExecOptions {
  detach?: boolean;
  detachKeys?: string;
  env: string[];
  envFile: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

export interface AttachOptions {
  detachKeys?: string;
  sigProxy: string | boolean;
  stdin: boolean;
}

interface ContainerState {
  Id: string;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
  Config: { Tty: boolean; OpenStdin: boolean };
}

/** docker refuses a TTY with attached stdin when our stdin is not a terminal. */
function checkTty(attachStdin: boolean, tty: boolean): void {
  if (attachStdin && tty && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
}

export async function runExec(cli: Cli, container: string, command: string[], flags: ExecOptions): Promise<void> {
  const client = cli.client;
  const env = environment(flags.envFile, flags.env);
  // docker looks the container up first: a missing one is reported before anything else happens
  await client.json('GET', `/containers/${enc(container)}/json`);
  const tty = Boolean(flags.tty);
  const stdin = Boolean(flags.interactive);
  const detach = Boolean(flags.detach);
  if (!detach) checkTty(stdin, tty);
  const consoleSize = tty && process.stdout.isTTY && compareVersions(await client.apiVersion(), '1.42') >= 0
    ? { ConsoleSize: [process.stdout.rows ?? 0, process.stdout.columns ?? 0] }
    : {};
  const created = await client.json<{ Id: string }>('POST', `/containers/${enc(container)}/exec`, {
    body: {
      User: flags.user ?? '',
      Privileged: Boolean(flags.privileged),
      Tty: tty,
      ...consoleSize,
      AttachStdin: stdin && !detach,
      AttachStderr: !detach,
      AttachStdout: !detach,
      Detach: detach,
      DetachKeys: flags.detachKeys ?? '',
      Env: env.length ? env : null,
      WorkingDir: flags.workdir ?? '',
      Cmd: command,
    },
  });
  const execId = created.Id;
  if (detach) {
    await client.request('POST', `/exec/${enc(execId)}/start`, { body: { Detach: true, Tty: tty, ...consoleSize } });
    return;
  }
  const hijacked = await client.hijack(`/exec/${enc(execId)}/start`, { body: { Detach: false, Tty: tty, ...consoleSize } });
  const session = startSession(hijacked, { tty, stdin, detachKeys: flags.detachKeys });
  const stopResize = tty ? watchTerminalSize(client, `/exec/${enc(execId)}/resize`) : () => {};
  let ended: 'ended' | 'detached';
  try {
    ended = await session.done;
  } finally {
    stopResize();
  }
  if (ended === 'detached') throw new CliError('read escape sequence');
  const inspected = await client.json<{ ExitCode: number | null; Running?: boolean }>('GET', `/exec/${enc(execId)}/json`);
  const code = inspected?.ExitCode ?? 0;
  if (code !== 0) throw new ExitStatus(code);
}

export async function runAttach(cli: Cli, container: string, flags: AttachOptions): Promise<void> {
  const client = cli.client;
  const path = `/containers/${enc(container)}`;
  // docker starts waiting before it checks the state, so a quick exit is not missed
  const waitOutcome = outcomeOf(client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `${path}/wait`));
  const info = await client.json<ContainerState>('GET', `${path}/json`);
  if (!info.State.Running) throw new CliError('You cannot attach to a stopped container, start it first');
  if (info.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first');
  if (info.State.Restarting) throw new CliError('You cannot attach to a restarting container, wait until it is running');
  const tty = info.Config.Tty;
  checkTty(flags.stdin, tty);
  const stdin = flags.stdin && info.Config.OpenStdin;
  const sigProxy = !(flags.sigProxy === 'false' || flags.sigProxy === false) && !tty;
  const proxy = (signal: NodeJS.Signals): void => {
    client.request('POST', `${path}/kill`, { query: { signal } }).catch(ignoreDaemonRefusal);
  };
  const signals: NodeJS.Signals[] = sigProxy ? ['SIGINT', 'SIGTERM'] : [];
  for (const s of signals) process.on(s, proxy);
  let ended: 'ended' | 'detached';
  let stopResize = (): void => {};
  try {
    const hijacked = await client.hijack(`${path}/attach`, {
      query: { stream: true, stdin: stdin || undefined, stdout: true, stderr: true, detachKeys: flags.detachKeys },
    });
    const session = startSession(hijacked, { tty, stdin, detachKeys: flags.detachKeys });
    if (tty) stopResize = watchTerminalSize(client, `${path}/resize`);
    ended = await session.done;
  } finally {
    stopResize();
    for (const s of signals) process.off(s, proxy);
  }
  if (ended === 'detached') throw new CliError('read escape sequence');
  const status = valueOf(await waitOutcome);
  if (status?.Error?.Message) throw new CliError(status.Error.Message);
  const code = status?.StatusCode ?? 0;
  if (code !== 0) throw new ExitStatus(code);
}

export function registerExecCommands(program: Command, cli: Cli): void {
  program.command('exec')
    .description('Execute a command in a running container')
    .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .argument('<container>')
    .argument('<command...>')
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .passThroughOptions()
    .action((container: string, command: string[], flags: ExecOptions) => runExec(cli, container, command, flags));

  program.command('attach')
    .description('Attach local standard input, output, and error streams to a running container')
    .usage('[OPTIONS] CONTAINER')
    .argument('<container>')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy [bool]', 'Proxy all received signals to the process', 'true')
    .action((container: string, flags: AttachOptions) => runAttach(cli, container, flags));
}
