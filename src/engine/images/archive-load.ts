// `docker load`: a docker-archive (`manifest.json` naming each image's config, tags and layer tars; the
// files of Docker 1.10 to 24 as well as Docker 25's blob paths) or an OCI image layout (`index.json`,
// `blobs/sha256/*`). The archive is unpacked with the safe unpacker into scratch space first (an entry
// that climbs out is refused), every path it names is resolved inside that space, each layer is
// unpacked and checked against the diffID its config names. A failure registers no image and takes
// out again the layers this load added.
import { bestEffort } from '../../lib/best-effort.js';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageServices } from './image-services.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { familiarString, parseReference, withDefaultTag, type ImageReference } from '../../lib/image-reference.js';
import { digestOf, parseDigest } from '../../lib/oci-digest.js';
import { INDEX_TYPES, type Descriptor } from '../../lib/oci-media-types.js';
import { resolveInRoot } from '../../lib/root-path.js';
import { unpackLayer } from '../../lib/tar-unpack.js';
import { keepLayerArchive } from '../layers/kept-archive.js';
import { progressBar, shortId, type JsonMessage, type ProgressOutput } from '../progress/json-progress.js';
import { hostPlatform, parseImageConfig } from './image-config.js';
import { chainIdOf } from './layer-store.js';

/** dockerd's load output: progress messages and `{"stream": "Loaded image: ...\n"}` lines. */
type LoadMessage = JsonMessage & { stream?: string };

/** One image found in the archive: its config file, layer files (bottom first) and tags. */
interface ArchiveImage {
  configPath: string;
  /** The digest the archive names the config by, when it does (OCI): checked against the bytes. */
  configDigest?: string;
  layerPaths: string[];
  tags: ImageReference[];
}

/**
 * Loads every image of the archive `body`; reports progress (unless `quiet`) and one
 * `Loaded image: name:tag` / `Loaded image ID: sha256:...` line per image, as dockerd does.
 */
export async function loadImages(engine: ImageServices, body: Readable | AsyncIterable<Buffer>, out: ProgressOutput, quiet: boolean): Promise<string[]> {
  const dir = await mkdtemp(join(engine.config.dataRoot, 'image', 'load-'));
  try {
    await unpackLayer(body, dir, { mode: 'copy' });
    const images = await readArchiveIndex(dir);
    const loaded: string[] = [];
    for (const image of images) loaded.push(await loadOne(engine, dir, image, out, quiet));
    return loaded;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function loadOne(engine: ImageServices, dir: string, entry: ArchiveImage, out: ProgressOutput, quiet: boolean): Promise<string> {
  const store = engine.images;
  const say = (message: LoadMessage) => out.write(message);
  const configBytes = await readInside(dir, entry.configPath);
  const imageId = digestOf(configBytes);
  if (entry.configDigest && entry.configDigest !== imageId) {
    throw new InvalidArgumentError(`invalid archive: the config ${entry.configPath} has digest ${imageId}, not ${entry.configDigest}`);
  }
  let config;
  try {
    config = parseImageConfig(configBytes);
  } catch (err) {
    throw new InvalidArgumentError(`invalid image config ${entry.configPath}: ${(err as Error).message}`);
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== entry.layerPaths.length) {
    throw new InvalidArgumentError(`invalid archive: the config names ${diffIds.length} layers, the manifest ${entry.layerPaths.length}`);
  }
  const added: string[] = [];
  try {
    let parent: string | undefined;
    for (let i = 0; i < diffIds.length; i++) {
      const chainId = chainIdOf(parent, diffIds[i]);
      if (!store.layerStore.has(chainId)) {
        const path = await resolveInRoot(dir, `/${entry.layerPaths[i]}`);
        const total = (await stat(path).catch(() => {
          throw new InvalidArgumentError(`invalid archive: layer ${entry.layerPaths[i]} is missing`);
        })).size;
        const archive = keepLayerArchive(store, createReadStream(path, { highWaterMark: 1 << 20 }), engine.log);
        let info;
        try {
          info = await store.registerLayer(archive.source, parent);
          if (info.diffId !== diffIds[i]) {
            throw new InvalidArgumentError(`invalid diffID for layer ${i}: expected "${diffIds[i]}", got "${info.diffId}"`);
          }
          await archive.commit(info.diffId);
        } catch (err) {
          await archive.discard();
          if (info && info.chainId !== chainId) added.push(info.chainId);
          throw err;
        }
        added.push(chainId);
        if (!quiet) say({ status: 'Loading layer', progressDetail: { current: total, total }, progress: progressBar(total, total), id: shortId(diffIds[i]) });
      }
      parent = chainId;
    }
    await store.addImage(config, { configBytes });
  } catch (err) {
    // Layers this load added and no image uses go again, topmost first.
    for (const chainId of added.reverse()) {
      if (!store.list().some((img) => img.layers.includes(chainId))) await bestEffort(engine.log, `removing layer ${chainId} of a failed load`, store.layerStore.remove(chainId));
    }
    throw err;
  }
  if (entry.tags.length === 0) say({ stream: `Loaded image ID: ${imageId}\n` });
  for (const ref of entry.tags) {
    const old = store.refs.get(ref);
    if (old && old !== imageId) {
      say({ stream: `The image ${familiarString(ref)} already exists, renaming the old one with ID ${old} to empty string\n` });
    }
    await store.setReference(imageId, ref);
    say({ stream: `Loaded image: ${familiarString(ref)}\n` });
  }
  store.publishEvent('load', imageId);
  return imageId;
}

/** The images an unpacked archive holds: from manifest.json when present, else from index.json. */
async function readArchiveIndex(dir: string): Promise<ArchiveImage[]> {
  const manifest = await readJsonInside(dir, 'manifest.json');
  if (manifest !== undefined) {
    if (!Array.isArray(manifest)) throw new InvalidArgumentError('invalid archive: manifest.json is not a list');
    return manifest.map((m: { Config?: unknown; RepoTags?: unknown; Layers?: unknown }) => {
      if (typeof m?.Config !== 'string' || !Array.isArray(m.Layers) || !m.Layers.every((l) => typeof l === 'string')) {
        throw new InvalidArgumentError('invalid archive: a manifest.json entry lacks Config or Layers');
      }
      const tags = Array.isArray(m.RepoTags) ? m.RepoTags.map((t) => tagOf(String(t))) : [];
      return { configPath: m.Config, layerPaths: m.Layers as string[], tags };
    });
  }
  const index = await readJsonInside(dir, 'index.json');
  if (index === undefined) throw new InvalidArgumentError('invalid archive: it has neither manifest.json (docker-archive) nor index.json (OCI layout)');
  const out: ArchiveImage[] = [];
  const byManifest = new Map<string, ArchiveImage>();
  for (const desc of manifestsOf(index)) {
    const resolved = await imageManifest(dir, desc);
    if (!resolved) continue;
    const name = desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
    let image = byManifest.get(resolved.digest);
    if (!image) {
      const m = resolved.manifest;
      image = { configPath: blobPath(m.config.digest), configDigest: m.config.digest, layerPaths: m.layers.map((l) => blobPath(l.digest)), tags: [] };
      byManifest.set(resolved.digest, image);
      out.push(image);
    }
    // A bare tag (`latest`) in ref.name names no repository: the image loads untagged.
    if (name && (name.includes('/') || name.includes(':'))) image.tags.push(tagOf(name));
  }
  if (out.length === 0) throw new InvalidArgumentError('invalid archive: index.json lists no image for this platform');
  return out;
}

function manifestsOf(index: unknown): Descriptor[] {
  const manifests = (index as { manifests?: unknown })?.manifests;
  if (!Array.isArray(manifests)) throw new InvalidArgumentError('invalid archive: index.json has no manifests');
  return manifests as Descriptor[];
}

/** The image manifest a descriptor leads to (through an index, for this platform). */
async function imageManifest(dir: string, desc: Descriptor, depth = 0): Promise<{ digest: string; manifest: { config: Descriptor; layers: Descriptor[] } } | undefined> {
  if (depth > 4) throw new InvalidArgumentError('invalid archive: indexes nested too deep');
  const bytes = await readInside(dir, blobPath(desc.digest));
  if (digestOf(bytes) !== desc.digest) throw new InvalidArgumentError(`invalid archive: blob ${desc.digest} does not match its digest`);
  let doc: { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`invalid archive: manifest ${desc.digest} is not JSON`);
  }
  if (INDEX_TYPES.includes(desc.mediaType) || INDEX_TYPES.includes(doc.mediaType ?? '') || Array.isArray(doc.manifests)) {
    const host = hostPlatform();
    const match = (doc.manifests ?? []).find((m) => !m.platform || (m.platform.os === host.os && m.platform.architecture === host.architecture));
    return match ? imageManifest(dir, match, depth + 1) : undefined;
  }
  if (!doc.config?.digest || !Array.isArray(doc.layers)) throw new InvalidArgumentError(`invalid archive: manifest ${desc.digest} has no config or layers`);
  return { digest: desc.digest, manifest: { config: doc.config, layers: doc.layers } };
}

function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

function tagOf(name: string): ImageReference {
  const ref = withDefaultTag(parseReference(name));
  if (ref.digest) throw new InvalidArgumentError(`invalid archive: ${name} is not a tag`);
  return ref;
}

async function readInside(dir: string, path: string): Promise<Buffer> {
  try {
    return await readFile(await resolveInRoot(dir, `/${path}`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InvalidArgumentError(`invalid archive: ${path} is missing`);
    throw err;
  }
}

async function readJsonInside(dir: string, path: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(await resolveInRoot(dir, `/${path}`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`invalid archive: ${path} is not JSON`);
  }
}
