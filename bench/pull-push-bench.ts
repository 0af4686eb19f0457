/**
 * Pull and push of a 3 x 100 MiB image through a local docker-registry, berthd beside Debian's dockerd,
 * with each daemon's peak resident memory during the pull (sampled every 20 ms).
 * `node --import tsx bench/pull-push-bench.ts [rounds]`
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DOCKER, startDaemon } from '../test/helpers/daemon.js';
import { copyToRegistry, startDockerRegistry, tarOf, writeOciLayout } from '../test/helpers/distribution-peers.js';
import { median, printTable, referenceDockerd, rssKb } from './lib.js';

const LAYER_MIB = 100;
const rounds = Number(process.argv[2] ?? 3);

function dockerAsync(host: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, ['-H', host, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args.join(' ')}: ${err}`))));
  });
}

/** Runs `work`, sampling the RSS of `pid`; returns milliseconds and the peak in MB. */
async function measure(pid: number, work: () => Promise<void>): Promise<{ ms: number; peakMb: number }> {
  let peak = rssKb(pid);
  const timer = setInterval(() => { peak = Math.max(peak, rssKb(pid)); }, 20);
  const t0 = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, peakMb: peak / 1024 };
}

async function main(): Promise<void> {
  const layers: Buffer[] = [];
  for (let i = 0; i < 3; i++) layers.push(await tarOf([{ name: `layer${i}.bin`, content: randomBytes(LAYER_MIB * 512 * 1024).toString('hex') }]));
  const image = await writeOciLayout(layers);
  const registry = await startDockerRegistry();
  const berth = await startDaemon();
  const refHost = referenceDockerd();
  const refPid = Number(readFileSync('/tmp/refdocker/dockerd.pid', 'utf8'));
  const engines = [{ name: 'berthd', host: berth.host, pid: berth.proc!.pid! }, { name: 'dockerd', host: refHost, pid: refPid }];
  const results: Record<string, { pull: number[]; push: number[]; peak: number[] }> = {};
  try {
    await copyToRegistry(image, `${registry.host}/bench/big:1`);
    for (let round = 0; round < rounds; round++) {
      for (const engine of engines) {
        const r = (results[engine.name] ??= { pull: [], push: [], peak: [] });
        const ref = `${registry.host}/bench/big:1`;
        const pull = await measure(engine.pid, () => dockerAsync(engine.host, ['pull', ref]));
        r.pull.push(pull.ms);
        r.peak.push(pull.peakMb);
        // A registry of its own per push, so every layer is really uploaded.
        const target = await startDockerRegistry();
        try {
          const pushRef = `${target.host}/bench/pushed:1`;
          await dockerAsync(engine.host, ['tag', ref, pushRef]);
          r.push.push((await measure(engine.pid, () => dockerAsync(engine.host, ['push', pushRef]))).ms);
          await dockerAsync(engine.host, ['rmi', pushRef]);
        } finally {
          await target.stop();
        }
        await dockerAsync(engine.host, ['rmi', ref]);
      }
    }
  } finally {
    await berth.stop();
    await registry.stop();
    await image.cleanup();
  }
  const rows = [['engine', 'pull 3x100MiB (median s)', 'push 3x100MiB (median s)', 'peak RSS during pull (MB)']];
  for (const [name, r] of Object.entries(results)) {
    rows.push([name, (median(r.pull) / 1000).toFixed(2), (median(r.push) / 1000).toFixed(2), Math.max(...r.peak).toFixed(0)]);
  }
  printTable(rows);
}

await main();
