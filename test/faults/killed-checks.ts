// What the fault tests check after a daemon was killed mid-work and started again: every image listed
// can be inspected and has all its layers, nothing half-made lies in the data root (temp names,
// layers no image names, content blobs nobody names), and a seeded random source so that a failing
// round can be replayed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../helpers/daemon.js';

/** mulberry32: a small PRNG, so that `BERTH_FAULT_SEED=<seed>` replays the same rounds. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: BERTH_FAULT_SEED when set, else a fresh one (printed by the caller). */
export function faultSeed(): number {
  const given = process.env.BERTH_FAULT_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

interface InspectedImage {
  Id: string;
  RepoTags: string[];
  RootFS: { Layers?: string[] };
  GraphDriver: { Data: { UpperDir?: string; LowerDir?: string } };
}

/**
 * Every image `docker images -a` lists can be inspected, and every layer directory its inspect names
 * exists and is a directory. Returns the inspected images.
 */
export async function checkListedImages(daemon: TestDaemon, context: string): Promise<InspectedImage[]> {
  const ids = [...new Set((await daemon.ok(['images', '-a', '-q', '--no-trunc'])).split('\n').filter(Boolean))];
  if (ids.length === 0) return [];
  const inspect = await daemon.docker(['image', 'inspect', ...ids]);
  assert.equal(inspect.code, 0, `${context}: docker image inspect of a listed image failed: ${inspect.stderr}`);
  const images = JSON.parse(inspect.stdout) as InspectedImage[];
  assert.equal(images.length, ids.length, context);
  for (const image of images) {
    const { UpperDir, LowerDir } = image.GraphDriver.Data;
    const dirs = [UpperDir, ...(LowerDir ? LowerDir.split(':') : [])].filter((d): d is string => !!d);
    assert.equal(dirs.length, image.RootFS.Layers?.length ?? 0, `${context}: ${image.Id} names ${dirs.length} layer dirs`);
    for (const dir of dirs) {
      const st = await stat(dir).catch(() => undefined);
      assert.ok(st?.isDirectory(), `${context}: layer ${dir} of listed image ${image.Id} ${image.RepoTags.join(' ')} is missing`);
    }
  }
  return images;
}

function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out[out.length - 1];
    out.push(parent ? `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}` : diffId);
  }
  return out;
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
}

/**
 * What a freshly started daemon (nothing in flight) should not have in its data root: temp and scratch
 * entries, layers no listed image names, content blobs that are neither a listed image's config nor a
 * kept archive of a present layer. `images` from checkListedImages; images kept for containers
 * (deleted by force under one) must not exist while this runs.
 */
export async function leftoversOnDisk(dataRoot: string, images: InspectedImage[]): Promise<string[]> {
  const found: string[] = [];
  const layers = join(dataRoot, 'layers');
  const wanted = new Set(images.flatMap((i) => chainIds(i.RootFS.Layers ?? [])).map((c) => c.slice('sha256:'.length)));
  for (const name of await names(layers)) {
    if (name === 'l' || name === 'empty') continue;
    if (!wanted.has(name)) found.push(`layers/${name}`);
  }
  const image = join(dataRoot, 'image');
  for (const name of await names(image)) if (/^(load|save)-/.test(name)) found.push(`image/${name}`);
  for (const name of await names(join(image, 'content', 'ingest'))) found.push(`image/content/ingest/${name}`);
  for (const name of await names(join(dataRoot, 'distribution', 'tmp'))) found.push(`distribution/tmp/${name}`);
  for (const name of await names(join(dataRoot, 'build', 'tmp'))) found.push(`build/tmp/${name}`);
  const named = new Set(images.map((i) => i.Id));
  const diffIds = new Set(images.flatMap((i) => i.RootFS.Layers ?? []));
  const origins = join(dataRoot, 'distribution', 'layer-origins', 'sha256');
  for (const name of await names(origins)) {
    if (name.endsWith('.tmp')) found.push(`distribution/layer-origins/sha256/${name}`);
    if (!name.endsWith('.local.json')) continue;
    const diffId = `sha256:${name.slice(0, -'.local.json'.length)}`;
    const kept = JSON.parse(await readFile(join(origins, name), 'utf8')) as { digest: string };
    if (diffIds.has(diffId)) named.add(kept.digest);
    else found.push(`distribution/layer-origins/sha256/${name} (its layer is gone)`);
  }
  for (const hex of await names(join(image, 'content', 'sha256'))) {
    if (!named.has(`sha256:${hex}`)) found.push(`image/content/sha256/${hex}`);
  }
  return found;
}
