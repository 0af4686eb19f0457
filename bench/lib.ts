/** Shared pieces of the side-by-side benchmarks: timing, medians, peers. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DOCKER } from '../test/helpers/daemon.js';

export interface Sample {
  label: string;
  ms: number[];
}

export function timeCommand(args: string[], env: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(args[0], args.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Starts the reference dockerd (Debian's docker.io) and returns its DOCKER_HOST. */
export function referenceDockerd(): string {
  const host = execFileSync('/work/shared/tools/reference-dockerd', ['start'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  execFileSync('/work/shared/tools/reference-dockerd', ['busybox'], { stdio: 'ignore' });
  return host;
}

export function docker(host: string, args: string[]): string {
  return execFileSync(DOCKER, ['-H', host, ...args], { encoding: 'utf8' });
}

/** Resident memory of a process in kB (VmRSS). */
export function rssKb(pid: number): number {
  const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/**
 * A process's memory in kB from /proc/<pid>/smaps_rollup: `rss` counts every resident page it maps,
 * shared library pages included; `pss` divides each shared page among the processes mapping it (the
 * honest cost of one more process); `private` is what only this process holds.
 */
export function memoryKb(pid: number): { rss: number; pss: number; private: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
}

/** CPU time (user + system) a process has used so far, in ms (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
}
