import { hostProcesses } from './host-process.js';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { errorMessage, orIfMissing } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { ExecStartError } from './exec-runtime.js';
import { runcMessage } from './runc.js';
import { OciRuntimes, type OciRuntime } from './oci-runtimes.js';

export interface ProbeOptions {
  /** The probe is killed (SIGKILL) after this long. */
  timeoutMs: number;
  /** Output kept, stdout and stderr together in arrival order; more is cut and marked "...". */
  maxOutputBytes: number;
  /** Aborting kills the probe: its container stopped or paused, or the daemon shuts down. */
  signal?: AbortSignal;
}

export type ProbeOutcome =
  | { kind: 'exited'; exitCode: number; output: string }
  | { kind: 'timeout'; output: string }
  /** The process could not be started; `message` is Docker's ("OCI runtime exec failed: ..."). */
  | { kind: 'failed'; message: string }
  | { kind: 'aborted' };

/** Runs health-check probes: short commands inside a running container. */
export interface ProbeRunner {
  /**
   * Runs `args` in running container `containerId` as `docker exec` would without stdin or a terminal:
   * the container's own process settings (env, user, working dir, capabilities), its namespaces and
   * cgroup. Never rejects: every end is a ProbeOutcome.
   */
  probe(containerId: string, args: string[], options: ProbeOptions): Promise<ProbeOutcome>;
}

export interface RuncProbeRunnerOptions {
  execRoot: string;
  log: Logger;
  /** Where each container's runtime is found (the one its run was created with); default: runc only. */
  runtimes?: OciRuntimes;
}

/** How long output may still arrive after the probe's end (a child it left may hold the pipes open). */
const DRAIN_MS = 100;

/**
 * Probes as `runc exec` (not detached, started by the spawn helper: host-process.ts) with the
 * container's own process spec and pipes to the daemon as its stdio. Unlike `docker exec` sessions (exec-runtime.ts) no conmon
 * is started: a probe lives for milliseconds and its output is read here, so one spawn per probe is
 * all it costs. `--pid-file` names the probe's process, which a timeout kills with SIGKILL (runc
 * cannot pass SIGKILL on); runc then ends with it. A probe runc could not start leaves no pid file,
 * and its stderr is runc's reason.
 *
 * Files: `<exec-root>/health/<container id>.pid` while a probe runs (one probe per container at a time).
 */
export class RuncProbeRunner implements ProbeRunner {
  private readonly dir: string;
  private readonly runcRoot: string;
  private readonly log: Logger;
  private readonly execRoot: string;
  private readonly runtimes: OciRuntimes;
  private ready?: Promise<unknown>;

  constructor(options: RuncProbeRunnerOptions) {
    this.dir = join(options.execRoot, 'health');
    this.runcRoot = join(options.execRoot, 'runc');
    this.log = options.log;
    this.execRoot = options.execRoot;
    this.runtimes = options.runtimes ?? new OciRuntimes();
  }

  async probe(containerId: string, args: string[], options: ProbeOptions): Promise<ProbeOutcome> {
    if (options.signal?.aborted) return { kind: 'aborted' };
    if (args.length === 0 || args[0] === '') return { kind: 'failed', message: 'No exec command specified' };
    const pidFile = join(this.dir, `${containerId}.pid`);
    let oci: OciRuntime;
    try {
      this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.ready;
      oci = await this.runtimes.ofContainer(this.execRoot, containerId);
      // A pid file left by a daemon that died mid-probe must not name a process for this probe.
      await rm(pidFile, { force: true });
    } catch (err) {
      return { kind: 'failed', message: errorMessage(err) };
    }
    const child = hostProcesses().launch(oci.path, [
      ...oci.args, '--root', this.runcRoot, '--log', '/dev/null', 'exec', '--pid-file', pidFile, containerId, ...args,
    ], { stdout: true, stderr: true });
    let runcEnded = false;
    child.once('exit', () => { runcEnded = true; }).once('error', () => { runcEnded = true; });
    const output = new LimitedOutput(options.maxOutputBytes);
    child.stdout!.on('data', (d: Buffer) => output.write(d));
    child.stderr!.on('data', (d: Buffer) => output.write(d));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let ending: 'timeout' | 'aborted' | undefined;
    const end = (why: 'timeout' | 'aborted') => {
      ending ??= why;
      void this.kill(pidFile, () => !runcEnded, () => child.kill('SIGKILL'));
    };
    const timer = setTimeout(() => end('timeout'), options.timeoutMs);
    const onAbort = () => end('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let exitCode: number;
    try {
      exitCode = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 255)));
      });
      let drain: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => { drain = setTimeout(r, DRAIN_MS); })]);
      clearTimeout(drain);
    } catch (err) {
      return { kind: 'failed', message: errorMessage(err) };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout!.destroy();
      child.stderr!.destroy();
    }
    const started = await stat(pidFile).then(() => true, () => false);
    await rm(pidFile, { force: true }).catch((err) => this.log.warn(`health probe: ${errorMessage(err)}`));
    if (ending === 'aborted') return { kind: 'aborted' };
    if (ending === 'timeout') return { kind: 'timeout', output: output.toString() };
    if (!started) return { kind: 'failed', message: new ExecStartError(runcMessage(output.toString()) || `runc exec exited with ${exitCode}`).message };
    return { kind: 'exited', exitCode, output: output.toString() };
  }

  /**
   * SIGKILLs the probe's process once runc has named it; while runc is still starting it, waits a
   * little. A runc that never names it is killed itself.
   */
  private async kill(pidFile: string, runcAlive: () => boolean, killRunc: () => void): Promise<void> {
    for (let attempt = 0; attempt < 50 && runcAlive(); attempt++) {
      const pid = Number.parseInt((await orIfMissing(readFile(pidFile, 'utf8'), undefined)) ?? '', 10);
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') this.log.warn(`health probe ${pid}: ${errorMessage(err)}`);
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (runcAlive()) killRunc();
  }
}


/** Keeps the first `max` bytes written (dockerd's limitedBuffer); String() marks a cut with "...". */
export class LimitedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(private readonly max: number) {}

  write(data: Buffer): void {
    const keep = Math.min(this.max - this.size, data.length);
    if (keep > 0) {
      this.chunks.push(keep === data.length ? data : data.subarray(0, keep));
      this.size += keep;
    }
    if (keep < data.length) this.truncated = true;
  }

  toString(): string {
    const text = Buffer.concat(this.chunks, this.size).toString('utf8');
    return this.truncated ? `${text}...` : text;
  }
}
