/**
 * Health checks at scale, berthd beside Debian's dockerd: N containers (default 100) each with
 * `--health-cmd true --health-interval 1s`; once all are healthy, the CPU the engine spends while
 * they are probed, over a window, as a share of one core:
 *  - berthd: the daemon process and its spawn helper; "with probes" adds the runc execs the helper
 *    spawns and waits for (and the probe processes runc waits for), from their cumulative child time.
 *  - dockerd: dockerd + containerd + every containerd-shim of the reference daemon; "with probes" adds
 *    the shims' cumulative child time (the runc execs and probe processes they reap).
 * One daemon at a time (the other has no containers then), so neither measures the other's load.
 * The machine's load shows in the time between a container's probes (1000 ms plus the probe's run
 * when nothing waits); the CPU per probe is the figure that load does not bend.
 * Usage: npm run bench -- health [containers=100] [window-seconds=15]
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { DOCKER } from '../test/helpers/daemon.js';
import { docker, printTable, startPeers, type Peer } from './lib.js';

const REFDOCKER_DIR = process.env.REFDOCKER_DIR ?? '/tmp/refdocker';
const LABEL = 'bench=health';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const execFileAsync = promisify(execFile);
/** Containers started at once (each `docker run -d` waits for its start). */
const START_CONCURRENCY = 8;

/** A process's CPU so far in ms: its own (user + system), and that of the children it has waited for. */
function cpu(pid: number): { self: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = (i: number) => Number(fields[i]) * 10;
  return { self: ticks(11) + ticks(12), children: ticks(13) + ticks(14) };
}

/** The processes that make up a peer's engine (for dockerd: dockerd, containerd and its shims). */
function enginePids(peer: Peer): number[] {
  // berthd and its spawn helper (berth-spawn), which starts the probes' runc execs and reaps them.
  if (peer.kind === 'berthd') {
    const pid = peer.daemon!.proc!.pid!;
    let helper = '';
    try {
      helper = execFileSync('pgrep', ['-P', String(pid), '-x', 'berth-spawn'], { encoding: 'utf8' });
    } catch { /* pgrep exits 1 when there is none (a build without the helper) */ }
    return [pid, ...helper.split('\n').filter(Boolean).map(Number)];
  }
  const pid = (name: string) => Number(readFileSync(`${REFDOCKER_DIR}/${name}.pid`, 'utf8').trim());
  const shims = execFileSync('pgrep', ['-f', `containerd-shim.*${REFDOCKER_DIR}/containerd.sock`], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map(Number);
  return [pid('dockerd'), pid('containerd'), ...shims];
}

/** CPU used by `pids` over `ms`, counting only processes alive at both ends. */
async function cpuOver(pids: number[], ms: number): Promise<{ self: number; children: number }> {
  const read = () => new Map(pids.flatMap((p) => {
    try {
      return [[p, cpu(p)] as const];
    } catch {
      return [];
    }
  }));
  const before = read();
  await sleep(ms);
  const after = read();
  let self = 0;
  let children = 0;
  for (const [p, a] of after) {
    const b = before.get(p);
    if (!b) continue;
    self += a.self - b.self;
    children += a.children - b.children;
  }
  return { self, children };
}

/** Mean time between probe starts of a few containers (from their State.Health.Log). */
function probeSpacingMs(host: string, ids: string[]): number {
  const gaps: number[] = [];
  for (const id of ids.slice(0, 5)) {
    const log = JSON.parse(docker(host, ['inspect', '--format', '{{json .State.Health.Log}}', id])) as { Start: string }[];
    for (let i = 1; i < log.length; i++) gaps.push(Date.parse(log[i]!.Start) - Date.parse(log[i - 1]!.Start));
  }
  return gaps.reduce((a, b) => a + b, 0) / Math.max(gaps.length, 1);
}

async function measure(peer: Peer, containers: number, windowMs: number): Promise<string[]> {
  const ids: string[] = [];
  const names = Array.from({ length: containers }, (_, i) => `i12h-bench-${i}`);
  try {
    const start = async () => {
      for (let name = names.shift(); name; name = names.shift()) {
        const { stdout } = await execFileAsync(DOCKER, [
          '-H', peer.host, 'run', '-d', '--name', name, '--network', 'none', '--label', LABEL,
          '--health-cmd', 'true', '--health-interval', '1s', 'busybox', 'sleep', '900',
        ]);
        ids.push(stdout.trim());
      }
    };
    await Promise.all(Array.from({ length: START_CONCURRENCY }, start));
    const healthy = () => docker(peer.host, ['ps', '-q', '--filter', `label=${LABEL}`, '--filter', 'health=healthy']).split('\n').filter(Boolean).length;
    const deadline = Date.now() + 30_000;
    while (healthy() < containers && Date.now() < deadline) await sleep(500);
    const used = await cpuOver(enginePids(peer), windowMs);
    const spacing = probeSpacingMs(peer.host, ids);
    const probes = (containers * windowMs) / spacing;
    const share = (ms: number) => `${((ms / windowMs) * 100).toFixed(1)} %`;
    return [
      peer.name, share(used.self), share(used.self + used.children), spacing.toFixed(0),
      (used.self / probes).toFixed(2), ((used.self + used.children) / probes).toFixed(2),
    ];
  } finally {
    for (let i = 0; i < ids.length; i += 50) {
      execFileSync(DOCKER, ['-H', peer.host, 'rm', '-f', ...ids.slice(i, i + 50)], { stdio: 'ignore' });
    }
  }
}

export async function benchHealth(containers = 100, windowSeconds = 15): Promise<void> {
  const { peers, stop } = await startPeers();
  try {
    const rows: string[][] = [];
    for (const peer of peers) rows.push(await measure(peer, containers, windowSeconds * 1000));
    console.log(`\n## ${containers} containers, --health-cmd true --health-interval 1s: CPU over ${windowSeconds} s, share of one core`);
    printTable([['engine', 'daemon(s)', 'with probes (runc + probe)', 'ms between probes', 'daemon ms/probe', 'all ms/probe'], ...rows]);
    const pct = (row: string[], col: number) => Number.parseFloat(row[col]!);
    const berthd = rows.find((r) => r[0] === 'berthd')!;
    const dockerd = rows.find((r) => r[0] === 'dockerd')!;
    console.log(`ratio berthd/dockerd: daemon(s) ${(pct(berthd, 1) / pct(dockerd, 1)).toFixed(2)}, with probes ${(pct(berthd, 2) / pct(dockerd, 2)).toFixed(2)}`);
  } finally {
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchHealth(Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 15));
}
