/** Shared pieces of the side-by-side benchmarks: timing, medians, peers. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DOCKER, startDaemon, type DaemonOptions, type TestDaemon } from '../test/helpers/daemon.js';
import { importBusybox } from '../test/helpers/busybox.js';

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

/** One daemon of a side-by-side run. */
export interface Peer {
  name: string;
  host: string;
  kind: 'berthd' | 'dockerd';
  daemon?: TestDaemon;
}

/**
 * The daemons a side-by-side run compares, each with a busybox image: berthd from this tree, Debian's
 * dockerd, and with BERTHD_BASELINE=<another build's dist/engine/main.js> that build of berthd too, as
 * "baseline", so a change is measured against the commit before it in the same run.
 */
export async function startPeers(options: DaemonOptions = {}): Promise<{ peers: Peer[]; stop(): Promise<void> }> {
  const peers: Peer[] = [];
  const stop = async () => { for (const p of peers) await p.daemon?.stop(); };
  try {
    const berth = await startDaemon(options);
    peers.push({ name: 'berthd', host: berth.host, kind: 'berthd', daemon: berth });
    const baseline = process.env.BERTHD_BASELINE;
    if (baseline) {
      const old = await startDaemon({ ...options, binary: baseline });
      peers.push({ name: 'baseline', host: old.host, kind: 'berthd', daemon: old });
    }
    for (const p of peers) await importBusybox(p.daemon!);
    peers.push({ name: 'dockerd', host: referenceDockerd(), kind: 'dockerd' });
    return { peers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An empty list per peer, for interleaved samples. */
export function samplesFor(peers: Peer[]): Record<string, number[]> {
  return Object.fromEntries(peers.map((p) => [p.name, [] as number[]]));
}

/** Prints berthd's ratio to dockerd (and to the baseline build, when there is one) of the medians. */
export function printRatios(samples: Record<string, number[]>, higherIsBetter = false): void {
  const berthd = median(samples.berthd!);
  const note = higherIsBetter ? ' (higher is better)' : '';
  console.log(`ratio berthd/dockerd: ${(berthd / median(samples.dockerd!)).toFixed(2)}${note}`);
  if (samples.baseline) console.log(`ratio berthd/baseline: ${(berthd / median(samples.baseline)).toFixed(2)}${note}`);
}
