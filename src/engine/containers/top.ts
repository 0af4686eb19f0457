// `docker top`: the host's `ps` filtered to the container's processes, parsed the way dockerd does, so
// Titles and Processes match Docker's for any ps arguments (default `-ef`).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConflictError, InvalidArgumentError, SystemError, orIfMissing } from '../../lib/errors.js';
import type { Container } from './container.js';

const execFileAsync = promisify(execFile);
const UNIFIED = existsSync('/sys/fs/cgroup/cgroup.controllers');
/** v1 controllers to find the container's cgroup.procs in, in order of preference. */
const V1_CONTROLLERS = ['pids', 'memory', 'cpu', 'cpuacct', 'devices', 'freezer'];

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export async function containerTop(c: Container, psArgs: string): Promise<TopResult> {
  if (!c.state.running || c.state.restarting || c.state.pid <= 0) throw new ConflictError(`Container ${c.id} is not running`);
  const pids = await containerPids(c.state.pid);
  const args = psArgs.split(/\s+/).filter(Boolean);
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const first = (e.stderr ?? '').split('\n').map((l) => l.trim()).find(Boolean);
    throw new SystemError(`ps: ${first ?? e.message}`);
  }
  return parsePsOutput(stdout, pids);
}

/** The processes of the container's cgroup (the init process's, read from /proc/<pid>/cgroup). */
export async function containerPids(initPid: number): Promise<Set<number>> {
  const text = await orIfMissing(readFile(`/proc/${initPid}/cgroup`, 'utf8'), ''); // the process has exited
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) for (const controller of m[1].split(',')) paths.set(controller, m[2]);
  }
  const candidates = UNIFIED ? [join('/sys/fs/cgroup', paths.get('') ?? '/')]
    : V1_CONTROLLERS.filter((k) => paths.has(k)).map((k) => join('/sys/fs/cgroup', k, paths.get(k)!));
  for (const dir of candidates) {
    const procs = await orIfMissing(readFile(join(dir, 'cgroup.procs'), 'utf8'), undefined); // the cgroup is gone
    if (procs === undefined) continue;
    return new Set(procs.split('\n').filter(Boolean).map(Number));
  }
  return new Set([initPid]);
}

/**
 * dockerd's parsePSOutput: titles from the first line; a line is kept when its PID is the container's
 * (thread lines, PID `-`, follow the process above them); the last column takes the rest of the line.
 */
export function parsePsOutput(output: string, pids: Set<number>): TopResult {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex === -1) throw new InvalidArgumentError("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  let previousKept = false;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const add = () => processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
    if (fields[pidIndex] === '-') {
      if (previousKept) add();
      continue;
    }
    const pid = Number(fields[pidIndex]);
    if (!Number.isInteger(pid)) throw new SystemError(`Unexpected pid '${fields[pidIndex]}'`);
    previousKept = pids.has(pid);
    if (previousKept) add();
  }
  return { Titles: titles, Processes: processes };
}
