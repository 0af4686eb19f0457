import type { Readable } from 'node:stream';
import { SystemError } from '../../lib/errors.js';
import { join } from 'node:path';
import { runcMessage } from './runc.js';
import type { OciRuntime } from './oci-runtimes.js';
import type { RuntimeSpec } from './runtime.js';
import { hostProcesses } from './host-process.js';

export interface SpawnConmonOptions {
  /**
   * conmon's working directory: the bundle (or exec) directory, as containerd's shims do, so that a
   * monitor that lives for weeks does not pin the directory berthd happened to be started from.
   */
  cwd: string;
  /** The error for a failed `runc create`/`runc exec`; `message` is runc's own words ('' when it said nothing). */
  runtimeError: (message: string) => Error;
  /** How long to wait for conmon's report before giving up on it (default CONMON_REPORT_TIMEOUT_MS). */
  timeoutMs?: number;
}

/**
 * conmon reports once `runc create` or `runc exec` has finished, in milliseconds normally; a runc that
 * hangs (a stuck mount, a frozen cgroup) must not hold the start, and the container's lock, forever.
 */
export const CONMON_REPORT_TIMEOUT_MS = 60_000;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Starts conmon and waits for its first report on the sync pipe (fd 3, named by _OCI_SYNCPIPE):
 * `{"data": <pid>}` once runc created the container or started the exec process,
 * `{"data": -1, "message": "<runc's stderr>"}` when it failed. conmon forks into its own session and
 * closes its stdio, so it does not die with us; we stop listening after the first report.
 */
export function spawnConmon(conmon: string, args: string[], options: SpawnConmonOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = hostProcesses().launch(conmon, args, {
      cwd: options.cwd,
      detached: true,
      stdout: true, stderr: true, sync: true,
      // A clean environment: conmon hands it to runc, and the daemon's own variables are not the container's.
      env: { PATH: process.env.PATH ?? DEFAULT_PATH, _OCI_SYNCPIPE: '3' },
    });
    const stdout = child.stdout!;
    const stderr = child.stderr!;
    const sync = child.stdio[3] as Readable;
    let output = '';
    let syncText = '';
    let settled = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let syncEnded = false;
    const timeoutMs = options.timeoutMs ?? CONMON_REPORT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      finish(new SystemError(`conmon did not report within ${timeoutMs / 1000} s that runc had created the process: gave up on it`));
    }, timeoutMs);
    const finish = (err: Error | undefined, pid?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync.destroy();
      stdout.destroy();
      stderr.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid!);
    };
    const collect = (chunk: Buffer) => { if (output.length < 8192) output += chunk.toString(); };
    stdout.on('data', collect);
    stderr.on('data', collect);
    const failIfSilent = () => {
      // conmon ended without a report: it failed before starting runc (bad option, missing dir...).
      if (!syncEnded || !exited) return;
      const how = exited.code !== null ? `exit status ${exited.code}` : `signal ${exited.signal}`;
      finish(new SystemError(`conmon failed (${how})${output.trim() ? `: ${output.trim()}` : ' without a message'}`));
    };
    sync.on('data', (chunk: Buffer) => {
      syncText += chunk.toString();
      const nl = syncText.indexOf('\n');
      if (nl < 0) return;
      let report: { data?: number; pid?: number; message?: string };
      try {
        report = JSON.parse(syncText.slice(0, nl));
      } catch {
        return finish(new SystemError(`conmon sent a malformed report: ${syncText.slice(0, 200)}`));
      }
      const pid = report.data ?? report.pid ?? -1;
      if (pid > 0) return finish(undefined, pid);
      finish(options.runtimeError(runcMessage(report.message ?? '') || (report.message ?? '').trim()));
    });
    sync.on('end', () => { syncEnded = true; failIfSilent(); });
    sync.on('error', () => { syncEnded = true; failIfSilent(); });
    child.on('error', (err: Error) => finish(new SystemError(`cannot run conmon: ${err.message}`)));
    // The first conmon process exits at once after forking the monitor (status 0); the failure is
    // reported once the sync pipe has ended too, in whichever order the two come.
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => { exited = { code, signal }; failIfSilent(); });
  });
}

/** Where a container's conmon keeps and finds its files (conmon-runtime.ts describes the layout). */
export interface ConmonDirs {
  persistDir: string;
  exitDir: string;
  socketDir: string;
  runcRoot: string;
}

/** conmon's command line for a container's run under the OCI runtime `oci`. */
export function conmonArgs(spec: RuntimeSpec, oci: OciRuntime, dirs: ConmonDirs): string[] {
  const persist = dirs.persistDir;
  const args = [
    '--api-version', '1',
    '-c', spec.id, '-u', spec.id, '-n', spec.id,
    '-r', oci.path,
    '-b', spec.bundleDir,
    '-p', join(persist, 'pid'),
    '--conmon-pidfile', join(persist, 'conmon.pid'),
    '--exit-dir', dirs.exitDir,
    '--persist-dir', persist,
    '--socket-dir-path', dirs.socketDir,
    // The attach socket goes to <bundle>/attach whatever the path length (no sun_path truncation).
    '--full-attach',
    '-l', `k8s-file:${spec.logPath}`,
    '--log-level', 'info',
    // conmon fsyncs the log at exit before it writes the exit file, which delays every exit report;
    // Docker's log drivers do not fsync either.
    '--no-sync-log',
    // The runtime's own options (daemon.json runtimeArgs) come first, as dockerd's wrapper puts them.
    ...oci.args.flatMap((a) => ['--runtime-arg', a]),
    '--runtime-arg', '--root', '--runtime-arg', dirs.runcRoot,
    // runc's stderr is the container's: its warnings go to a file of their own instead. With a log
    // file runc still prints a fatal error on stderr, which conmon relays on the sync pipe.
    '--runtime-arg', '--log-format=json', '--runtime-arg', `--log=${join(persist, 'runc.log')}`,
  ];
  if (spec.logSizeMax) args.push('--log-size-max', String(spec.logSizeMax));
  if (spec.terminal) args.push('-t');
  if (spec.openStdin) {
    args.push('-i');
    if (!spec.stdinOnce) args.push('--leave-stdin-open');
  }
  return args;
}
