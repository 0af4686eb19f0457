import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError, SystemError } from '../../lib/errors.js';

const execFileAsync = promisify(execFile);
const UNIFIED = existsSync('/sys/fs/cgroup/cgroup.controllers');

/**
 * GET /containers/{id}/top, as dockerd does it: the host's `ps` with the caller's arguments (default
 * `-ef`), keeping the rows whose PID is in the container's cgroup.
 */
export async function containerTop(initPid: number, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
  const pids = await cgroupPids(initPid);
  let out: string;
  try {
    out = (await execFileAsync('ps', psArgs.split(/\s+/).filter(Boolean), { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    throw new InvalidArgumentError(`ps: ${(err as { stderr?: string }).stderr?.trim() || err}`);
  }
  const lines = out.split('\n').filter((l) => l.trim());
  const titles = (lines.shift() ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new SystemError(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    // The last column (the command) may contain spaces: it takes the rest of the line.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidColumn]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

async function cgroupPids(initPid: number): Promise<Set<number>> {
  const lines = (await readFile(`/proc/${initPid}/cgroup`, 'utf8')).split('\n');
  const find = (controller: string) => lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m && m[1].split(',').includes(controller))?.[2];
  const path = UNIFIED ? join('/sys/fs/cgroup', find('') ?? '/') : join('/sys/fs/cgroup/pids', find('pids') ?? '/');
  const procs = await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => `${initPid}\n`);
  return new Set(procs.split('\n').filter(Boolean).map(Number));
}
