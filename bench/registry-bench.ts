/**
 * berth-registry side by side with distribution's registry (Debian's docker-registry 2.8), in one run:
 *   node --import tsx bench/registry-bench.ts [rounds=7] [requests=20000]   (or benchRegistry() from bench/run.ts)
 * 1. skopeo push and pull of an image of 3 x 100 MiB layers (fresh storage for every round);
 * 2. 64 concurrent clients fetching one manifest: latency p50/p99 and requests per second;
 * 3. resident memory of the registry process while one 2 GiB layer is pushed in a single request;
 * 4. blob GET throughput: 4 curl clients fetching one 100 MiB blob, 16 times in all, `rounds` times alternated;
 * 5. (S3 only, berth-registry only) skopeo push through a per-request round-robin proxy to three
 *    replicas against the same proxy in front of one: what re-hashing an upload from storage costs.
 * BENCH_STORAGE=s3 runs 1 and 4 (and 5) with both registries on one radosgw (started here) instead
 * of the filesystem. berth-registry runs from dist/ (npm run build first).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { makeLayout } from '../test/registry/helpers/oci-layout.js';
import { freePort } from '../test/registry/helpers/registry.js';
import { pushBlob, pushImage } from '../test/registry/helpers/client.js';
import { startS3Server, type S3Server } from '../test/registry/helpers/s3-server.js';
import { startRoundRobinProxy } from '../test/registry/helpers/round-robin-proxy.js';
import { cpuMs, median, percentile, printTable, rssKb } from './lib.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
type Kind = 'berth-registry' | 'docker-registry';
const KINDS: Kind[] = ['berth-registry', 'docker-registry'];

interface Running { kind: Kind; url: string; host: string; child: ChildProcess; root: string; stop(): Promise<void> }

/** The radosgw all registries of an S3 run share (BENCH_STORAGE=s3), each start under its own prefix. */
let s3: S3Server | undefined;
let starts = 0;

async function start(kind: Kind, prefix = `bench-${process.pid}-${++starts}`): Promise<Running> {
  const root = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const port = await freePort();
  let child: ChildProcess;
  if (kind === 'berth-registry') {
    const storage: Record<string, string> = s3 ? {
      REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'bench', REGISTRY_STORAGE_S3_REGION: s3.region,
      REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
      REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_ROOTDIRECTORY: `/${prefix}`, REGISTRY_HUB_ENABLED: 'false',
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    } : { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root };
    child = spawn(process.execPath, [join(ROOT, 'dist/registry/main.js')], {
      env: { PATH: process.env.PATH, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, ...storage,
        ...(process.env.BERTH_REGISTRY_SENDFILE ? { BERTH_REGISTRY_SENDFILE: process.env.BERTH_REGISTRY_SENDFILE } : {}) },
      stdio: 'ignore',
    });
  } else {
    const config = join(root, 'config.yml');
    const storage = s3
      ? `  s3:\n    region: ${s3.region}\n    regionendpoint: ${s3.endpoint}\n    bucket: bench\n    accesskey: ${s3.accessKey}\n    secretkey: ${s3.secretKey}\n    rootdirectory: /${prefix}\n    secure: false\n`
      : `  filesystem:\n    rootdirectory: ${root}/data\n`;
    writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n${storage}http:\n  addr: 127.0.0.1:${port}\n`);
    // distribution's S3 driver refuses to start when AWS_CA_BUNDLE is set and the endpoint is plain HTTP.
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE;
    child = spawn('docker-registry', ['serve', config], { stdio: 'ignore', env });
  }
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await (await fetch(`${url}/v2/`)).arrayBuffer(); break; } catch {
      if (i > 200) throw new Error(`${kind} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    kind, url, host: `127.0.0.1:${port}`, child, root,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function timed(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function benchSkopeo(rounds: number): Promise<string[][]> {
  const work = mkdtempSync(join(tmpdir(), 'bench-layout-'));
  const rows: string[][] = [];
  try {
    console.error('making a 3 x 100 MiB OCI layout...');
    await makeLayout(join(work, 'src'), '1.0', [100 * 1024 * 1024, 100 * 1024 * 1024, 100 * 1024 * 1024]);
    const push: Record<Kind, number[]> = { 'berth-registry': [], 'docker-registry': [] };
    const pull: Record<Kind, number[]> = { 'berth-registry': [], 'docker-registry': [] };
    const pullCpu: Record<Kind, number[]> = { 'berth-registry': [], 'docker-registry': [] };
    for (let round = 0; round < rounds; round++) {
      for (const kind of round % 2 ? [...KINDS].reverse() : KINDS) {
        const reg = await start(kind);
        try {
          push[kind].push(timed(['skopeo', 'copy', '-q', '--dest-tls-verify=false', `oci:${join(work, 'src')}:1.0`, `docker://${reg.host}/bench/app:1.0`]));
          const dest = join(work, `pull-${kind}-${round}`);
          const cpuBefore = cpuMs(reg.child.pid!);
          pull[kind].push(timed(['skopeo', 'copy', '-q', '--src-tls-verify=false', `docker://${reg.host}/bench/app:1.0`, `oci:${dest}:1.0`]));
          pullCpu[kind].push(cpuMs(reg.child.pid!) - cpuBefore);
          rmSync(dest, { recursive: true, force: true });
        } finally { await reg.stop(); }
      }
    }
    for (const [name, m] of [[`skopeo push 3x100MiB (${storageName()})`, push], [`skopeo pull 3x100MiB (${storageName()})`, pull]] as const) {
      const b = median(m['berth-registry']);
      const d = median(m['docker-registry']);
      rows.push([name, `${(b / 1000).toFixed(2)} s`, `${(d / 1000).toFixed(2)} s`, (b / d).toFixed(2)]);
      for (const kind of KINDS) console.log(`${name}, ${kind} runs (ms): ${m[kind].map((x) => x.toFixed(0)).join(' ')}`);
    }
    const [b, d] = KINDS.map((k) => median(pullCpu[k]));
    rows.push(['skopeo pull: registry CPU time', `${b} ms`, `${d} ms`, (b / d).toFixed(2)]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

async function benchManifests(total: number): Promise<string[][]> {
  const rows: string[][] = [];
  const results: Record<Kind, { p50: number; p99: number; rps: number }> = {} as never;
  for (const kind of KINDS) {
    const reg = await start(kind);
    try {
      await pushImage({ url: reg.url, headers: {} }, 'bench/app', 'latest');
      const pool = new Pool(reg.url, { connections: 64, pipelining: 1 });
      const latencies: number[] = [];
      let next = 0;
      const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
      const worker = async () => {
        while (next++ < total) {
          const t0 = process.hrtime.bigint();
          const res = await pool.request({ path: '/v2/bench/app/manifests/latest', method: 'GET', headers: { accept } });
          await res.body.arrayBuffer();
          if (res.statusCode !== 200) throw new Error(`${kind}: ${res.statusCode}`);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      };
      // Warm up, then measure.
      await Promise.all(Array.from({ length: 64 }, async () => {
        for (let i = 0; i < 10; i++) await (await pool.request({ path: '/v2/bench/app/manifests/latest', method: 'GET' })).body.arrayBuffer();
      }));
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: 64 }, worker));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      await pool.close();
      results[kind] = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: latencies.length / seconds };
    } finally { await reg.stop(); }
  }
  const b = results['berth-registry'];
  const d = results['docker-registry'];
  rows.push(['64 clients, manifest GET p50', `${b.p50.toFixed(2)} ms`, `${d.p50.toFixed(2)} ms`, (b.p50 / d.p50).toFixed(2)]);
  rows.push(['64 clients, manifest GET p99', `${b.p99.toFixed(2)} ms`, `${d.p99.toFixed(2)} ms`, (b.p99 / d.p99).toFixed(2)]);
  rows.push(['64 clients, requests/s', b.rps.toFixed(0), d.rps.toFixed(0), (b.rps / d.rps).toFixed(2)]);
  return rows;
}

/** Pushes `size` bytes in one POST ?digest=, sampling the registry's RSS meanwhile. */
async function benchBigLayer(size: number): Promise<string[][]> {
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const hash = createHash('sha256');
  for (let off = 0; off < size; off += chunk.length) hash.update(chunk.subarray(0, Math.min(chunk.length, size - off)));
  const digest = `sha256:${hash.digest('hex')}`;
  const rows: string[][] = [];
  const out: Record<Kind, { base: number; peak: number; ms: number }> = {} as never;
  for (const kind of KINDS) {
    const reg = await start(kind);
    try {
      const base = rssKb(reg.child.pid!);
      let peak = base;
      const timer = setInterval(() => { try { peak = Math.max(peak, rssKb(reg.child.pid!)); } catch { /* exited */ } }, 50);
      const t0 = process.hrtime.bigint();
      // POST for a session, then one PUT with the whole body (what docker does for a layer, minus the PATCH).
      const post = await fetch(`${reg.url}/v2/bench/big/blobs/uploads/`, { method: 'POST' });
      const location = new URL(post.headers.get('location')!, reg.url);
      location.searchParams.set('digest', digest);
      await new Promise<void>((resolveDone, reject) => {
        const r = request(location, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 201 ? resolveDone() : reject(new Error(`${kind}: ${res.statusCode}`))));
        });
        r.on('error', reject);
        let off = 0;
        const pump = () => {
          while (off < size) {
            const piece = chunk.subarray(0, Math.min(chunk.length, size - off));
            off += piece.length;
            if (!r.write(piece)) { r.once('drain', pump); return; }
          }
          r.end();
        };
        pump();
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearInterval(timer);
      out[kind] = { base, peak, ms };
    } finally { await reg.stop(); }
  }
  const b = out['berth-registry'];
  const d = out['docker-registry'];
  const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
  rows.push([`push ${size / 2 ** 30} GiB layer: RSS before`, mib(b.base), mib(d.base), '']);
  rows.push([`push ${size / 2 ** 30} GiB layer: RSS peak`, mib(b.peak), mib(d.peak), (b.peak / d.peak).toFixed(2)]);
  rows.push([`push ${size / 2 ** 30} GiB layer: time`, `${(b.ms / 1000).toFixed(2)} s`, `${(d.ms / 1000).toFixed(2)} s`, (b.ms / d.ms).toFixed(2)]);
  return rows;
}

/**
 * 4 curl clients GET one 100 MiB blob, 16 times in all: MiB/s over the whole run. Both registries run at
 * once and the rounds alternate which goes first, so load from other work falls on both; the ratio
 * is the median of the rounds' ratios. The first GET of each checks the bytes' digest.
 */
async function benchBlobGet(rounds: number): Promise<string[][]> {
  const size = 100 * 1024 * 1024;
  const blob = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) blob.writeUInt32LE((i * 2654435761) >>> 0, i);
  const rate: Record<Kind, number[]> = { 'berth-registry': [], 'docker-registry': [] };
  const cpu: Record<Kind, number[]> = { 'berth-registry': [], 'docker-registry': [] };
  const regs = {} as Record<Kind, Running>;
  try {
    for (const kind of KINDS) regs[kind] = await start(kind);
    const digest = sha256Hex(blob);
    // The first GET of each registry goes through fetch and checks the bytes. The measured GETs are
    // curl processes writing to /dev/null: a client that costs little CPU, so on two cores the
    // servers, not the client, set the rate. Both follow redirects, as docker and skopeo do:
    // distribution on S3 answers a blob GET with 307 to a presigned URL of the S3 server.
    const check = async (kind: Kind) => {
      const res = await fetch(`${regs[kind].url}/v2/bench/blob/blobs/${digest}`);
      if (res.status !== 200) throw new Error(`${kind}: ${res.status}`);
      const hash = createHash('sha256');
      for await (const chunk of res.body!) hash.update(chunk);
      if (`sha256:${hash.digest('hex')}` !== digest) throw new Error(`${kind}: the body does not match its digest`);
    };
    const get = async (kind: Kind) => {
      const { stdout } = await run('curl', ['-sS', '-L', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `${regs[kind].url}/v2/bench/blob/blobs/${digest}`]);
      if (stdout !== `200 ${size}`) throw new Error(`${kind}: curl got ${stdout} (status, bytes)`);
    };
    for (const kind of KINDS) {
      await pushBlob({ url: regs[kind].url, headers: {} }, 'bench/blob', blob);
      await check(kind); // warm up the page cache, and check the bytes
    }
    // Round -1 is a warm-up, not counted (the first round ran some 30 % slower, whichever registry it met).
    for (let round = -1; round < rounds; round++) {
      for (const kind of round % 2 ? [...KINDS].reverse() : KINDS) {
        if (round < 0) { await Promise.all(Array.from({ length: 4 }, () => get(kind))); continue; }
        let left = 16;
        const cpu0 = cpuMs(regs[kind].child.pid!);
        const t0 = process.hrtime.bigint();
        await Promise.all(Array.from({ length: 4 }, async () => { while (left-- > 0) await get(kind); }));
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        rate[kind].push((16 * size) / 2 ** 20 / seconds);
        cpu[kind].push(cpuMs(regs[kind].child.pid!) - cpu0);
      }
    }
  } finally {
    for (const kind of KINDS) await regs[kind]?.stop();
  }
  const ratios = rate['berth-registry'].map((b, i) => b / rate['docker-registry'][i]);
  for (const kind of KINDS) console.log(`blob GET (${storageName()}), ${kind} rounds (MiB/s): ${rate[kind].map((x) => x.toFixed(0)).join(' ')}`);
  console.log(`blob GET (${storageName()}), ratios per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
  const [b, d] = KINDS.map((k) => median(rate[k]));
  const [bc, dc] = KINDS.map((k) => median(cpu[k]));
  return [
    [`blob GET, 4 clients x 100 MiB (${storageName()}), median of ${rounds} rounds`, `${b.toFixed(0)} MiB/s`, `${d.toFixed(0)} MiB/s`, median(ratios).toFixed(2)],
    ['blob GET: registry CPU time per 1.6 GiB round', `${bc} ms`, `${dc} ms`, (bc / dc).toFixed(2)],
  ];
}

function sha256Hex(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** skopeo push through the round-robin proxy: three berth-registry replicas against one. */
async function benchReplicas(rounds: number): Promise<string[][]> {
  const work = mkdtempSync(join(tmpdir(), 'bench-layout-'));
  const times: Record<'one' | 'three', number[]> = { one: [], three: [] };
  try {
    await makeLayout(join(work, 'src'), '1.0', [20 * 1024 * 1024, 20 * 1024 * 1024, 20 * 1024 * 1024]);
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 ? ['three', 'one'] as const : ['one', 'three'] as const) {
        const prefix = `bench-${process.pid}-${++starts}`;
        const replicas = await Promise.all(Array.from({ length: mode === 'one' ? 1 : 3 }, () => start('berth-registry', prefix)));
        const proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
        try {
          // Not timed() (spawnSync): the proxy runs in this process and must keep serving.
          const t0 = process.hrtime.bigint();
          await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${join(work, 'src')}:1.0`, `docker://${proxy.host}/bench/app:1.0`]);
          times[mode].push(Number(process.hrtime.bigint() - t0) / 1e6);
        } finally {
          await proxy.stop();
          for (const r of replicas) await r.stop();
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`replicas push runs (ms), one: ${times.one.map((x) => x.toFixed(0)).join(' ')}; three: ${times.three.map((x) => x.toFixed(0)).join(' ')}`);
  const [one, three] = [median(times.one), median(times.three)];
  return [['skopeo push 3x20MiB via round-robin proxy (radosgw): 3 replicas | 1 replica', `${(three / 1000).toFixed(2)} s`, `${(one / 1000).toFixed(2)} s`, (three / one).toFixed(2)]];
}

function storageName(): string {
  return s3 ? 'radosgw' : 'filesystem';
}

/** All of them, printed as one table; BENCH_ONLY=skopeo|manifests|memory runs one. */
export async function benchRegistry(rounds = 7, requests = 20000): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const rows: string[][] = [['benchmark', 'berth-registry', 'docker-registry 2.8', 'ratio (berth/distribution)']];
  if (process.env.BENCH_STORAGE === 's3') {
    console.error('starting radosgw...');
    s3 = await startS3Server();
    await s3.createBucket('bench');
  }
  try {
    if (!only || only === 'skopeo') rows.push(...await benchSkopeo(rounds));
    if (!only || only === 'blobget') rows.push(...await benchBlobGet(rounds));
    if (s3 && (!only || only === 'replicas')) rows.push(...await benchReplicas(rounds));
    if (!s3 && (!only || only === 'manifests')) rows.push(...await benchManifests(requests));
    if (!s3 && (!only || only === 'memory')) rows.push(...await benchBigLayer(2 * 1024 * 1024 * 1024));
  } finally {
    await s3?.stop();
  }
  printTable(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchRegistry(Number(process.argv[2] ?? 7), Number(process.argv[3] ?? 20000));
}
