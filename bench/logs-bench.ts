/**
 * `docker logs` of a long log, berthd beside dockerd: `node --import tsx bench/logs-bench.ts
 * [lines=1000000] [runs=5] [follow-seconds=10] [rate=50000]`.
 * - `docker logs --tail 100000` of a container that printed `lines` lines (median of `runs`, interleaved);
 * - `docker logs --since T` with T the middle of the log's time span (about half the log printed);
 * - the daemon's CPU (utime + stime from /proc/<pid>/stat) over `follow-seconds` while a container
 *   prints `rate` lines a second, once with nobody reading and once with `docker logs -f` following,
 *   so the difference is what following costs (dockerd writes the log itself: its idle figure
 *   includes that, berthd's does not, conmon writes it).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DOCKER } from '../test/helpers/daemon.js';
import { cpuMs, docker, median, printTable, samplesFor, startPeers, timeCommand, type Peer } from './lib.js';

const [lines = 1_000_000, runs = 5, followSeconds = 10, rate = 50_000] = process.argv.slice(2).map(Number);
const NAME = 'pl-logs-bench';

function pidOf(p: Peer): number {
  return p.daemon?.proc?.pid ?? Number(readFileSync('/tmp/refdocker/dockerd.pid', 'utf8').trim());
}

/** The middle of the log's time span, as the CLI's --since takes it (RFC 3339). */
function middleTime(p: Peer): string {
  const first = execFileSync('sh', ['-c', `"${DOCKER}" -H ${p.host} logs -t ${NAME} | head -n 1`], { encoding: 'utf8' }).slice(0, 30);
  const last = docker(p.host, ['logs', '-t', '--tail', '1', NAME]).slice(0, 30);
  const mid = (Date.parse(first) + Date.parse(last)) / 2;
  return new Date(mid).toISOString();
}

/** CPU ms of the daemon over the window while a container prints `rate` lines a second, with or without a follower. */
async function followCpu(p: Peer, follow: boolean): Promise<{ cpuMs: number; followed: number }> {
  const name = `${NAME}-f`;
  const perTick = rate / 10;
  docker(p.host, ['run', '-d', '--name', name, 'busybox', 'sh', '-c', `while :; do seq 1 ${perTick}; usleep 100000; done`]);
  try {
    let followed = 0;
    const child = follow
      ? spawn(DOCKER, ['-H', p.host, 'logs', '-f', '--tail', '0', name], { stdio: ['ignore', 'pipe', 'ignore'] })
      : undefined;
    child?.stdout!.on('data', (d: Buffer) => { for (const b of d) if (b === 10) followed++; });
    await new Promise((r) => setTimeout(r, 1000)); // settle
    const before = cpuMs(pidOf(p));
    const seen0 = followed;
    await new Promise((r) => setTimeout(r, followSeconds * 1000));
    const used = cpuMs(pidOf(p)) - before;
    const got = followed - seen0;
    child?.kill();
    return { cpuMs: used, followed: got };
  } finally {
    docker(p.host, ['rm', '-f', name]);
  }
}

/** Removes the bench's containers from a daemon; one that is not there is no error, and says nothing. */
function removeContainers(host: string): void {
  spawnSync(DOCKER, ['-H', host, 'rm', '-f', NAME, `${NAME}-f`], { stdio: 'ignore' });
}

const { peers, stop } = await startPeers();
try {
  for (const p of peers) {
    removeContainers(p.host);
    docker(p.host, ['run', '-d', '--name', NAME, 'busybox', 'seq', '1', String(lines)]);
    docker(p.host, ['wait', NAME]);
  }
  const tail = samplesFor(peers);
  const since = samplesFor(peers);
  const mids = Object.fromEntries(peers.map((p) => [p.name, middleTime(p)]));
  for (let i = 0; i < runs; i++) {
    for (const p of peers) {
      tail[p.name]!.push(timeCommand([DOCKER, '-H', p.host, 'logs', '--tail', '100000', NAME]));
      since[p.name]!.push(timeCommand([DOCKER, '-H', p.host, 'logs', '--since', mids[p.name]!, NAME]));
    }
  }
  const cpu: Record<string, { idle: number; follow: number; followed: number }> = {};
  for (const p of peers) {
    const idle = await followCpu(p, false);
    const followed = await followCpu(p, true);
    cpu[p.name] = { idle: idle.cpuMs, follow: followed.cpuMs, followed: followed.followed };
  }
  const rows = [['figure', ...peers.map((p) => p.name), 'ratio berthd/dockerd']];
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const med = (s: Record<string, number[]>) => peers.map((p) => median(s[p.name]!));
  const t = med(tail);
  const s = med(since);
  rows.push([`logs --tail 100000 of ${lines} lines, median of ${runs}`, ...t.map((v) => `${v.toFixed(0)} ms`), ratio(t[0]!, t.at(-1)!)]);
  rows.push([`logs --since <middle>, median of ${runs}`, ...s.map((v) => `${v.toFixed(0)} ms`), ratio(s[0]!, s.at(-1)!)]);
  const pct = (ms: number) => `${((ms / (followSeconds * 1000)) * 100).toFixed(1)}%`;
  rows.push([`daemon CPU, ${rate} lines/s, nobody reading`, ...peers.map((p) => pct(cpu[p.name]!.idle)), '']);
  rows.push([`daemon CPU, ${rate} lines/s, logs -f`, ...peers.map((p) => pct(cpu[p.name]!.follow)), ratio(cpu.berthd!.follow, cpu.dockerd!.follow)]);
  rows.push(['what following costs (difference)', ...peers.map((p) => pct(cpu[p.name]!.follow - cpu[p.name]!.idle)), '']);
  rows.push(['lines the follower got per second', ...peers.map((p) => (cpu[p.name]!.followed / followSeconds).toFixed(0)), '']);
  printTable(rows);
  console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
} finally {
  for (const p of peers) {
    removeContainers(p.host);
  }
  await stop();
}
