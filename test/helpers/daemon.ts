import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'node:http';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

const execFileAsync = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BERTHD = join(ROOT, 'dist', 'engine', 'main.js');
export const BERTH = join(ROOT, 'dist', 'cli', 'main.js');
export const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : '/usr/bin/docker';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DaemonOptions {
  /** Extra berthd flags, e.g. ['-H', 'tcp://127.0.0.1:0']. */
  args?: string[];
  /** Reuse the state of an earlier daemon (to test restarts and --data-root switches). */
  dir?: string;
  dataRoot?: string;
  /** daemon.json content. */
  config?: Record<string, unknown>;
  /** The berthd to run (a main.js); default this tree's dist/ (benchmarks compare another build). */
  binary?: string;
}

/**
 * A real berthd on a temp data root, exec root and socket: never the user's daemon. `stop()` ends it and
 * removes everything it made; tests call it in `after`.
 */
export class TestDaemon {
  proc?: ChildProcess;
  output = '';
  readonly socket: string;
  readonly host: string;
  readonly dataRoot: string;
  readonly execRoot: string;

  private constructor(readonly dir: string, readonly options: DaemonOptions) {
    this.socket = join(dir, 'berth.sock');
    this.host = `unix://${this.socket}`;
    this.dataRoot = options.dataRoot ?? join(dir, 'data');
    this.execRoot = join(dir, 'exec');
  }

  static async start(options: DaemonOptions = {}): Promise<TestDaemon> {
    // berthd's userland proxy is C, built beside dist/ (a tree built with tsc alone lacks it).
    if (!options.binary) await buildNative();
    const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'berth-test-'));
    const daemon = new TestDaemon(dir, options);
    await daemon.launch();
    return daemon;
  }

  /** Starts berthd (again) on this daemon's directories. */
  async launch(extraArgs: string[] = []): Promise<void> {
    await writeFile(join(this.dir, 'daemon.json'), JSON.stringify(this.options.config ?? {}));
    const args = [
      this.options.binary ?? BERTHD, '-H', this.host, '--data-root', this.dataRoot, '--exec-root', this.execRoot,
      '--pidfile', join(this.dir, 'berthd.pid'), '--config-file', join(this.dir, 'daemon.json'),
      ...(this.options.args ?? []), ...extraArgs,
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d) => (this.output += d));
    proc.stderr!.on('data', (d) => (this.output += d));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`berthd exited with ${proc.exitCode}:\n${this.output}`);
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not answer within 15 s:\n${this.output}`);
  }

  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socket, path: '/_ping', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, wait for exit. */
  async stopDaemon(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
  }

  /** kill -9 the daemon (containers, being under conmon, live on). */
  kill9(): Promise<void> {
    return this.stopDaemon('SIGKILL');
  }

  /** A raw API request on the daemon's socket: strings go as they are, anything else as JSON. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, path, method, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  /** Runs the real docker CLI against this daemon. */
  docker(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
    return run(DOCKER, ['-H', this.host, ...args], options);
  }

  /** Runs the docker CLI against this daemon and asserts it succeeded; resolves with its stdout. */
  async ok(args: string[]): Promise<string> {
    const r = await this.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * Runs the docker CLI against this daemon and asserts it failed (with exit code `code` when given:
   * 1 for a daemon's refusal, 125 for `run`/`create`) and that its stderr has `message`.
   */
  async refused(args: string[], message: string | RegExp, code?: number): Promise<void> {
    const r = await this.docker(args);
    if (code === undefined) assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail: ${r.stdout}`);
    else assert.equal(r.code, code, `docker ${args.join(' ')} should fail with ${code}: ${r.stdout}${r.stderr}`);
    if (typeof message === 'string') assert.ok(r.stderr.includes(message), `docker ${args.join(' ')}: ${r.stderr}`);
    else assert.match(r.stderr, message);
  }

  /** Runs berth against this daemon. */
  berth(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
    // '--' keeps node from taking berth's own flags (such as --env-file) as its own.
    return run(process.execPath, ['--', BERTH, '-H', this.host, ...args], options);
  }

  /** Removes every container (force), then stops the daemon and deletes its directories. */
  async stop(): Promise<void> {
    // A daemon a test killed is started once more, so that it removes its containers, bridges and rules.
    if (!this.running) await this.launch().catch(() => {});
    if (this.running) {
      const ids = (await this.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', '-v', ...ids]);
    }
    await this.stopDaemon();
    await cleanupDir(this.dir);
  }
}

/** Unmounts anything left under dir, then removes it. */
export async function cleanupDir(dir: string): Promise<void> {
  const mounts = (await execFileAsync('cat', ['/proc/mounts'])).stdout.split('\n')
    .map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir + '/')).sort().reverse();
  for (const m of mounts) await execFileAsync('umount', ['-l', m]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
}

let nativeBuilt: Promise<unknown> | undefined;
/** Builds berthd's native userland proxy into dist/native/ if it is missing or older than its source. */
export function buildNative(): Promise<unknown> {
  nativeBuilt ??= execFileAsync('bash', [join(ROOT, 'scripts', 'build-native.sh')]);
  return nativeBuilt;
}

export function startDaemon(options: DaemonOptions = {}): Promise<TestDaemon> {
  return TestDaemon.start(options);
}

export function run(cmd: string, args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    // A command may exit before reading its input; that is its business, not a test failure.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
