import { execFile, spawn, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { SystemError } from '../../lib/errors.js';
import { Logger } from '../base/log.js';
import { SpawnHelper, type LaunchOptions, type LaunchedProcess } from './spawn-helper.js';

export type { LaunchOptions, LaunchedProcess };

/**
 * How berthd starts the processes of a container's life (runc, conmon) and mounts its root
 * filesystem: through the spawn helper (spawn-helper.ts) when its binary is built, else with Node's
 * own child_process and mount(8)/umount(8), as before the helper existed (a warning says so once).
 */
export interface HostProcesses {
  launch(file: string, args: readonly string[], options?: LaunchOptions): LaunchedProcess;
  /** The helper, when processes go through it; undefined on the fallback. */
  readonly helper?: SpawnHelper;
}

const execFileAsync = promisify(execFile);

/** Node's own child_process: every spawn forks berthd. */
export const nodeProcesses: HostProcesses = {
  launch(file, args, options = {}) {
    const stdio: StdioOptions = ['ignore', options.stdout ? 'pipe' : 'ignore', options.stderr ? 'pipe' : 'ignore', ...(options.sync ? ['pipe' as const] : [])];
    return spawn(file, args, { cwd: options.cwd, env: options.env, detached: options.detached, stdio });
  },
};

/** Processes started by `helper`. */
export function helperProcesses(helper: SpawnHelper): HostProcesses {
  return { helper, launch: (file, args, options) => helper.spawn(file, args, options) };
}

let shared: HostProcesses | undefined;

/** This process's way of starting processes: one spawn helper for the whole daemon, chosen at first use. */
export function hostProcesses(): HostProcesses {
  if (!shared) {
    const helper = new SpawnHelper();
    if (existsSync(helper.binary)) {
      shared = helperProcesses(helper);
    } else {
      new Logger().warn(`the spawn helper ${helper.binary} is missing (build it with \`npm run build\`): berthd forks itself for every runc, conmon and mount call, which is slower`);
      shared = nodeProcesses;
    }
  }
  return shared;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed with `killSignal` (default SIGKILL) once it has run this long; the promise rejects at once. */
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
  /** stdout and stderr together may not exceed this (default 4 MiB): the process is killed beyond it. */
  maxBuffer?: number;
}

/**
 * A command that failed: it exited non-zero or by a signal, or runFile killed it (`killedFor`: it ran
 * past its timeout or printed more than maxBuffer). `stderr` and `stdout` hold what it printed.
 */
export class CommandFailure extends SystemError {
  constructor(
    readonly command: string, readonly exitCode: number | null, readonly signal: NodeJS.Signals | null,
    readonly stdout: string, readonly stderr: string, readonly killedFor?: 'timeout' | 'maxBuffer', why?: string,
  ) {
    super(`${command} ${why ?? (signal ? `was killed by ${signal}` : `exited with status ${exitCode}`)}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  }
}

/**
 * Runs a command to its end and returns its output (execFile's contract): rejects with the spawn error
 * (code 'ENOENT'...) when it cannot start, with CommandFailure when it fails or is killed.
 */
export function runFile(file: string, args: readonly string[], options: RunOptions = {}, processes = hostProcesses()): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = processes.launch(file, args, { cwd: options.cwd, env: options.env, stdout: true, stderr: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const maxBuffer = options.maxBuffer ?? 4 << 20;
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString();
    const command = [file, ...args].join(' ');
    const killWith = (reason: 'timeout' | 'maxBuffer', why: string) => {
      if (settled) return;
      child.kill(options.killSignal ?? 'SIGKILL');
      settle(new CommandFailure(command, null, options.killSignal ?? 'SIGKILL', text(out), text(err), reason, why));
    };
    const timer = options.timeoutMs ? setTimeout(() => killWith('timeout', `did not finish within ${options.timeoutMs! / 1000} s and was killed`), options.timeoutMs) : undefined;
    const settle = (failure: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ stdout: text(out), stderr: text(err) });
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBuffer) return killWith('maxBuffer', `printed more than ${maxBuffer} bytes and was killed`);
      into.push(chunk);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    child.on('error', (e: Error) => settle(e));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      settle(code === 0 ? undefined : new CommandFailure(command, code, signal, text(out), text(err)));
    });
  });
}

/** mount -t overlay overlay -o <options> <target>: in the helper as mount(2), else with mount(8). */
export async function mountOverlay(target: string, options: string, processes = hostProcesses()): Promise<void> {
  if (processes.helper) return processes.helper.mount({ source: 'overlay', fstype: 'overlay', target, data: options });
  await execFileAsync('mount', ['-t', 'overlay', 'overlay', '-o', options, target]);
}

const MNT_DETACH = 2;

/**
 * Unmounts whatever is mounted at `path`, if anything, lazily when something still holds it; throws
 * what the lazy unmount said when that failed too and `path` is still mounted.
 */
export async function unmountAt(path: string, isMounted: (path: string) => Promise<boolean>, processes = hostProcesses()): Promise<void> {
  const helper = processes.helper;
  if (!helper) {
    if (!(await isMounted(path))) return;
    try {
      await execFileAsync('umount', [path]);
    } catch {
      // Busy: detach it lazily. That fails only when it is no longer mounted, which is the goal.
      try {
        await execFileAsync('umount', ['-l', path]);
      } catch (err) {
        if (await isMounted(path)) throw err;
      }
    }
    return;
  }
  try {
    return await helper.unmount(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EINVAL: not a mount point; ENOENT: no such path. Nothing was mounted there: the goal, without
    // reading the mount table first (long with a thousand containers running).
    if (code === 'EINVAL' || code === 'ENOENT') return;
    if (code !== 'EBUSY') throw err;
  }
  try {
    await helper.unmount(path, MNT_DETACH);
  } catch (err) {
    if (await isMounted(path)) throw err;
  }
}
