/**
 * The engine benchmarks of the foundation issue, berthd beside Debian's dockerd in one run (and beside
 * an earlier build of berthd with BERTHD_BASELINE=<its dist/engine/main.js>):
 *  - `docker run --rm --network none busybox true` (median of N, interleaved)
 *  - berthd RSS once idle, conmon RSS and PSS per running container
 *  - `docker ps -a` with 500 containers
 *  - what the default seccomp filter adds to `docker run --rm` (berthd alone, with and without
 *    `--security-opt seccomp=unconfined`, interleaved)
 * Usage: npm run bench -- engine [runs] [containers]; npm run bench -- engine seccomp [runs] for the
 * seccomp figure alone.
 */
import { execFileSync } from 'node:child_process';
import { DOCKER } from '../test/helpers/daemon.js';
import { timeCommand, median, docker, memoryKb, printTable, startPeers, samplesFor, printRatios, type Peer } from './lib.js';

/** How long the daemon sits idle before its memory is read. */
const IDLE_MS = 10_000;

export async function benchEngine(runs = 30, psContainers = 500): Promise<void> {
  const { peers, stop } = await startPeers();
  try {
    // 1. run --rm true, interleaved so every daemon sees the same machine noise.
    const runTrue = (host: string) => timeCommand([DOCKER, '-H', host, 'run', '--rm', '--network', 'none', 'busybox', 'true']);
    const times = samplesFor(peers);
    for (const p of peers) runTrue(p.host);
    for (let i = 0; i < runs; i++) for (const p of peers) times[p.name].push(runTrue(p.host));
    console.log(`\n## docker run --rm --network none busybox true (${runs} runs each, interleaved)`);
    printTable([['daemon', 'median ms', 'min ms'], ...peers.map((p) => [p.name, median(times[p.name]).toFixed(1), Math.min(...times[p.name]).toFixed(1)])]);
    printRatios(times);

    // 2. memory: each berthd once it has served the runs above and gone idle (V8 shrinks its heap
    // some seconds after allocation stops), conmon per running container.
    const berths = peers.filter((p) => p.kind === 'berthd');
    const busy = berths.map((p) => memoryKb(p.daemon!.proc!.pid!));
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const inMb = (kb: number, digits = 1) => `${(kb / 1024).toFixed(digits)} MB`;
    console.log('\n## memory');
    for (const [i, p] of berths.entries()) {
      const idle = memoryKb(p.daemon!.proc!.pid!);
      console.log(`${p.name} RSS right after the runs: ${inMb(busy[i]!.rss)}; idle ${IDLE_MS / 1000} s later: RSS ${inMb(idle.rss)}, PSS ${inMb(idle.pss)}`);
    }
    const berth = berths[0]!.daemon!;
    docker(berth.host, ['run', '-d', '--name', 'rss', '--network', 'none', 'busybox', 'sleep', '300']);
    const conmonPids = execFileSync('pgrep', ['-f', `conmon.*${berth.execRoot}`], { encoding: 'utf8' }).trim().split('\n').map(Number);
    const conmon = conmonPids.map(memoryKb).sort((a, b) => b.rss - a.rss)[0]!;
    // RSS counts libc and glib pages that every conmon (and every other process) shares; PSS and
    // private memory are what one more running container costs.
    console.log(`conmon per running container: RSS ${inMb(conmon.rss, 2)}, PSS ${inMb(conmon.pss, 2)}, private ${inMb(conmon.private, 2)}`);
    docker(berth.host, ['rm', '-f', 'rss']);

    // 3. ps -a with many containers (created, not started: listing cost only).
    for (const p of peers) {
      for (let i = 0; i < psContainers; i++) docker(p.host, ['create', '--network', 'none', '--label', 'bench=ps', 'busybox', 'true']);
    }
    const ps = samplesFor(peers);
    for (let i = 0; i < 10; i++) for (const p of peers) ps[p.name].push(timeCommand([DOCKER, '-H', p.host, 'ps', '-a']));
    console.log(`\n## docker ps -a with ${psContainers} containers (10 runs each)`);
    printTable([['daemon', 'median ms'], ...peers.map((p) => [p.name, median(ps[p.name]).toFixed(1)])]);
    printRatios(ps);
    for (const p of peers) {
      const ids = docker(p.host, ['ps', '-aq', '--filter', 'label=bench=ps']).split('\n').filter(Boolean);
      for (let i = 0; i < ids.length; i += 100) docker(p.host, ['rm', ...ids.slice(i, i + 100)]);
    }

    // 4. the default seccomp profile's cost, last: its extra runs would change the memory figures above.
    seccompDelta(peers, Math.min(runs, 20));
  } finally {
    await stop();
  }
}

/**
 * The default seccomp profile's cost: `docker run --rm` on each daemon with its default profile and
 * with `seccomp=unconfined`, all interleaved, printed as the difference of the medians per daemon
 * (dockerd runs the same runc with the same profile, so its difference is the reference).
 */
function seccompDelta(peers: Peer[], runs: number): void {
  const variants: Record<string, string[]> = { default: [], unconfined: ['--security-opt', 'seccomp=unconfined'] };
  const cmd = (host: string, opts: string[]) => [DOCKER, '-H', host, 'run', '--rm', '--network', 'none', ...opts, 'busybox', 'true'];
  const times: Record<string, number[]> = {};
  for (const p of peers) for (const [name, opts] of Object.entries(variants)) { timeCommand(cmd(p.host, opts)); times[`${p.name} ${name}`] = []; }
  for (let i = 0; i < runs; i++) {
    for (const p of peers) for (const [name, opts] of Object.entries(variants)) times[`${p.name} ${name}`]!.push(timeCommand(cmd(p.host, opts)));
  }
  console.log(`\n## the default seccomp profile: docker run --rm --network none busybox true (${runs} runs each, interleaved)`);
  printTable([['daemon and seccomp', 'median ms', 'min ms'], ...Object.entries(times).map(([n, t]) => [n, median(t).toFixed(1), Math.min(...t).toFixed(1)])]);
  for (const p of peers) {
    const delta = median(times[`${p.name} default`]!) - median(times[`${p.name} unconfined`]!);
    console.log(`${p.name}: the default profile adds ${delta.toFixed(1)} ms (difference of the medians)`);
  }
}

/** The seccomp figure alone: berthd (and a baseline build, if named) beside dockerd. */
export async function benchSeccomp(runs = 10): Promise<void> {
  const { peers, stop } = await startPeers();
  try {
    seccompDelta(peers, runs);
  } finally {
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'seccomp') await benchSeccomp(Number(process.argv[3] ?? 10));
  else await benchEngine(Number(process.argv[2] ?? 30), Number(process.argv[3] ?? 500));
}
