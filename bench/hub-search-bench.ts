/**
 * The hub at scale: `node --import tsx bench/hub-search-bench.ts [repositories=100000] [tags-per-repository=10] [requests=1000]`
 * (or `npm run bench -- hub-search`). Seeds a hub database directly through the store (SqliteHubStore),
 * then runs berth-registry from dist/ on it and measures:
 *   cold start (spawn to the first answer of /v2/, 5 times), idle RSS after start and after the load,
 *   /v1/search latency (sequential requests over a mix of terms) and /v2/repositories/{ns}/{name}/ latency.
 * `BENCH_HUB_DB=path` reuses a seeded database (seeding 1,000,000 tags takes a while).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteHubStore } from '../src/registry/hub/sqlite-hub-store.js';
import type { TagRecord } from '../src/registry/hub/hub-store.js';
import { freePort } from '../test/registry/helpers/registry.js';
import { median, percentile, printTable, rssKb } from './lib.js';

const ROOT = resolve(import.meta.dirname, '..');
const [repositories = 100_000, tagsPer = 10, requests = 1000] = process.argv.slice(2).map(Number);

const WORDS = ['alpine', 'nginx', 'redis', 'postgres', 'tool', 'build', 'proxy', 'cache', 'worker', 'api', 'web', 'db',
  'queue', 'auth', 'gateway', 'metrics', 'log', 'backup', 'cron', 'mail', 'search', 'store', 'media', 'chat', 'deploy',
  'agent', 'runner', 'node', 'python', 'golang', 'java', 'rust', 'static', 'edge', 'admin', 'report', 'sync', 'vault'];

/** A deterministic pseudo-random sequence (the same database every run). */
function rng(seed: number): () => number {
  let x = seed;
  return () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
}

function seed(path: string): void {
  const random = rng(42);
  const pick = () => WORDS[Math.floor(random() * WORDS.length)];
  const store = new SqliteHubStore({ path });
  const t0 = Date.now();
  const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;
  try {
    for (let i = 0; i < repositories; i++) {
      const name = `user${i % 1000}/${pick()}-${pick()}-${i}`;
      const tags: TagRecord[] = [];
      for (let t = 0; t < tagsPer; t++) {
        tags.push({
          name: t === 0 ? 'latest' : `1.${t}`, digest: digest(i * tagsPer + t), size: 1_000_000 + t,
          media_type: 'application/vnd.oci.image.manifest.v1+json', platforms: [{ os: 'linux', architecture: 'amd64' }],
          pushedAt: new Date(Date.UTC(2025, 0, 1) + i * 1000 + t),
        });
      }
      store.replaceTags(name, tags);
      store.updateRepository(name, { description: `A ${pick()} image for ${pick()} and ${pick()}` });
      if (random() < 0.1) for (let s = Math.floor(random() * 5); s >= 0; s--) store.star(name, `user${s}`);
      if (random() < 0.2) store.recordPull(name);
      if (i % 10_000 === 9_999) console.error(`seeded ${i + 1} repositories (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    store.close();
  }
  console.error(`seeded ${repositories} repositories, ${repositories * tagsPer} tags in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

interface Running { child: ChildProcess; url: string; startMs: number; stop(): Promise<void> }

async function start(root: string, database: string): Promise<Running> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(ROOT, 'dist/registry/main.js')], {
    env: {
      PATH: process.env.PATH, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root,
      REGISTRY_LOG_ACCESSLOG_DISABLED: 'true', REGISTRY_HUB_DATABASE: database,
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await (await fetch(`${url}/v2/`)).arrayBuffer(); break; } catch {
      if (i > 2000) throw new Error('berth-registry did not start');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    child, url, startMs,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function latencies(url: string, paths: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const path of paths) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${url}${path}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-hub-'));
  try {
    const root = join(work, 'data');
    mkdirSync(root);
    const db = process.env.BENCH_HUB_DB ?? join(root, 'hub.db');
    if (!process.env.BENCH_HUB_DB || !existsSync(db)) seed(db);
    console.error(`database: ${(statSync(db).size / 1024 / 1024).toFixed(0)} MiB`);

    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await start(root, db);
      starts.push(r.startMs);
      await r.stop();
    }
    const reg = await start(root, db);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const idleBefore = rssKb(reg.child.pid!);
      const random = rng(7);
      const terms = [...WORDS, 'ng', 'db', 'to', 'user12', 'user999/', 'tool-build', 'image for', 'nothing-here', 'alpine nginx'];
      const searches = Array.from({ length: requests }, () => `/v1/search?q=${encodeURIComponent(terms[Math.floor(random() * terms.length)])}&n=25`);
      await latencies(reg.url, searches.slice(0, 50)); // warm-up
      const search = await latencies(reg.url, searches);
      const repoPaths = Array.from({ length: requests }, () => {
        const i = Math.floor(random() * repositories);
        return `/v1/search?q=${encodeURIComponent(`-${i}`)}&n=1`;
      });
      // Look the names up through search once, then time the repository API.
      const names: string[] = [];
      for (const p of repoPaths.slice(0, Math.min(requests, 200))) {
        const body = await (await fetch(`${reg.url}${p}`)).json() as { results: { name: string }[] };
        if (body.results[0]) names.push(body.results[0].name);
      }
      const repoRequests = Array.from({ length: requests }, (_, k) => `/v2/repositories/${names[k % names.length]}/`);
      const repo = await latencies(reg.url, repoRequests);
      const tags = await latencies(reg.url, repoRequests.slice(0, 200).map((p) => `${p}tags/`));
      await new Promise((r) => setTimeout(r, 2000));
      const idleAfter = rssKb(reg.child.pid!);
      printTable([
        ['measure', 'value'],
        ['repositories / tags', `${repositories} / ${repositories * tagsPer}`],
        ['cold start (spawn to first /v2/ answer), median of 5', `${median(starts).toFixed(0)} ms (max ${Math.max(...starts).toFixed(0)})`],
        [`/v1/search p50 / p95 / max (${requests} sequential)`, `${median(search).toFixed(2)} / ${percentile(search, 95).toFixed(2)} / ${Math.max(...search).toFixed(2)} ms`],
        [`/v2/repositories/{ns}/{name}/ p50 / p95 (${requests})`, `${median(repo).toFixed(2)} / ${percentile(repo, 95).toFixed(2)} ms`],
        ['/v2/repositories/{ns}/{name}/tags/ p50 / p95 (200)', `${median(tags).toFixed(2)} / ${percentile(tags, 95).toFixed(2)} ms`],
        ['idle RSS after start / after the load', `${(idleBefore / 1024).toFixed(0)} / ${(idleAfter / 1024).toFixed(0)} MiB`],
      ]);
    } finally {
      await reg.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
