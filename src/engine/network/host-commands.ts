import { spawn } from 'node:child_process';
import { writeFile, readFile } from 'node:fs/promises';
import { SystemError } from '../../lib/errors.js';
import { HOST_SCRIPT_TIMEOUT_MS, chain, type FedCommand } from './host-shell.js';
import { HostShellPool } from './host-shell-pool.js';

/**
 * The few host tools networking needs, each called once per batch of changes rather than once per
 * step: `ip -batch` (host namespace), `nsenter --net=... ip -batch` (a container's namespace) and
 * `iptables-restore --noflush`. Node cannot enter a namespace or speak netlink itself.
 */

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(cmd: string, args: string[], input = ''): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // Bounded as the networking shell is: a tool that hangs is killed and its status is -1.
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: HOST_SCRIPT_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

async function mustRun(cmd: string, args: string[], input: string, what: string): Promise<string> {
  const r = await runCommand(cmd, args, input);
  if (r.code !== 0) throw new SystemError(`${what}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** The shells every networking command of the daemon goes through (a few processes, many commands). */
export const hostShell = new HostShellPool();

/** Runs commands (built with the helpers below) in one round trip; throws with the tools' own message. */
export async function runScript(commands: FedCommand[], what: string): Promise<void> {
  if (commands.length === 0) return;
  const r = await hostShell.run(chain(commands));
  if (r.code !== 0) throw new SystemError(`${what}: ${r.output.trim()}`);
}

/** `ip` commands (one per line, without the leading `ip`) for the host's namespace. */
export function ipScript(lines: string[], force = false): FedCommand {
  return { command: force ? 'ip -force -batch -' : 'ip -batch -', input: lines };
}

/** `ip` commands for the network namespace at `nsPath` (e.g. /proc/<pid>/ns/net). */
export function ipScriptIn(nsPath: string, lines: string[]): FedCommand {
  return { command: `nsenter --net=${shellQuote(nsPath)} ip -batch -`, input: lines };
}

export async function ipBatch(lines: string[]): Promise<void> {
  if (lines.length) await runScript([ipScript(lines)], 'ip');
}

/** Like ipBatch, but carries on past failing lines (for removals of things that may be gone already). */
export async function ipBatchLenient(lines: string[]): Promise<void> {
  if (lines.length) await hostShell.run(chain([ipScript(lines, true)]));
}

/** Applies an iptables-restore document without flushing what others own. */
export async function iptablesRestore(document: string): Promise<void> {
  const lines = document.replace(/\n$/, '').split('\n');
  await runScript([{ command: 'iptables-restore --noflush -w 5', input: lines }], 'iptables-restore');
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function iptablesSave(table: string): Promise<string> {
  return mustRun('iptables-save', ['-t', table], '', 'iptables-save');
}

/** Lists the host's link names (from /sys, no process needed). */
export async function linkExists(name: string): Promise<boolean> {
  return readFile(`/sys/class/net/${name}/ifindex`, 'utf8').then(() => true, () => false);
}

/** Sets a sysctl under /proc/sys/net if it differs. */
export async function setSysctl(path: string, value: string): Promise<void> {
  const full = `/proc/sys/${path}`;
  const current = await readFile(full, 'utf8').catch(() => undefined);
  if (current?.trim() === value) return;
  await writeFile(full, value);
}
