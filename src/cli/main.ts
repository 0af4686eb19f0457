#!/usr/bin/env -S node --
/**
 * berth: the Berth client. Same commands, flags, output and exit codes as docker's for what berthd
 * serves; talks to the daemon only through the Engine API (src/cli/api-client.ts).
 */
import { Command, CommanderError } from 'commander';
import { Cli } from './client/cli.js';
import { registerContainerCommands } from './commands/containers.js';
import { registerContainerOpsCommands, registerContainerPrune } from './commands/container-ops.js';
import { registerExecCommands } from './commands/exec.js';
import { registerCpCommand } from './commands/cp.js';
import { registerStatsCommand } from './commands/stats.js';
import { registerEventsCommand } from './commands/events.js';
import { registerConsoleCommand } from './commands/console.js';
import { registerContextCommands } from './commands/contexts.js';
import { registerTlsCommands } from './commands/tls.js';
import { registerSystemDfCommand } from './commands/system-df.js';
import { registerNetworkCommands } from './commands/networks.js';
import { registerVolumeCommands } from './commands/volumes.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerBuildCommand } from './commands/build.js';
import { registerImageArchiveCommands, registerImagePrune } from './commands/image-archive.js';
import { registerImageCommands } from './commands/images.js';
import { registerRunCommands } from './commands/run.js';
import { BERTH_VERSION, registerInspectSubcommand, registerSystemCommands } from './commands/system.js';
import { CliError, ExitStatus } from './base/errors.js';
import type { HostFlags } from './client/host.js';
import { collect } from './commands/flags.js';

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** cobra's wording of a command's argument count: "1 argument", "at least 2 arguments", ... */
function argumentCount(cmd: Command): string {
  const args = cmd.registeredArguments;
  const min = args.filter((a) => a.required).length;
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (args.some((a) => a.variadic)) return `at least ${plural(min)}`;
  if (args.length > min) return `at least ${min} and at most ${plural(args.length)}`;
  return plural(min);
}

/** commander's parse errors reworded the way docker (cobra) words them. */
function usageError(cmd: Command, message: string): string {
  const path = commandPath(cmd);
  const usage = `Usage:  ${path} ${cmd.usage()}`;
  const unknown = /unknown option '([^']+)'/.exec(message);
  if (unknown && /^-[^-]/.test(unknown[1]!)) {
    return `unknown shorthand flag: '${unknown[1]![1]}' in ${unknown[1]}\n\n${usage}\n\nRun '${path} --help' for more information\n`;
  }
  if (unknown) return `unknown flag: ${unknown[1]}\n\n${usage}\n\nRun '${path} --help' for more information\n`;
  if (/missing required argument|too many arguments/.test(message)) {
    return `berth: '${path}' requires ${argumentCount(cmd)}\n\n${usage}\n\n${
      cmd.registeredArguments.some((a) => a.variadic) ? 'See' : 'Run'} '${path} --help' for more information\n`;
  }
  return message.replace(/^error: /, 'berth: ');
}

function buildProgram(cli: Cli): Command {
  const program = new Command('berth')
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient runtime for containers')
    .option('-H, --host <list>', 'Daemon socket to connect to', collect, [])
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .option('--tlsverify', 'Use TLS and verify the remote')
    .option('--tlscacert <string>', 'Trust certs signed only by this CA')
    .option('--tlscert <string>', 'Path to TLS certificate file')
    .option('--tlskey <string>', 'Path to TLS key file')
    .option('-D, --debug', 'Enable debug mode')
    .option('-l, --log-level <string>', 'Set the logging level ("debug", "info", "warn", "error", "fatal")', 'info')
    .option('--config <string>', 'Location of client config files')
    .option('-c, --context <string>', 'Name of the context to use to connect to the daemon')
    .version(`Berth version ${BERTH_VERSION}`, '-v, --version', 'Print version information and quit')
    .helpOption('--help', 'Print usage')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(str.replace(/^error: /, 'berth: ')),
    });

  registerRunCommands(program, cli);
  registerContainerCommands(program, cli);
  registerExecCommands(program, cli);
  registerContainerOpsCommands(program, cli);
  registerCpCommand(program, cli);
  registerStatsCommand(program, cli);
  registerImageCommands(program, cli);
  registerRegistryCommands(program, cli);
  registerImageArchiveCommands(program, cli);
  registerBuildCommand(program, cli);
  registerSystemCommands(program, cli);
  registerEventsCommand(program, cli);
  registerConsoleCommand(program, cli);

  // Management commands: `berth container ls`, `berth image rm`, ... as in docker.
  const container = program.command('container').description('Manage containers');
  registerRunCommands(container, cli);
  registerContainerCommands(container, cli);
  registerExecCommands(container, cli);
  registerContainerOpsCommands(container, cli);
  registerCpCommand(container, cli);
  registerStatsCommand(container, cli);
  registerContainerPrune(container, cli);
  registerInspectSubcommand(container, cli, 'container');
  container.commands.find((c) => c.name() === 'ps')?.name('ls').aliases(['ps', 'list']);
  container.commands.find((c) => c.name() === 'rm')?.aliases(['remove']);

  const image = program.command('image').description('Manage images');
  registerImageCommands(image, cli);
  registerRegistryCommands(image, cli, true);
  registerImageArchiveCommands(image, cli);
  registerImagePrune(image, cli);
  registerBuildCommand(image, cli);
  registerInspectSubcommand(image, cli, 'image');
  image.commands.find((c) => c.name() === 'images')?.name('ls').aliases(['list']);
  image.commands.find((c) => c.name() === 'rmi')?.name('rm').aliases(['remove']);

  const system = program.command('system').description('Manage Berth');
  registerSystemCommands(system, cli);
  registerEventsCommand(system, cli);
  registerSystemDfCommand(system, cli);

  registerNetworkCommands(program, cli);
  registerVolumeCommands(program, cli);
  registerContextCommands(program, cli);
  registerTlsCommands(program, cli);
  const groups = [program, container, image, system,
    ...['network', 'volume', 'context', 'tls'].map((n) => program.commands.find((c) => c.name() === n)!)];
  for (const cmd of groups) {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ outputError: (str, write) => write(usageError(sub, str)) });
      sub.helpOption('--help', 'Print usage');
    }
  }
  return program;
}

async function main(argv: string[]): Promise<number> {
  let program: Command | undefined;
  const cli = new Cli(() => {
    const o = program!.opts<HostFlags & { host: string[] }>();
    return { host: o.host, tls: o.tls, tlsverify: o.tlsverify, tlscacert: o.tlscacert, tlscert: o.tlscert, tlskey: o.tlskey,
      context: o.context, config: o.config };
  }, () => program!.opts<{ config?: string }>().config, () => program!.opts<{ debug?: boolean; logLevel?: string }>());
  program = buildProgram(cli);
  // docker checks --log-level before any command runs
  program.hook('preAction', () => void cli.log);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ExitStatus) return err.exitCode;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (['commander.executeSubCommandAsync', 'commander.missingArgument', 'commander.excessArguments'].includes(err.code)) return 1;
      return 125;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    cli.close();
  }
}

main(process.argv).then((code) => process.exit(code));
