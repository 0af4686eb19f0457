// A soak of online garbage collection: two registry processes (replicas) on one storage, each
// collecting every 20 s with --delete-untagged, while 8 clients push and pull random images (small
// random layers, some on shared base layers) and 2 clients delete tags; on the filesystem, then on
// S3 (radosgw). At the end: no client error (a push refused with MANIFEST_BLOB_UNKNOWN because a
// collector deleted its blob is pushed again, as the error asks: counted, not an error), every tag not
// deleted pulls with matching digests, and after a final collection no blob is left that nothing
// references. One minute per driver by default; BERTH_NIGHTLY=1 runs five minutes each
// (BERTH_SOAK_SECONDS sets the time per driver).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Agent, request } from 'undici';
import { loadConfig } from '../../src/registry/base/config.js';
import { Registry, createDriver } from '../../src/registry/content/registry.js';
import { layout } from '../../src/registry/content/layout.js';
import { parseManifest } from '../../src/registry/content/manifest-parse.js';
import { listRepositories } from '../../src/registry/content/catalog.js';
import { walkFiles } from '../../src/registry/storage/driver.js';
import { garbageCollect } from '../../src/registry/gc.js';
import { spawnRegistry, tempDir, type RegistryProcess } from './helpers/registry.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';
import { OCI_MANIFEST, sha256 } from './helpers/client.js';
import { makeImage, type TestImage } from './helpers/gc-images.js';

const SECONDS = Number(process.env.BERTH_SOAK_SECONDS ?? (process.env.BERTH_NIGHTLY === '1' ? 300 : 60));
const GRACE = '5s';
const GRACE_MS = 5000;
const REPOS = ['soak/a', 'soak/b', 'soak/c', 'team/base/x', 'team/base/y'];
const BASES = Array.from({ length: 4 }, () => randomBytes(16 * 1024));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

interface Tag { repo: string; tag: string; image: TestImage; pulling: number }

class Soak {
  readonly agent = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
  readonly live = new Map<string, Tag>();
  readonly errors: string[] = [];
  pushes = 0;
  pulls = 0;
  deletes = 0;
  retries = 0;
  private stopAt = 0;

  constructor(private readonly urls: string[]) {}

  private async call(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
    const res = await request(path.startsWith('http') ? path : `${pick(this.urls)}${path}`, { method: method as 'GET', body, headers, dispatcher: this.agent });
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()), headers: res.headers };
  }

  private fail(what: string, status: number, body: Buffer): void {
    this.errors.push(`${what}: ${status} ${body.toString('utf8').slice(0, 300)}`);
  }

  /** One push: every blob uploaded (a monolithic POST, to either replica), then the manifest. */
  private async push(repo: string, tag: string, image: TestImage): Promise<boolean> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      for (const blob of [image.config, ...image.layers]) {
        const res = await this.call('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, blob, { 'content-type': 'application/octet-stream' });
        if (res.status !== 201) { this.fail(`push blob ${repo}`, res.status, res.body); return false; }
      }
      const res = await this.call('PUT', `/v2/${repo}/manifests/${tag}`, image.body, { 'content-type': OCI_MANIFEST });
      if (res.status === 201) return true;
      if (res.status === 400 && res.body.toString().includes('MANIFEST_BLOB_UNKNOWN')) { this.retries++; continue; }
      this.fail(`push manifest ${repo}:${tag}`, res.status, res.body);
      return false;
    }
    this.errors.push(`push ${repo}:${tag}: MANIFEST_BLOB_UNKNOWN five times`);
    return false;
  }

  /** Pulls a tag and checks the manifest and every blob against their digests; false on any mismatch. */
  async pull(t: Tag): Promise<boolean> {
    const m = await this.call('GET', `/v2/${t.repo}/manifests/${t.tag}`, undefined, { accept: OCI_MANIFEST });
    if (m.status !== 200 || sha256(m.body) !== t.image.digest) { this.fail(`pull ${t.repo}:${t.tag} manifest`, m.status, m.body); return false; }
    for (const digest of t.image.blobs) {
      let b = await this.call('GET', `/v2/${t.repo}/blobs/${digest}`);
      // On S3 the registry answers 307 to the storage, which docker follows.
      if (b.status === 307) b = await this.call('GET', String(b.headers.location));
      if (b.status !== 200 || sha256(b.body) !== digest) { this.fail(`pull ${t.repo}:${t.tag} blob ${digest}`, b.status, b.body); return false; }
    }
    return true;
  }

  private async pusher(id: number): Promise<void> {
    for (let n = 0; Date.now() < this.stopAt; n++) {
      const layers = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => randomBytes(1024 + Math.floor(Math.random() * 32 * 1024)));
      if (Math.random() < 0.6) layers.unshift(pick(BASES));
      const t: Tag = { repo: pick(REPOS), tag: `c${id}-${n}`, image: makeImage(layers), pulling: 0 };
      if (await this.push(t.repo, t.tag, t.image)) {
        this.pushes++;
        this.live.set(`${t.repo}:${t.tag}`, t);
      }
      const other = pick([...this.live.values()]);
      if (other) {
        other.pulling++;
        try { if (await this.pull(other)) this.pulls++; } finally { other.pulling--; }
      }
    }
  }

  private async deleter(): Promise<void> {
    while (Date.now() < this.stopAt) {
      await sleep(200 + Math.random() * 400);
      const t = pick([...this.live.values()].filter((x) => x.pulling === 0));
      if (!t) continue;
      this.live.delete(`${t.repo}:${t.tag}`); // pullers no longer pick it
      const res = await this.call('DELETE', `/v2/${t.repo}/manifests/${t.tag}`);
      if (res.status === 202) this.deletes++;
      else this.fail(`delete ${t.repo}:${t.tag}`, res.status, res.body);
    }
  }

  async run(seconds: number): Promise<void> {
    this.stopAt = Date.now() + seconds * 1000;
    await Promise.all([...Array.from({ length: 8 }, (_, i) => this.pusher(i)), this.deleter(), this.deleter()]);
  }
}

/** Every blob in storage is a manifest, or referenced by one: the digests of those that are not. */
async function unreferencedBlobs(registry: Registry): Promise<string[]> {
  const referenced = new Set<string>();
  for (const name of await listRepositories(registry.driver)) {
    for (const digest of await registry.manifests.revisions(name)) {
      // A revision directory without its link (on S3, one that only a stopped run's tombstone still
      // names) holds no manifest: the collector skips it too.
      const stored = await registry.manifests.get(name, digest).catch((err: { code?: string }) => {
        if (err.code === 'MANIFEST_UNKNOWN') return undefined;
        throw err;
      });
      if (!stored) continue;
      const m = parseManifest(stored.content, stored.mediaType);
      for (const d of [digest, ...m.blobs.map((b) => b.digest), ...m.manifests.map((x) => x.digest)]) referenced.add(d);
    }
  }
  const left: string[] = [];
  await walkFiles(registry.driver, layout.blobsRoot, (info) => {
    if (!info.path.endsWith('/data')) return;
    const parts = info.path.split('/');
    const digest = `${parts[parts.length - 4]}:${parts[parts.length - 2]}`;
    if (!referenced.has(digest)) left.push(digest);
  });
  return left;
}

async function soak(t: { diagnostic(m: string): void }, env: Record<string, string>): Promise<void> {
  const settings = {
    ...env, REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_HUB_ENABLED: 'false', REGISTRY_LOG_ACCESSLOG_DISABLED: 'true',
    REGISTRY_GC_INTERVAL: '20s', REGISTRY_GC_GRACE: GRACE, REGISTRY_GC_DELETEUNTAGGED: 'true',
  };
  const replicas: RegistryProcess[] = [];
  const config = loadConfig(undefined, { ...settings, REGISTRY_HTTP_ADDR: '127.0.0.1:0' });
  const registry = new Registry(config, await createDriver(config));
  let s: Soak | undefined;
  try {
    replicas.push(await spawnRegistry(settings), await spawnRegistry(settings));
    s = new Soak(replicas.map((r) => r.url));
    await s.run(SECONDS);
    const collected = replicas.flatMap((r) => r.output().split('\n').filter((l) => / gc: deleted [1-9]/.test(l)));
    t.diagnostic(`${s.pushes} pushes, ${s.pulls} pulls, ${s.deletes} tag deletes, ${s.retries} pushes again after MANIFEST_BLOB_UNKNOWN; ` +
      `${collected.length} collections deleted blobs: ${collected.slice(-2).join(' | ')}`);
    assert.deepEqual(s.errors.slice(0, 10), [], `${s.errors.length} client errors`);
    assert.ok(collected.length > 0, `the replicas' collections deleted something during the soak:\n${replicas.map((r) => r.output()).join('\n')}`);

    // A final collection, once everything is older than the grace period, leaves only what is referenced.
    await sleep(GRACE_MS + 1500);
    await garbageCollect(registry, { gracePeriodMs: GRACE_MS, deleteUntagged: true });
    assert.deepEqual(await unreferencedBlobs(registry), [], 'blobs nothing references');
    let pulled = 0;
    for (const tag of s.live.values()) if (await s.pull(tag)) pulled++;
    assert.deepEqual(s.errors.slice(0, 10), [], 'every tag not deleted pulls');
    assert.equal(pulled, s.live.size);
  } finally {
    await s?.agent.close();
    for (const r of replicas) await r.stop();
    await registry.driver.close?.();
  }
}

describe('online garbage collection soak', () => {
  it(`filesystem: 2 replicas, 8 pushing and pulling clients, 2 deleting tags, GC every 20 s, ${SECONDS} s`, async (t) => {
    const root = tempDir('berth-gc-soak-');
    try {
      await soak(t, { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  let s3: S3Server | undefined;
  after(async () => { await s3?.stop(); });
  it(`s3 (radosgw): the same, ${SECONDS} s`, async (t) => {
    s3 = await startS3Server();
    await s3.createBucket('gc-soak');
    await soak(t, {
      REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'gc-soak', REGISTRY_STORAGE_S3_REGION: s3.region,
      REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint, REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
      REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey, REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'true',
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    });
  });
});
