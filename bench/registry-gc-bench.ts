/**
 * Online garbage collection on radosgw (Ceph's S3, one memstore OSD, started here):
 *   node --import tsx bench/registry-gc-bench.ts [blobs=1000] [rounds=3] [seconds=15]   (or `npm run bench -- registry-gc`)
 * 1. Sweep rate: `berth-registry garbage-collect` and distribution's `registry garbage-collect` (Debian's
 *    docker-registry 2.8) on the same data — `blobs` unreferenced 1 KiB blobs with their layer links,
 *    beside 20 tagged images — each on a bucket of its own, `rounds` times: blobs deleted per second
 *    of the whole run (mark and sweep). distribution needs the registry read-only or stopped while it
 *    collects; berth-registry does not.
 * 2. The pause: 4 clients push small images (config + 2 x 4 KiB layers, every request a new
 *    connection-reusing undici request) to a berth-registry on radosgw for `seconds` without a
 *    collection, then while `garbage-collect` deletes `blobs` blobs: push latency p50/p99 in each window.
 * berth-registry runs from dist/ (npm run build first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { S3Driver } from '../src/registry/storage/s3.js';
import { layout } from '../src/registry/content/layout.js';
import { startS3Server, type S3Server } from '../test/registry/helpers/s3-server.js';
import { freePort } from '../test/registry/helpers/registry.js';
import { OCI_MANIFEST, sha256 } from '../test/registry/helpers/client.js';
import { makeImage } from '../test/registry/helpers/gc-images.js';
import { median, percentile, printTable } from './lib.js';

const ROOT = resolve(import.meta.dirname, '..');
const [BLOBS = 1000, ROUNDS = 3, SECONDS = 15] = process.argv.slice(2).map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function s3Env(s3: S3Server, bucket: string): Record<string, string> {
  return {
    REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: bucket, REGISTRY_STORAGE_S3_REGION: s3.region,
    REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
    REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'true', REGISTRY_HUB_ENABLED: 'false',
    REGISTRY_LOG_ACCESSLOG_DISABLED: 'true', AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  };
}

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < items.length) await fn(items[next++]); }));
}

/** `count` unreferenced blobs, each linked in bench/garbage, written straight to the bucket. */
async function plantGarbage(s3: S3Server, bucket: string, count: number): Promise<void> {
  const driver = new S3Driver({ bucket, region: s3.region, regionendpoint: s3.endpoint, accesskey: s3.accessKey, secretkey: s3.secretKey });
  await inParallel(Array.from({ length: count }, () => randomBytes(1024)), 32, async (blob) => {
    const digest = sha256(blob);
    await driver.putContent(layout.blobData(digest), blob);
    await driver.putContent(layout.layerLink('bench/garbage', digest), Buffer.from(digest));
  });
  await driver.close();
}

/** Starts berth-registry (dist/) on the bucket; resolves with its URL and a stop function. */
const children = new Set<ChildProcess>();

async function startBerth(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist/registry/main.js')], {
    env: { PATH: process.env.PATH, ...env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` }, stdio: 'ignore',
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await (await fetch(`${url}/v2/`)).arrayBuffer(); break; } catch {
      if (i > 200) throw new Error('berth-registry did not start');
      await sleep(50);
    }
  }
  return { url, stop: async () => { const exited = new Promise((r) => child.once('exit', r)); child.kill('SIGTERM'); await exited; } };
}

/** Pushes one small image; resolves with the milliseconds it took. */
async function pushOne(agent: Agent, url: string, repo: string, tag: string): Promise<number> {
  const image = makeImage([randomBytes(4096), randomBytes(4096)]);
  const t0 = performance.now();
  for (const blob of [image.config, ...image.layers]) {
    const res = await request(`${url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob, dispatcher: agent });
    await res.body.arrayBuffer();
    if (res.statusCode !== 201) throw new Error(`blob push: ${res.statusCode}`);
  }
  const res = await request(`${url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: image.body, headers: { 'content-type': OCI_MANIFEST }, dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`manifest push: ${res.statusCode} ${text}`);
  return performance.now() - t0;
}

/** 4 clients pushing until `done` resolves: the latencies. */
async function pushWhile(url: string, done: Promise<unknown>): Promise<number[]> {
  const agent = new Agent({ connections: 8 });
  const latencies: number[] = [];
  let stop = false;
  void done.finally(() => { stop = true; });
  await Promise.all(Array.from({ length: 4 }, async (_, c) => {
    for (let n = 0; !stop; n++) latencies.push(await pushOne(agent, url, `bench/push${c}`, `t${n}-${Date.now()}`));
  }));
  await agent.close();
  return latencies;
}

function timed(args: string[], env: Record<string, string>): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(args[0], args.slice(1), { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return { ms: performance.now() - t0, out: `${r.stdout}${r.stderr}` };
}

async function main(): Promise<void> {
  console.error('starting radosgw...');
  const s3 = await startS3Server();
  const work = mkdtempSync(join(tmpdir(), 'bench-gc-'));
  // Interrupted: stop what this run started (radosgw, registries) before going.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of children) child.kill('SIGKILL');
      rmSync(work, { recursive: true, force: true });
      void s3.stop().finally(() => process.exit(130));
    });
  }
  try {
    const rates: Record<string, number[]> = { 'berth-registry': [], 'docker-registry': [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['berth-registry', 'docker-registry'] as const) {
        const bucket = `gc-${kind}-${round}`;
        await s3.createBucket(bucket);
        const env = s3Env(s3, bucket);
        const reg = await startBerth(env);
        const agent = new Agent({ connections: 4 });
        for (let i = 0; i < 20; i++) await pushOne(agent, reg.url, 'bench/kept', `v${i}`);
        await agent.close();
        await reg.stop();
        await plantGarbage(s3, bucket, BLOBS);
        await sleep(2500);
        let run: { ms: number; out: string };
        if (kind === 'berth-registry') {
          run = timed([process.execPath, join(ROOT, 'dist/registry/main.js'), 'garbage-collect', '--grace', '1s'], env);
          if (!run.out.includes(`deleted ${BLOBS} blobs`)) throw new Error(`berth-registry: ${run.out.slice(-500)}`);
        } else {
          const config = join(work, `${bucket}.yml`);
          writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  s3:\n    bucket: ${bucket}\n    region: ${s3.region}\n` +
            `    regionendpoint: ${s3.endpoint}\n    accesskey: ${s3.accessKey}\n    secretkey: ${s3.secretKey}\n    secure: false\n` +
            `    v4auth: true\n  maintenance:\n    readonly:\n      enabled: true\nhttp:\n  addr: 127.0.0.1:0\n`);
          run = timed(['docker-registry', 'garbage-collect', config], {});
          if (!/blob eligible for deletion/.test(run.out) && !run.out.includes('Deleting blob')) throw new Error(`docker-registry: ${run.out.slice(-500)}`);
        }
        rates[kind].push(BLOBS / (run.ms / 1000));
        console.error(`round ${round + 1} ${kind}: ${BLOBS} blobs in ${Math.round(run.ms)} ms`);
      }
    }
    console.log(`\nSweep rate on radosgw: ${BLOBS} unreferenced blobs beside 20 tagged images, median of ${ROUNDS} (whole run: mark and sweep)\n`);
    printTable([['registry', 'blobs deleted per second', 'while serving pushes'],
      ...Object.entries(rates).map(([k, v]) => [k, median(v).toFixed(0), k === 'berth-registry' ? 'yes' : 'no (read-only or stopped)'])]);

    await s3.createBucket('gc-pause');
    const env = s3Env(s3, 'gc-pause');
    const reg = await startBerth(env);
    try {
      const quiet = await pushWhile(reg.url, sleep(SECONDS * 1000));
      await plantGarbage(s3, 'gc-pause', BLOBS);
      await sleep(2500);
      const gc = new Promise<{ ms: number }>((resolveRun, reject) => {
        const t0 = performance.now();
        const child = spawn(process.execPath, [join(ROOT, 'dist/registry/main.js'), 'garbage-collect', '--grace', '2s'], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
        child.once('exit', (code) => (code === 0 ? resolveRun({ ms: performance.now() - t0 }) : reject(new Error(`garbage-collect exited ${code}`))));
      });
      const during = await pushWhile(reg.url, gc);
      const { ms } = await gc;
      console.log(`\nPushes (4 clients, config + 2 x 4 KiB) to berth-registry on radosgw, without and during garbage-collect of ${BLOBS} blobs (${Math.round(ms)} ms)\n`);
      const row = (what: string, v: number[]) => [what, String(v.length), median(v).toFixed(0), percentile(v, 99).toFixed(0)];
      printTable([['window', 'pushes', 'p50 ms', 'p99 ms'], row(`no collection (${SECONDS} s)`, quiet), row('during the collection', during)]);
    } finally {
      await reg.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await s3.stop();
  }
}

await main();
