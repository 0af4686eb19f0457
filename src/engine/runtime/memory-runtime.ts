import { rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError, SystemError } from '../../lib/errors.js';
import type { ContainerResources } from './oci-resources.js';
import type { ContainerRuntime, ExitInfo, RuntimeSpec, RuntimeState } from './runtime.js';
import { normalizeSignal } from './signal-name.js';
import { RuntimeCreateError } from './start-failure.js';

/**
 * What a process of the in-memory runtime does once started: end by itself after `runsForMs` with
 * `exitCode` (never, when `runsForMs` is undefined), and which signals it handles (a handled signal
 * ends it with 128 + signal; others are ignored, as PID 1 of a namespace ignores signals it has no
 * handler for). SIGKILL always ends it with 137.
 */
export interface MemoryProgram {
  runsForMs?: number;
  exitCode?: number;
  handles?: number[];
}

/** Turns a container's command into a program; undefined when the command does not exist (127). */
export type ProgramTable = (args: string[]) => MemoryProgram | undefined;

/**
 * The commands a busybox image answers alike on both runtimes, so that one contract suite and the
 * lifecycle tests run unchanged on either: `true`, `false`, `sleep N`, `sh -c 'exit N'`,
 * `sh -c 'sleep N; exit M'`. Anything else is a command not found.
 */
export const busyboxPrograms: ProgramTable = (args) => {
  const [cmd, ...rest] = args;
  switch (basename(cmd ?? '')) {
    case 'true':
      return { runsForMs: 0, exitCode: 0 };
    case 'false':
      return { runsForMs: 0, exitCode: 1 };
    case 'sleep':
      return { runsForMs: Number(rest[0]) * 1000, exitCode: 0 };
    case 'sh': {
      const script = rest[0] === '-c' ? rest[1] ?? '' : '';
      const m = /^(?:sleep ([\d.]+); *)?exit (\d+)$/.exec(script.trim());
      if (!m) throw new InvalidArgumentError(`the in-memory runtime does not run this script: ${script}`);
      return { runsForMs: m[1] ? Number(m[1]) * 1000 : 0, exitCode: Number(m[2]) };
    }
    default:
      return undefined;
  }
};

interface MemoryContainer {
  spec: RuntimeSpec;
  pid: number;
  status: 'created' | 'running' | 'paused' | 'stopped';
  program: MemoryProgram;
  exit?: ExitInfo;
  timer?: NodeJS.Timeout;
  /** When a process that ends by itself ends, or (while paused) how long it still has to run. */
  endsAt?: number;
  remainingMs?: number;
  /** Signals sent while frozen, delivered on resume (SIGKILL is not held: it thaws, as runc does). */
  pending: number[];
  waiters: Set<{ resolve: (exit: ExitInfo) => void; reject: (err: unknown) => void }>;
}

const SIGKILL = 9;
let nextPid = 40_000;

/**
 * A ContainerRuntime without processes: containers and their exits live in memory, with the same
 * contract as conmon + runc (runtime.ts). It outlives any ContainerManager that uses it, as conmon
 * does the daemon, so daemon restarts are simulated by opening a second manager on the same runtime.
 */
export class MemoryRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, MemoryContainer>();

  constructor(private readonly programs: ProgramTable = busyboxPrograms) {}

  async create(spec: RuntimeSpec): Promise<{ pid: number }> {
    if (this.containers.has(spec.id)) throw new ConflictError(`container with id exists: ${spec.id}`);
    const program = this.programs(spec.args);
    if (!program) {
      throw new RuntimeCreateError(`runc create failed: unable to start container process: exec: "${spec.args[0]}": executable file not found in $PATH`);
    }
    const pid = nextPid++;
    this.containers.set(spec.id, { spec, pid, status: 'created', program, pending: [], waiters: new Set() });
    return { pid };
  }

  async start(id: string): Promise<void> {
    const c = this.find(id);
    if (c.status !== 'created') throw new SystemError(`runc start failed: cannot start a container that has ${c.status}`);
    c.status = 'running';
    const { runsForMs, exitCode = 0 } = c.program;
    if (runsForMs !== undefined && Number.isFinite(runsForMs)) this.endAfter(c, runsForMs, exitCode);
  }

  async pause(id: string): Promise<void> {
    const c = this.find(id);
    if (c.status !== 'running') throw new ConflictError(`Container ${id} is not running`);
    c.status = 'paused';
    if (c.timer) {
      clearTimeout(c.timer);
      c.timer = undefined;
      c.remainingMs = Math.max(0, (c.endsAt ?? Date.now()) - Date.now());
    }
  }

  async resume(id: string): Promise<void> {
    const c = this.find(id);
    if (c.status !== 'paused') throw new ConflictError(`Container ${id} is not paused`);
    c.status = 'running';
    for (const n of c.pending.splice(0)) this.deliver(c, n);
    if (c.status === 'running' && c.remainingMs !== undefined) this.endAfter(c, c.remainingMs, c.program.exitCode ?? 0);
    c.remainingMs = undefined;
  }

  async kill(id: string, signal: string | number): Promise<void> {
    const n = signalNumber(normalizeSignal(signal));
    const c = this.find(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    if (c.status === 'paused' && n !== SIGKILL) c.pending.push(n);
    else this.deliver(c, n);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const c = this.containers.get(id);
    if (!c) return undefined;
    return { status: c.status, pid: c.status === 'stopped' ? 0 : c.pid };
  }

  async states(): Promise<Map<string, RuntimeState>> {
    const all = new Map<string, RuntimeState>();
    for (const id of this.containers.keys()) all.set(id, (await this.state(id))!);
    return all;
  }

  waitExit(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    const c = this.containers.get(id);
    if (!c) return Promise.reject(new NotFoundError(`No such container: ${id}`));
    if (c.exit) return Promise.resolve(c.exit);
    if (c.status === 'stopped') return Promise.reject(new SystemError(`the monitor of container ${id} is gone: its exit code is unknown`));
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter = {
        resolve: (exit: ExitInfo) => { signal?.removeEventListener('abort', onAbort); resolve(exit); },
        reject: (err: unknown) => { signal?.removeEventListener('abort', onAbort); reject(err); },
      };
      const onAbort = () => {
        c.waiters.delete(waiter);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      c.waiters.add(waiter);
    });
  }

  async readExit(id: string): Promise<ExitInfo | undefined> {
    return this.containers.get(id)?.exit;
  }

  async delete(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.status !== 'stopped') this.end(c, 128 + SIGKILL);
    this.containers.delete(id);
    await rm(c.spec.bundleDir, { recursive: true, force: true });
  }

  /** Records the new limits in the container's spec, where `resources(id)` shows them. */
  async update(id: string, resources: ContainerResources): Promise<void> {
    const c = this.find(id);
    if (c.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    c.spec = { ...c.spec, resources: { ...resources } };
  }

  /** The limits a container runs with (its create's, or its last update's). */
  resources(id: string): ContainerResources | undefined {
    return this.find(id).spec.resources;
  }

  /** Containers the runtime holds (for tests: nothing may be left behind). */
  ids(): string[] {
    return [...this.containers.keys()];
  }

  /**
   * Ends a container's process the way a crash of its monitor does: the process is gone and no exit
   * was recorded, so readExit answers undefined and waiters are told the exit is unknown.
   */
  loseExit(id: string): void {
    const c = this.find(id);
    clearTimeout(c.timer);
    c.status = 'stopped';
    for (const w of c.waiters) w.reject(new SystemError(`the monitor of container ${id} is gone: its exit code is unknown`));
    c.waiters.clear();
  }

  /**
   * Kills the container's monitor, as `kill -9` of its conmon does: the runtime notices, ends the
   * process that outlived its monitor and records that exit (137), as the conmon runtime does.
   */
  killMonitor(id: string): void {
    const c = this.find(id);
    setImmediate(() => this.end(c, 128 + SIGKILL));
  }

  private deliver(c: MemoryContainer, n: number): void {
    if (n === SIGKILL) this.end(c, 128 + SIGKILL);
    else if (c.status === 'running' && c.program.handles?.includes(n)) this.end(c, 128 + n);
  }

  private endAfter(c: MemoryContainer, ms: number, exitCode: number): void {
    c.endsAt = Date.now() + ms;
    c.timer = setTimeout(() => this.end(c, exitCode), ms);
  }

  private end(c: MemoryContainer, exitCode: number): void {
    if (c.status === 'stopped') return;
    clearTimeout(c.timer);
    c.status = 'stopped';
    c.exit = { exitCode, finishedAt: new Date(), oomKilled: false };
    for (const w of c.waiters) w.resolve(c.exit);
    c.waiters.clear();
  }

  private find(id: string): MemoryContainer {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundError(`No such container: ${id}`);
    return c;
  }
}

function signalNumber(normalized: string): number {
  if (/^\d+$/.test(normalized)) return Number(normalized);
  return (osConstants.signals as Record<string, number>)[normalized]!;
}
