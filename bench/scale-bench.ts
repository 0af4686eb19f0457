/**
 * Cost that stays flat as the work grows (issue 18's "many containers", "idle daemon", "at the floor"),
 * berthd beside dockerd in one run:
 *  - idle: RSS of a fresh berthd 10 s after start, beside a fresh private dockerd (and its containerd)
 *  - floor: `docker run --rm --network none busybox true` on berthd and on the reference dockerd,
 *    interleaved with the conmon + runc cycle of the same container driven from sh (runtime-cycle.ts)
 *  - concurrent: 50 and 100 `docker run --rm busybox true` started at once: slowest and median; beside
 *    them, 50 and 100 of the shell-driven conmon + runc cycles at once (what the runtime alone costs)
 *  - many: N (1,000) running containers (`docker run -d --network none busybox sleep 3600`): `docker
 *    ps` median, daemon RSS and CPU while idle, a restart timed to the first `docker ps` that lists
 *    all N; on berthd and on a private dockerd (--live-restore, so its containers outlive the restart)
 * Usage: npm run bench -- scale [part=all|idle|floor|concurrent|many] [containers=1000] [runs=20]
 * `SCALE_NO_DOCKERD_MANY=1` skips dockerd in the `many` part; `BERTHD=<a build's dist/engine/main.js>` measures
 * that build of berthd instead of this tree's; `BERTHD_BEFORE=<another build's main.js>` adds that build to
 * the floor's and the concurrent part's interleaved runs, for a before/after under the same load;
 * `SCALE_ROUNDS=<n>` repeats the concurrent part's batches n times (medians over the rounds).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOCKER, startDaemon } from '../test/helpers/daemon.js';
import { importBusybox, makeBusyboxRootfs } from '../test/helpers/busybox.js';
import { cpuMs, docker, median, memoryKb, printTable, referenceDockerd, timeCommand } from './lib.js';
import { PrivateDockerd } from './private-dockerd.js';
import { timeShellCycle, timeShellCyclesAtOnce, trueSpec } from './runtime-cycle.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const IDLE_MS = 10_000;
const LABEL = 'bench=scale';
/** `docker run -d` calls in flight while N containers are started. */
const START_CONCURRENCY = 8;
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** Resident memory of a set of processes (a daemon and its helpers), in kB. */
const rssOf = (pids: number[]) => pids.reduce((sum, p) => sum + memoryKb(p).rss, 0);

async function idle(): Promise<void> {
  const berth = await startDaemon({ binary: process.env.BERTHD });
  const dockerd = await PrivateDockerd.start();
  try {
    await sleep(IDLE_MS);
    const b = memoryKb(berth.proc!.pid!);
    const [dPid, cPid] = dockerd.pids;
    console.log(`\n## idle, ${IDLE_MS / 1000} s after start (load ${load()})`);
    printTable([
      ['daemon', 'RSS', 'PSS'],
      ['berthd', mb(b.rss), mb(b.pss)],
      ['dockerd', mb(memoryKb(dPid!).rss), mb(memoryKb(dPid!).pss)],
      ['dockerd + containerd', mb(rssOf([dPid!, cPid!])), ''],
    ]);
  } finally {
    await berth.stop();
    await dockerd.stop();
  }
}

async function floor(runs: number): Promise<void> {
  const berth = await startDaemon({ binary: process.env.BERTHD });
  const before = process.env.BERTHD_BEFORE ? await startDaemon({ binary: process.env.BERTHD_BEFORE }) : undefined;
  const rootfs = await makeBusyboxRootfs();
  const work = await mkdtemp(join(tmpdir(), 'berth-floor-'));
  try {
    await importBusybox(berth);
    if (before) await importBusybox(before);
    const ref = referenceDockerd();
    const runTrue = (host: string) => timeCommand([DOCKER, '-H', host, 'run', '--rm', '--network', 'none', 'busybox', 'true']);
    const times: Record<string, number[]> = { berthd: [], ...(before ? { 'berthd (BERTHD_BEFORE)': [] } : {}), 'conmon + runc from sh': [], dockerd: [] };
    runTrue(berth.host);
    if (before) runTrue(before.host);
    runTrue(ref);
    for (let i = 0; i < runs; i++) {
      times.berthd!.push(runTrue(berth.host));
      if (before) times['berthd (BERTHD_BEFORE)']!.push(runTrue(before.host));
      times['conmon + runc from sh']!.push(await timeShellCycle(trueSpec(work, rootfs, i, 'f'), join(work, 'exec')));
      times.dockerd!.push(runTrue(ref));
    }
    console.log(`\n## the floor: docker run --rm --network none busybox true (${runs} each, interleaved; load ${load()})`);
    printTable([['what', 'median ms', 'min ms'], ...Object.entries(times).map(([n, t]) => [n, median(t).toFixed(1), Math.min(...t).toFixed(1)])]);
    const above = median(times.berthd!) - median(times['conmon + runc from sh']!);
    console.log(`berthd above the shell-driven cycle: ${above.toFixed(1)} ms; ratio berthd/dockerd ${(median(times.berthd!) / median(times.dockerd!)).toFixed(2)}`);
    if (before) console.log(`BERTHD_BEFORE above the shell-driven cycle: ${(median(times['berthd (BERTHD_BEFORE)']!) - median(times['conmon + runc from sh']!)).toFixed(1)} ms`);
  } finally {
    await berth.stop();
    await before?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** Starts `n` `docker run --rm busybox true` at once; each one's time from the common start. */
async function concurrentRuns(host: string, n: number): Promise<number[]> {
  const t0 = performance.now();
  return Promise.all(Array.from({ length: n }, async () => {
    await execFileAsync(DOCKER, ['-H', host, 'run', '--rm', 'busybox', 'true']);
    return performance.now() - t0;
  }));
}

/**
 * 50 and 100 runs at once on berthd, on the BERTHD_BEFORE build if given and on dockerd, one batch
 * after the other (interleaved, so they share the machine's load), `rounds` times.
 */
async function concurrent(rounds: number): Promise<void> {
  const berth = await startDaemon({ binary: process.env.BERTHD });
  const before = process.env.BERTHD_BEFORE ? await startDaemon({ binary: process.env.BERTHD_BEFORE }) : undefined;
  const rootfs = await makeBusyboxRootfs();
  const work = await mkdtemp(join(tmpdir(), 'berth-concurrent-'));
  let batch = 0;
  const shellCycles = async (n: number) => {
    const specs = Array.from({ length: n }, (_, i) => trueSpec(work, rootfs, i, `c${++batch}x`));
    return timeShellCyclesAtOnce(specs, join(work, 'exec'));
  };
  try {
    await importBusybox(berth);
    if (before) await importBusybox(before);
    const daemon = (name: string, host: string) => ({ name, run: (n: number) => concurrentRuns(host, n) });
    const peers = [
      daemon('berthd', berth.host), ...(before ? [daemon('berthd (BERTHD_BEFORE)', before.host)] : []),
      daemon('dockerd', referenceDockerd()),
      { name: 'conmon + runc from sh', run: shellCycles },
    ];
    const rows: string[][] = [['round', 'concurrent runs', 'daemon', 'slowest s', 'median s', 'load (1 min) before']];
    const slowest: Record<string, number[]> = {};
    const medians: Record<string, number[]> = {};
    for (let round = 1; round <= rounds; round++) {
      for (const n of [50, 100]) {
        for (const p of peers) {
          const loadBefore = loadavg()[0]!.toFixed(1);
          const t = await p.run(n);
          (slowest[`${n} ${p.name}`] ??= []).push(Math.max(...t));
          (medians[`${n} ${p.name}`] ??= []).push(median(t));
          rows.push([String(round), String(n), p.name, (Math.max(...t) / 1000).toFixed(2), (median(t) / 1000).toFixed(2), loadBefore]);
        }
      }
    }
    console.log(`\n## concurrent docker run --rm busybox true (load ${load()})`);
    printTable(rows);
    for (const n of [50, 100]) {
      const s = (name: string) => median(slowest[`${n} ${name}`]!);
      const m = (name: string) => median(medians[`${n} ${name}`]!);
      console.log(`${n}: median over ${rounds} rounds of the slowest / of the median: ` + peers.map((p) => `${p.name} ${(s(p.name) / 1000).toFixed(2)} / ${(m(p.name) / 1000).toFixed(2)} s`).join(', '));
      console.log(`${n}: ratio of the slowest berthd/dockerd ${(s('berthd') / s('dockerd')).toFixed(2)}` + (before ? `, berthd/BERTHD_BEFORE ${(s('berthd') / s('berthd (BERTHD_BEFORE)')).toFixed(2)}` : ''));
    }
  } finally {
    await berth.stop();
    await before?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** One daemon's side of the `many` part. */
interface ManyDaemon {
  name: string;
  host: string;
  pids(): number[];
  /** Stops the daemon (containers keep running) and starts it again; resolves once it is spawned. */
  restart(): Promise<void>;
}

/** Starts `n` containers, START_CONCURRENCY at a time; a run that fails is told and not retried. */
async function startContainers(host: string, n: number): Promise<{ ms: number; failed: number }> {
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: START_CONCURRENCY }, async () => {
    while (next < n) {
      next++;
      try {
        await execFileAsync(DOCKER, ['-H', host, 'run', '-d', '--network', 'none', '--label', LABEL, 'busybox', 'sleep', '3600']);
      } catch (err) {
        failed++;
        console.log(`(a docker run -d failed: ${(err as { stderr?: string }).stderr?.trim() ?? err})`);
      }
    }
  }));
  return { ms: performance.now() - t0, failed };
}

async function countRunning(host: string): Promise<number> {
  try {
    const { stdout } = await execFileAsync(DOCKER, ['-H', host, 'ps', '-q'], { maxBuffer: 1 << 24 });
    return stdout.split('\n').filter(Boolean).length;
  } catch {
    return -1; // not answering yet
  }
}

async function removeAll(host: string): Promise<void> {
  const ids = docker(host, ['ps', '-aq', '--filter', `label=${LABEL}`]).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 100) docker(host, ['rm', '-f', ...ids.slice(i, i + 100)]);
}

async function manyOn(d: ManyDaemon, n: number): Promise<string[]> {
  const { ms: startMs, failed } = await startContainers(d.host, n);
  await sleep(IDLE_MS);
  const cpuBefore = d.pids().reduce((s, p) => s + cpuMs(p), 0);
  await sleep(IDLE_MS);
  const idleCpu = (d.pids().reduce((s, p) => s + cpuMs(p), 0) - cpuBefore) / IDLE_MS * 100;
  const rss = rssOf(d.pids());
  const ps: number[] = [];
  for (let i = 0; i < 10; i++) ps.push(timeCommand([DOCKER, '-H', d.host, 'ps']));
  const running = await countRunning(d.host);
  const t0 = performance.now();
  await d.restart();
  while ((await countRunning(d.host)) < running) await sleep(20);
  const restartMs = performance.now() - t0;
  const row = [d.name, `${running}${failed ? ` (${failed} runs failed)` : ''}`, (startMs / 1000).toFixed(1), median(ps).toFixed(1), mb(rss), `${idleCpu.toFixed(1)} %`, restartMs.toFixed(0)];
  console.log(`${row.join(' | ')} (load ${load()})`); // at once: the removal that follows takes long
  return row;
}

async function many(n: number): Promise<void> {
  const rows: string[][] = [[`${n} running`, 'listed', 'start all s', 'docker ps median ms', 'RSS', 'CPU idle', 'restart to full ps ms']];
  const berth = await startDaemon({ binary: process.env.BERTHD });
  try {
    await importBusybox(berth);
    rows.push(await manyOn({
      name: 'berthd', host: berth.host, pids: () => [berth.proc!.pid!],
      restart: async () => {
        await berth.stopDaemon();
        await berth.launch().catch((err: Error) => console.log(`(berthd restart: ${err.message.split('\n')[0]})`));
      },
    }, n));
  } finally {
    await removeAll(berth.host);
    await berth.stop();
  }
  if (!process.env.SCALE_NO_DOCKERD_MANY) {
    const dockerd = await PrivateDockerd.start();
    try {
      dockerd.importBusybox();
      rows.push(await manyOn({
        name: 'dockerd', host: dockerd.host, pids: () => dockerd.pids,
        restart: async () => {
          await dockerd.stopDockerd();
          await dockerd.launchDockerd();
        },
      }, n));
    } finally {
      await removeAll(dockerd.host);
      await dockerd.stop();
    }
  }
  console.log(`\n## ${n} running containers (load ${load()}); RSS and CPU: berthd alone, dockerd + containerd (shims not counted)`);
  printTable(rows);
}

const [part = 'all', containers = '1000', runs = '20'] = process.argv.slice(2);
const parts = part === 'all' ? ['idle', 'floor', 'concurrent', 'many'] : [part];
console.log(`load average at the start: ${load()}`);
for (const p of parts) {
  if (p === 'idle') await idle();
  else if (p === 'floor') await floor(Number(runs));
  else if (p === 'concurrent') await concurrent(Number(process.env.SCALE_ROUNDS ?? 1));
  else if (p === 'many') await many(Number(containers));
  else throw new Error(`unknown part ${p}: idle, floor, concurrent, many or all`);
}
