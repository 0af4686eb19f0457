/**
 * `berth console`: a web console for the daemon this client reaches (berthd or dockerd), served
 * until interrupted. It prints one line, the URL to open with its one-time login token.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { ConsoleServer } from '../console/console-server.js';
import { isLoopback } from '../console/console-gate.js';

export interface ConsoleFlags {
  listen: string;
  open?: boolean;
  tlscert?: string;
  tlskey?: string;
  insecure?: boolean;
}

/** "ADDR:PORT", "[V6]:PORT" or ":PORT" (every address). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new CliError(`invalid --listen address ${JSON.stringify(value)}: use ADDRESS:PORT, e.g. 127.0.0.1:8080`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`could not read the ${what} ${path}: ${(err as Error).message}`);
  }
}

export async function runConsole(cli: Cli, flags: ConsoleFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  if (Boolean(flags.tlscert) !== Boolean(flags.tlskey)) throw new CliError('--tlscert and --tlskey must be given together');
  const tls = flags.tlscert && flags.tlskey ? { cert: readPem(flags.tlscert, 'certificate'), key: readPem(flags.tlskey, 'key') } : undefined;
  if (!isLoopback(host) && !tls && !flags.insecure) {
    throw new CliError(`--listen ${flags.listen} can be reached from other machines: give --tlscert and --tlskey, or --insecure to serve plain HTTP anyway`);
  }
  if (!isLoopback(host) && !tls) await cli.err(`WARNING: the console on ${flags.listen} is served without TLS: its login token and session cookie travel in clear text\n`);
  const client = cli.client;
  await client.apiVersion();
  const warn = (message: string): void => void cli.err(`${message}\n`);
  const debug = cli.log.enabled('debug') ? (message: string): void => cli.log.debug(message) : undefined;
  const server = await ConsoleServer.start(client, { host, port, tls, daemon: client.target.display, warn, debug });
  await cli.out(`Berth console for ${client.target.display}: ${server.loginUrl}\n`);
  if (flags.open) openBrowser(server.loginUrl, warn);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/** $BROWSER, else xdg-open; a failure is told, the console keeps serving. */
function openBrowser(url: string, warn: (message: string) => void): void {
  const command = process.env.BROWSER || 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', (err) => warn(`could not open a browser with ${command}: ${err.message}; open the URL above yourself`));
  child.unref();
}

export function registerConsoleCommand(parent: Command, cli: Cli): void {
  parent.command('console')
    .description('Serve a web console for the daemon (containers, logs, terminals)')
    .usage('[OPTIONS]')
    .option('--listen <address>', 'Address to serve the console on', '127.0.0.1:8080')
    .option('--open', 'Open the console in a browser')
    .option('--tlscert <file>', "The console's TLS certificate (required with --tlskey to listen beyond loopback)")
    .option('--tlskey <file>', "The console's TLS key")
    .option('--insecure', 'Allow plain HTTP on an address other machines can reach')
    .action((flags: ConsoleFlags) => runConsole(cli, flags));
}
