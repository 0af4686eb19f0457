// docker pull: resolve a reference to an image manifest for this platform, fetch its config, download
// the layers the engine lacks (3 at a time, each verified while streaming and unpacked as it arrives),
// register them bottom up, then the image and its tag and digest reference, reporting progress as
// dockerd does.
import { bestEffort } from '../../lib/best-effort.js';
import { digestOf, parseDigest } from '../../lib/oci-digest.js';
import type { Descriptor } from '../../lib/oci-media-types.js';
import { familiarString, type ImageReference } from '../../lib/image-reference.js';
import { chainIdOf } from '../images/layer-store.js';
import { hostPlatform } from '../images/image-config.js';
import type { AuthConfig } from './credentials.js';
import type { Distribution, RegistryServices } from './distribution.js';
import { RegistryContentError, RegistryResponseError } from './errors.js';
import { readCappedReply } from './http-body.js';
import { openLayerTar, openLiveLayerTar } from './layer-decompress.js';
import { LayerIo } from './layer-io.js';
import { ACCEPTED_MANIFEST_TYPES, parseManifest, selectPlatform, type ImageManifest } from './manifest.js';
import { ProgressReporter, shortId } from '../progress/json-progress.js';
import { RegistryClient } from './registry-client.js';
import { Limit } from '../../lib/limit.js';
import { connectRegistry, describePullError } from './pull-errors.js';
import { LiveBodyLostError, type DownloadedBlob } from './blob-download.js';
import type { Readable } from 'node:stream';

/** dockerd's max-concurrent-downloads default. */
const CONCURRENT_DOWNLOADS = 3;
/** Image configs are JSON documents of a few kB; this leaves room for long histories. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PullOptions {
  /** Fully qualified, with a tag or a digest. */
  reference: ImageReference;
  credentials: AuthConfig;
  progress: ProgressReporter;
  platform?: Platform;
  /** Aborted when the client goes away: the pull stops at the next layer boundary. */
  signal?: AbortSignal;
}

export interface PullResult {
  imageId: string;
  /** The manifest (or index) digest the reference resolved to. */
  digest: string;
  /** False when the reference already named this image. */
  changed: boolean;
}

interface ResolvedImage {
  client: RegistryClient;
  /** Digest of what the reference names (an index's digest for multi-platform images). */
  digest: string;
  manifest: ImageManifest;
  manifestDigest: string;
}

/**
 * Pulls an image. Errors before the first progress message are thrown with Docker's wording (the API
 * turns them into an HTTP status); later ones are thrown too, and the caller writes them into the stream.
 * A failed pull registers no image; layers unpacked before the failure stay for the next attempt.
 */
export async function pullImage(engine: RegistryServices, options: PullOptions): Promise<PullResult> {
  const dist = engine.distribution;
  const io = new LayerIo(engine.images, dist.origins);
  const ref = options.reference;
  const resolved = await resolveImage(dist, options);
  const { progress } = options;
  progress.message(`Pulling from ${ref.path}`, ref.digest ?? ref.tag);

  // An image whose config we hold has all its layers: nothing to download (dockerd prints no layer lines then).
  const known = io.hasImage(resolved.manifest.config.digest);
  const config = known ? await io.configBytes(resolved.manifest.config.digest) : await fetchConfig(resolved.client, resolved.manifest.config);
  const parsed = io.parseConfig(config);
  const diffIds = parsed.rootfs.diff_ids;
  const layers = resolved.manifest.layers;
  if (diffIds.length !== layers.length) throw new RegistryContentError("layers from manifest don't match image configuration");
  const chain: string[] = [];
  for (const diffId of diffIds) {
    try {
      parseDigest(diffId);
    } catch (err) {
      throw new RegistryContentError(`invalid image configuration: ${(err as Error).message}`);
    }
    chain.push(chainIdOf(chain[chain.length - 1], diffId));
  }

  const previous = ref.tag ? io.imageIdOf(ref) : undefined;
  const downloaded = known ? 0 : await fetchLayers(dist, io, resolved, layers, chain, diffIds, options);

  options.signal?.throwIfAborted();
  const refs: ImageReference[] = [{ domain: ref.domain, path: ref.path, digest: resolved.digest }];
  if (ref.tag) refs.unshift({ domain: ref.domain, path: ref.path, tag: ref.tag });
  const imageId = await io.addImage(config, refs);
  const repository = `${ref.domain}/${ref.path}`;
  await Promise.all(layers.map((layer, i) => dist.origins.add(diffIds[i]!, {
    digest: layer.digest, size: layer.size, mediaType: layer.mediaType, repository,
  })));
  progress.message(`Digest: ${resolved.digest}`);
  const changed = downloaded > 0 || previous !== imageId;
  progress.message(`Status: ${changed ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}`);
  engine.images.publishEvent('pull', familiarString(ref));
  return { imageId, digest: resolved.digest, changed };
}

/** Finds the image manifest: tries each endpoint (mirrors first) until one has the reference. */
async function resolveImage(dist: Distribution, options: PullOptions): Promise<ResolvedImage> {
  const ref = options.reference;
  return connectRegistry(dist, ref, options.credentials, 'pull', async (client) => {
    const fetched = await client.getManifest(ref.digest ?? ref.tag!, ACCEPTED_MANIFEST_TYPES);
    const top = parseManifest(fetched, ref.digest);
    if (top.kind === 'image') return { client, digest: top.digest, manifest: top.manifest, manifestDigest: top.digest };
    const entry = selectPlatform(top.manifest, options.platform ?? hostPlatform());
    const child = parseManifest(await client.getManifest(entry.digest, ACCEPTED_MANIFEST_TYPES), entry.digest);
    if (child.kind !== 'image') throw new RegistryContentError(`manifest ${entry.digest} of the index is itself an index`);
    return { client, digest: top.digest, manifest: child.manifest, manifestDigest: child.digest };
  }).catch((err) => { throw describePullError(err, ref, options.credentials); });
}

async function fetchConfig(client: RegistryClient, desc: Descriptor): Promise<Buffer> {
  if (desc.size > MAX_CONFIG_BYTES) throw new RegistryContentError(`image configuration of ${desc.size} bytes is too large`);
  const blob = await client.openBlob(desc.digest).catch((err) => {
    if (err instanceof RegistryResponseError && err.status === 404) {
      throw new RegistryContentError(`the registry does not have the image configuration ${desc.digest} its manifest names: ${err.message}`);
    }
    throw err;
  });
  const bytes = await readCappedReply(blob.body, desc.size, 'image configuration');
  const { algorithm } = parseDigest(desc.digest);
  if (bytes.length !== desc.size || digestOf(bytes, algorithm) !== desc.digest) {
    throw new RegistryContentError(`image configuration verification failed for digest ${desc.digest}`);
  }
  return bytes;
}

/** One layer to fetch and where it goes: on `parent`, as `chainId`, holding `diffId`. */
interface LayerStep {
  layer: Descriptor;
  parent: string | undefined;
  chainId: string;
  diffId: string;
}

/**
 * Downloads what is missing, up to 3 layers at once, unpacking each while it downloads (into a temp
 * dir of its own, from the verified bytes as they arrive); layers are registered bottom up, each once
 * its parent is. Returns the number of layers downloaded.
 */
async function fetchLayers(
  dist: Distribution, io: LayerIo, resolved: ResolvedImage, layers: Descriptor[], chain: string[], diffIds: string[],
  options: PullOptions,
): Promise<number> {
  const { progress } = options;
  const missing = layers.map((_, i) => !io.hasLayer(chain[i]!));
  // A layer present means every layer below it is too (layers are registered on their parent).
  const firstMissing = missing.indexOf(true);
  if (firstMissing === -1) {
    for (const layer of layers) progress.layer(shortId(layer.digest), 'Already exists');
    return 0;
  }
  layers.forEach((layer, i) => progress.layer(shortId(layer.digest), i < firstMissing ? 'Already exists' : 'Pulling fs layer'));

  const wanted = layers.slice(firstMissing);
  const slots = new Limit(CONCURRENT_DOWNLOADS);
  let below: Promise<void> = Promise.resolve();
  const pulls = wanted.map((layer, k) => {
    const i = firstMissing + k;
    if (!slots.free) progress.layer(shortId(layer.digest), 'Waiting');
    below = pullLayer(dist, io, resolved.client, slots, { layer, parent: chain[i - 1], chainId: chain[i]!, diffId: diffIds[i]! }, below, options);
    return below;
  });
  // Every layer is settled (download released, temp dir gone) before the first failure is reported.
  const failure = (await Promise.allSettled(pulls)).find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return wanted.length;
}

/**
 * Downloads one layer (in a slot of `slots`) and registers it once `below`, the pull of the layer under
 * it, is done. The pull that starts a download unpacks the bytes as they arrive, overlapping the
 * unpacking of this layer with the downloads of the others (where dockerd unpacks from the finished
 * file); one that joins another's download, or whose live bytes were dropped, unpacks the file.
 */
async function pullLayer(
  dist: Distribution, io: LayerIo, client: RegistryClient, slots: Limit, step: LayerStep, below: Promise<void>,
  options: PullOptions,
): Promise<void> {
  const { progress } = options;
  const { layer } = step;
  const id = shortId(layer.digest);
  const beforeCommit = async () => {
    await below;
    options.signal?.throwIfAborted();
  };
  // "Extracting" is shown once the download is complete, as dockerd does, not interleaved with it.
  let downloaded = false;
  let live: Promise<void> | undefined;
  const download = slots.run(() => dist.downloads.fetch(client, layer, {
    onProgress: (current, total) => progress.bytes(id, 'Downloading', current, total),
    onBody: (body) => {
      let used = false;
      live = extractLayer(dist, io, step, () => {
        used = true;
        return openLiveLayerTar(body, (read) => { if (downloaded) progress.bytes(id, 'Extracting', read, layer.size); });
      }, beforeCommit);
      // Present already, or being unpacked by another pull: the download only fills the file.
      if (!used) body.destroy();
    },
  }));
  let blob: DownloadedBlob;
  try {
    blob = await download;
  } catch (err) {
    // The unpacking fails with the download; the download's failure is the one to report.
    if (live) await bestEffort(dist.hosts.log, `unpacking layer ${id} after its download failed`, live);
    throw err;
  }
  try {
    downloaded = true;
    progress.layer(id, 'Verifying Checksum');
    progress.layer(id, 'Download complete');
    const fromFile = () => openLayerTar(blob.path, (read) => progress.bytes(id, 'Extracting', read, layer.size));
    try {
      await (live ?? extractLayer(dist, io, step, fromFile, beforeCommit));
    } catch (err) {
      if (!isLiveBodyLost(err)) throw err;
      await extractLayer(dist, io, step, fromFile, beforeCommit);
    }
    await io.keepLayerBlob(blob.path, layer, step.diffId);
    progress.layer(id, 'Pull complete');
  } finally {
    await blob.release();
  }
}

/**
 * Unpacks and registers a layer, unless it is present (undefined then); a pull that finds the same layer
 * being unpacked by another shares that work. `open` is called (at once) only when this call unpacks.
 */
function extractLayer(
  dist: Distribution, io: LayerIo, step: LayerStep, open: () => Promise<Readable>, beforeCommit: () => Promise<void>,
): Promise<void> | undefined {
  const running = dist.extractions.get(step.chainId);
  if (running) return running;
  if (io.hasLayer(step.chainId)) return undefined;
  const started = (async () => {
    const tar = await open();
    await io.registerLayer(tar, step.parent, step.diffId, beforeCommit);
  })();
  dist.extractions.set(step.chainId, started);
  // Forgotten the moment it settles (this reaction runs before any awaiting caller's), so a caller that
  // retries after a failure starts afresh instead of joining the failed attempt.
  const forget = () => { if (dist.extractions.get(step.chainId) === started) dist.extractions.delete(step.chainId); };
  started.then(forget, forget);
  return started;
}

/** The unpacker wraps stream errors: look through causes. */
function isLiveBodyLost(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof LiveBodyLostError) return true;
  return false;
}
