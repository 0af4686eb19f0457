import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { getSystemErrorMap } from 'node:util';
import { SystemError } from '../../lib/errors.js';
import {
  AnswerReader, SPAWN_SETSID, SPAWN_STDERR, SPAWN_STDOUT, SPAWN_SYNC, encodeDrop, encodeKill, encodeMount, encodeSpawn,
  encodeUnmount, type HelperAnswer, type StreamNumber,
} from './spawn-protocol.js';

/** Where `npm run build` puts the helper: <package>/dist/native/ (this file is <package>/{dist,src}/engine/runtime/). */
export const SPAWN_HELPER_BINARY = fileURLToPath(new URL('../../../dist/native/berth-spawn', import.meta.url));

/** How a process is started; the streams not asked for are /dev/null, and so is stdin. */
export interface LaunchOptions {
  cwd?: string;
  /** The whole environment of the process; left out, the daemon's own. */
  env?: NodeJS.ProcessEnv;
  /** A session (and process group) of its own, as Node's `detached`. */
  detached?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** A pipe as fd 3 (conmon's sync pipe), read as `stdio[3]`. */
  sync?: boolean;
}

/**
 * What a started process offers: the part of Node's ChildProcess that berthd uses, so that a process
 * started by the helper and one forked by Node (the fallback) are handled by the same code. Events:
 * 'error' (it could not be started, or the helper died under it), 'exit' (code, signal), then 'close'
 * once its streams have ended too; 'error' and 'exit' exclude each other, 'close' comes after either.
 */
export interface LaunchedProcess extends EventEmitter {
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: readonly unknown[];
  kill(signal?: NodeJS.Signals | number): boolean;
  unref(): void;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function signalNumber(signal: NodeJS.Signals | number): number {
  const n = typeof signal === 'number' ? signal : constants.signals[signal];
  if (n === undefined) throw new TypeError(`unknown signal ${signal}`);
  return n;
}

/**
 * An errno number as Node words the same failure: `spawn runc ENOENT` for a process that could not be
 * started (child_process's message), `EINVAL: invalid argument, mount '/x'` for a call (fs's message).
 */
export function errnoException(errno: number, syscall: string, path?: string): NodeJS.ErrnoException {
  const [code, text] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, `errno ${errno}`];
  const spawned = syscall.startsWith('spawn');
  const err: NodeJS.ErrnoException = new Error(spawned ? `${syscall} ${code}` : `${code}: ${text}, ${syscall}${path ? ` '${path}'` : ''}`);
  err.errno = -errno;
  err.code = code;
  err.syscall = syscall;
  if (path) err.path = path;
  return err;
}

/** A process started by the helper, seen as a ChildProcess (LaunchedProcess). */
class HelperProcess extends EventEmitter implements LaunchedProcess {
  readonly stdio: (Readable | null)[] = [null, null, null, null];
  referenced = true;
  /** Its pid once the helper has forked it; a process never forked may be asked of a new helper. */
  pid?: number;
  /** How many helpers were asked to start it. */
  attempts = 1;
  private open = new Set<StreamNumber>();
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private done = false;

  constructor(
    private readonly helper: SpawnHelper, readonly seq: number, readonly request: Buffer, private readonly file: string,
    readonly args: readonly string[], options: LaunchOptions,
  ) {
    super();
    const wanted: [StreamNumber, boolean | undefined][] = [[1, options.stdout], [2, options.stderr], [3, options.sync]];
    for (const [n, want] of wanted) {
      if (!want) continue;
      this.open.add(n);
      this.stdio[n] = new Readable({
        read() {},
        destroy: (err, callback) => {
          // Its reader is gone: the helper stops relaying it (as closing our end of a pipe would).
          if (this.open.delete(n)) { helper.drop(seq, n); this.maybeClose(); }
          callback(err);
        },
      });
    }
  }

  get stdout(): Readable | null { return this.stdio[1] ?? null; }
  get stderr(): Readable | null { return this.stdio[2] ?? null; }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.exit || this.done) return false;
    return this.helper.kill(this.seq, signalNumber(signal));
  }

  unref(): void {
    this.referenced = false;
    this.helper.updateRef();
  }

  answer(a: HelperAnswer): void {
    if (a.type === 'started') {
      this.pid = a.pid;
    } else if (a.type === 'output') {
      this.stdio[a.stream]?.push(a.data);
    } else if (a.type === 'end') {
      if (this.open.delete(a.stream)) this.stdio[a.stream]?.push(null);
      this.maybeClose();
    } else if (a.type === 'exit') {
      if (a.execErrno) {
        this.exit = { code: null, signal: null };
        const err = errnoException(a.execErrno, `spawn ${this.file}`);
        Object.assign(err, { path: this.file, spawnargs: [...this.args] });
        this.emit('error', err);
      } else {
        this.exit = { code: a.code >= 0 ? a.code : null, signal: a.signal ? SIGNAL_NAMES.get(a.signal) ?? null : null };
        this.emit('exit', this.exit.code, this.exit.signal);
      }
      this.maybeClose();
    }
  }

  /** The helper died under the process: nothing more will come of it. */
  fail(err: Error): void {
    if (this.done) return;
    for (const n of this.open) this.stdio[n]?.push(null);
    this.open.clear();
    if (!this.exit) {
      this.exit = { code: null, signal: null };
      this.emit('error', err);
    }
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.done || !this.exit || this.open.size > 0) return;
    this.done = true;
    this.helper.forget(this.seq);
    // After the streams' last 'data' and 'end' events, as Node's 'close' is.
    setImmediate(() => this.emit('close', this.exit!.code, this.exit!.signal));
  }
}

/**
 * The spawn helper (native/berth-spawn.c): one small process, started at first use, that forks the
 * processes berthd runs (runc, conmon) and mounts and unmounts for it. A fork copies the page tables of
 * the process that forks, so a fork of berthd (60-250 MB) blocked its event loop for 5-12 ms, five
 * times per `docker run --rm`; the helper's forks cost a fraction of a millisecond, and not berthd's.
 * If the helper dies, what it was running reports an error at once (nothing waits on it), and the
 * next request starts it again. It ends when berthd does (its stdin ends; PR_SET_PDEATHSIG).
 */
export class SpawnHelper {
  private proc?: ChildProcess;
  private reader = new AnswerReader();
  private seq = 0;
  private readonly processes = new Map<number, HelperProcess>();
  private readonly requests = new Map<number, { resolve(errno: number): void; reject(err: Error): void }>();
  private referenced = true;

  constructor(readonly binary = SPAWN_HELPER_BINARY) {}

  /** The helper's pid, once started (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  spawn(file: string, args: readonly string[], options: LaunchOptions = {}): LaunchedProcess {
    const seq = this.nextSeq();
    const env = Object.entries(options.env ?? process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const flags = (options.detached ? SPAWN_SETSID : 0) | (options.stdout ? SPAWN_STDOUT : 0)
      | (options.stderr ? SPAWN_STDERR : 0) | (options.sync ? SPAWN_SYNC : 0);
    const request = encodeSpawn(seq, { file, args, cwd: options.cwd ?? '', env, flags });
    const child = new HelperProcess(this, seq, request, file, args, options);
    this.processes.set(seq, child);
    this.send(request);
    return child;
  }

  /** mount(2) in the helper; rejects with Node's errno error (code 'EINVAL'...). */
  mount(m: { source: string; fstype: string; target: string; flags?: number; data: string }): Promise<void> {
    return this.call((seq) => encodeMount(seq, { ...m, flags: m.flags ?? 0 }), 'mount', m.target);
  }

  /** umount2(2) in the helper (flags: 2 is MNT_DETACH); rejects with Node's errno error. */
  unmount(target: string, flags = 0): Promise<void> {
    return this.call((seq) => encodeUnmount(seq, target, flags), 'umount2', target);
  }

  /** Ends the helper (tests; berthd's own exit ends it anyway). What it was running reports an error. */
  close(): void {
    this.proc?.stdin?.end();
  }

  kill(seq: number, signal: number): boolean {
    if (!this.proc) return false;
    this.proc.stdin!.write(encodeKill(seq, signal));
    return true;
  }

  drop(seq: number, stream: StreamNumber): void {
    this.proc?.stdin!.write(encodeDrop(seq, stream));
  }

  forget(seq: number): void {
    this.processes.delete(seq);
    this.updateRef();
  }

  /**
   * The helper keeps the daemon's event loop alive only while something it started is awaited, as a
   * child process would: an unref'd process (conmon's first process, once it reported) does not.
   */
  updateRef(): void {
    const proc = this.proc;
    if (!proc) return;
    const wanted = this.requests.size > 0 || [...this.processes.values()].some((p) => p.referenced);
    if (wanted === this.referenced) return;
    this.referenced = wanted;
    for (const handle of [proc, proc.stdout, proc.stderr] as (ChildProcess | { ref?(): void; unref?(): void } | null)[]) {
      if (wanted) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private call(encode: (seq: number) => Buffer, syscall: string, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const seq = this.nextSeq();
      this.requests.set(seq, {
        resolve: (errno) => (errno ? reject(errnoException(errno, syscall, path)) : resolve()),
        reject,
      });
      this.send(encode(seq));
    });
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  private send(frame: Buffer): void {
    const proc = this.proc ?? this.start();
    this.updateRef();
    proc.stdin!.write(frame);
  }

  private start(): ChildProcess {
    // A session of its own: a terminal's ctrl-C reaches berthd, not the processes it is starting.
    const proc = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    this.reader = new AnswerReader();
    this.referenced = true;
    let stderr = '';
    proc.stdin!.on('error', () => { /* the exit handler below reports the helper's end */ });
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
    proc.stdout!.on('data', (chunk: Buffer) => {
      let answers: HelperAnswer[];
      try {
        answers = this.reader.push(chunk);
      } catch (err) {
        proc.kill('SIGKILL');
        return this.ended(proc, (err as Error).message);
      }
      for (const a of answers) this.dispatch(a);
    });
    proc.once('error', (err) => this.ended(proc, `cannot start the spawn helper ${this.binary}: ${err.message}`));
    proc.once('exit', (code, signal) => {
      const why = `the spawn helper ${this.binary} exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
      // Its output may still hold answers: read them first.
      if (proc.stdout!.readableEnded) this.ended(proc, why);
      else proc.stdout!.once('end', () => this.ended(proc, why)).once('error', () => this.ended(proc, why));
    });
    return proc;
  }

  private dispatch(a: HelperAnswer): void {
    if (a.type === 'result') {
      const request = this.requests.get(a.seq);
      this.requests.delete(a.seq);
      this.updateRef();
      request?.resolve(a.errno);
    } else {
      this.processes.get(a.seq)?.answer(a);
    }
  }

  private ended(proc: ChildProcess, why: string): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    const error = new SystemError(why);
    const requests = [...this.requests.values()];
    const processes = [...this.processes.values()];
    this.requests.clear();
    this.processes.clear();
    for (const r of requests) r.reject(error);
    // A process the dead helper never forked (asked of it as it died) is asked of a new one, once;
    // a mount or unmount may have been done, so it is not repeated.
    const again = processes.filter((p) => p.pid === undefined && p.attempts < 2);
    for (const p of processes) if (!again.includes(p)) p.fail(error);
    for (const p of again) {
      p.attempts++;
      this.processes.set(p.seq, p);
      this.send(p.request);
    }
  }
}
