import { spawn } from 'node:child_process';
import { writeFile, readFile } from 'node:fs/promises';
import { SystemError } from '../../lib/errors.js';

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
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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

/** Runs `ip` commands (one per line, without the leading `ip`) in the host's namespace. */
export async function ipBatch(lines: string[], force = false): Promise<void> {
  if (lines.length === 0) return;
  await mustRun('ip', force ? ['-force', '-batch', '-'] : ['-batch', '-'], lines.join('\n') + '\n', 'ip');
}

/** Like ipBatch, but carries on past failing lines (for removals of things that may be gone already). */
export async function ipBatchLenient(lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await runCommand('ip', ['-force', '-batch', '-'], lines.join('\n') + '\n');
}

/** Runs `ip` commands inside the network namespace at `nsPath` (e.g. /proc/<pid>/ns/net). */
export async function ipBatchIn(nsPath: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await mustRun('nsenter', [`--net=${nsPath}`, 'ip', '-batch', '-'], lines.join('\n') + '\n', 'ip (container namespace)');
}

/** Applies an iptables-restore document without flushing what others own. */
export async function iptablesRestore(document: string): Promise<void> {
  await mustRun('iptables-restore', ['--noflush', '-w', '5'], document, 'iptables-restore');
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
