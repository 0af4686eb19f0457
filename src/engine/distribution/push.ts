// docker push: for each layer of the image, skip it when the repository has it, mount it from another
// repository of the same registry that has it, or upload it (the exact blob kept since pull, or the layer
// packed and gzip-compressed on the fly, checked against its diffID); then the config, then the manifest
// under the tag. Progress is reported as dockerd reports it, with layers named by their diffID.
import { bestEffort } from '../../lib/best-effort.js';
import { createGzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { Digester, digestOf } from '../../lib/oci-digest.js';
import {
  DOCKER_CONFIG, DOCKER_MANIFEST, OCI_CONFIG, OCI_MANIFEST, type Descriptor,
} from '../../lib/oci-media-types.js';
import { NotFoundError } from '../../lib/errors.js';
import { familiarString, parseReference, type ImageReference } from '../../lib/image-reference.js';
import type { ImageRecord } from '../images/image-store.js';
import type { AuthConfig } from './credentials.js';
import type { Distribution, RegistryServices } from './distribution.js';
import { RegistryContentError } from './errors.js';
import { ProgressReporter, shortId } from '../progress/json-progress.js';
import { LayerIo } from './layer-io.js';
import { packPath } from '../layers/archive-pack.js';
import { RegistryClient } from './registry-client.js';
import { Limit } from '../../lib/limit.js';
import { connectRegistry, describePushError } from './pull-errors.js';

/** dockerd's max-concurrent-uploads default. */
const CONCURRENT_UPLOADS = 5;
const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface PushOptions {
  /** The repository, with the tag to push; without a tag every local tag of the repository is pushed. */
  reference: ImageReference;
  credentials: AuthConfig;
  progress: ProgressReporter;
  signal?: AbortSignal;
}

export interface PushedTag {
  tag: string;
  digest: string;
  size: number;
}

export async function pushImage(engine: RegistryServices, options: PushOptions): Promise<PushedTag[]> {
  const { reference: ref, progress } = options;
  const repository = `${ref.domain}/${ref.path}`;
  progress.message(`The push refers to repository [${repository}]`);
  const targets = localTags(engine, ref);
  if (targets.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${repository}`);
  const dist = engine.distribution;
  const io = new LayerIo(engine.images, dist.origins);
  const pushed: PushedTag[] = [];
  await connectRegistry(dist, ref, options.credentials, 'pull,push', async (client) => {
    for (const { tag, image } of targets) {
      options.signal?.throwIfAborted();
      pushed.push(await pushTag(engine, dist, io, client, image, tag, options));
    }
  }).catch((err) => { throw describePushError(err, options.credentials); });
  engine.images.publishEvent('push', familiarString(ref));
  return pushed;
}

/** The local images to push: the one tag named, or every tag of the repository. */
function localTags(engine: RegistryServices, ref: ImageReference): { tag: string; image: ImageRecord }[] {
  const out: { tag: string; image: ImageRecord }[] = [];
  for (const image of engine.images.list()) {
    for (const name of image.repoTags) {
      const tagged = parseReference(name);
      if (tagged.domain !== ref.domain || tagged.path !== ref.path || !tagged.tag) continue;
      if (ref.tag && tagged.tag !== ref.tag) continue;
      out.push({ tag: tagged.tag, image });
    }
  }
  return out.sort((a, b) => a.tag.localeCompare(b.tag));
}

async function pushTag(
  engine: RegistryServices, dist: Distribution, io: LayerIo, client: RegistryClient, image: ImageRecord, tag: string, options: PushOptions,
): Promise<PushedTag> {
  const { progress } = options;
  const config = await io.configBytes(image.id);
  const diffIds = image.config.rootfs.diff_ids;
  for (const diffId of diffIds) progress.layer(shortId(diffId), 'Preparing');
  const slots = new Limit(CONCURRENT_UPLOADS);
  const layers = await Promise.all(diffIds.map((diffId, i) => {
    if (!slots.free) progress.layer(shortId(diffId), 'Waiting');
    return slots.run(() => pushLayer(engine, dist, io, client, diffId, image.layers[i]!, options));
  }));

  if ((await client.blobSize(image.id)) === undefined) await client.pushBlob(image.id, config.length, Readable.from([config]));
  // Docker's manifest type unless a layer needs OCI's (zstd): clients of every age read schema 2.
  const oci = layers.some((l) => !l.mediaType.startsWith('application/vnd.docker.') && l.mediaType !== OCI_LAYER_GZIP && l.mediaType !== OCI_LAYER_TAR);
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? OCI_MANIFEST : DOCKER_MANIFEST,
    config: { mediaType: oci ? OCI_CONFIG : DOCKER_CONFIG, size: config.length, digest: image.id },
    layers: layers.map((l) => ({ mediaType: oci ? toOci(l.mediaType) : toDocker(l.mediaType), size: l.size, digest: l.digest })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  options.signal?.throwIfAborted();
  await client.putManifest(tag, manifest.mediaType, bytes);
  const digest = digestOf(bytes);
  await engine.images.setReference(image.id, { domain: client.endpoint.registry, path: client.repository, digest });
  progress.message(`${tag}: digest: ${digest} size: ${bytes.length}`);
  progress.aux({ Tag: tag, Digest: digest, Size: bytes.length });
  return { tag, digest, size: bytes.length };
}

/** Makes sure the repository has one layer; returns its descriptor. */
async function pushLayer(
  engine: RegistryServices, dist: Distribution, io: LayerIo, client: RegistryClient, diffId: string, chainId: string, options: PushOptions,
): Promise<Descriptor> {
  const { progress } = options;
  const id = shortId(diffId);
  const registry = client.endpoint.registry;
  const target = `${registry}/${client.repository}`;
  const local = await io.localLayerBlob(diffId);
  const origins = (await dist.origins.get(diffId)).filter((o) => o.repository.startsWith(`${registry}/`));
  const record = async (desc: Descriptor) => {
    await dist.origins.add(diffId, { digest: desc.digest, size: desc.size, mediaType: desc.mediaType, repository: target });
    return desc;
  };

  // Already there? Ask about the blobs we know this layer as.
  const known = new Map<string, Descriptor>();
  if (local) known.set(local.digest, { digest: local.digest, size: local.size, mediaType: local.mediaType });
  for (const o of origins) if (!known.has(o.digest)) known.set(o.digest, { digest: o.digest, size: o.size, mediaType: o.mediaType });
  for (const desc of known.values()) {
    if ((await client.blobSize(desc.digest)) !== undefined) {
      progress.layer(id, 'Layer already exists');
      return record(desc);
    }
  }
  // In another repository of this registry? Mount it from there.
  for (const o of origins) {
    if (o.repository === target) continue;
    const from = o.repository.slice(registry.length + 1);
    // A mount that fails is no failure of the push: the layer is uploaded instead.
    if (await bestEffort(engine.log, `mounting ${o.digest} from ${from}`, client.mountBlob(o.digest, from))) {
      progress.layer(id, `Mounted from ${from}`);
      return record({ digest: o.digest, size: o.size, mediaType: o.mediaType });
    }
  }
  options.signal?.throwIfAborted();
  if (local) {
    await client.pushBlob(local.digest, local.size, counted(local.open(), (n) => progress.bytes(id, 'Pushing', n, local.size)));
    progress.layer(id, 'Pushed');
    return record({ digest: local.digest, size: local.size, mediaType: local.mediaType });
  }
  const desc = await uploadPacked(engine, client, diffId, chainId, (n, total) => progress.bytes(id, 'Pushing', n, total));
  progress.layer(id, 'Pushed');
  return record(desc);
}

/** Packs the layer directory, gzips it on the way up, and checks the tar is the layer the config names. */
async function uploadPacked(
  engine: RegistryServices, client: RegistryClient, diffId: string, chainId: string, onProgress: (n: number, total: number) => void,
): Promise<Descriptor> {
  const info = engine.images.layerStore.get(chainId);
  const total = info?.size ?? 0;
  const uncompressed = new Digester();
  const compressed = new Digester();
  const tar = packPath(engine.images.layerStore.diffDir(chainId), { name: '', ociWhiteouts: true, shift: engine.images.ownerShift });
  const hashed = tar.pipe(new Transform({
    transform(chunk: Buffer, _enc, done) {
      uncompressed.update(chunk);
      onProgress(uncompressed.size, total);
      done(null, chunk);
    },
  }));
  tar.on('error', (err) => hashed.destroy(err));
  const gzip = hashed.pipe(createGzip());
  hashed.on('error', (err) => gzip.destroy(err));
  const body = gzip.pipe(new Transform({
    transform(chunk: Buffer, _enc, done) {
      compressed.update(chunk);
      done(null, chunk);
    },
  }));
  gzip.on('error', (err) => body.destroy(err));
  let digest = '';
  await client.pushBlobStreaming(body, () => {
    if (uncompressed.digest() !== diffId) {
      throw new RegistryContentError(`layer ${diffId} cannot be pushed: its files pack to ${uncompressed.digest()}, and the original archive was not kept`);
    }
    digest = compressed.digest();
    return digest;
  });
  return { digest, size: compressed.size, mediaType: DOCKER_LAYER_GZIP };
}

function counted(source: Readable, onBytes: (n: number) => void): Readable {
  let n = 0;
  const out = source.pipe(new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      onBytes(n);
      done(null, chunk);
    },
  }));
  source.on('error', (err) => out.destroy(err));
  return out;
}

function toOci(mediaType: string): string {
  if (mediaType === DOCKER_LAYER_GZIP) return OCI_LAYER_GZIP;
  if (mediaType === DOCKER_LAYER_TAR) return OCI_LAYER_TAR;
  return mediaType;
}

function toDocker(mediaType: string): string {
  if (mediaType === OCI_LAYER_GZIP) return DOCKER_LAYER_GZIP;
  if (mediaType === OCI_LAYER_TAR) return DOCKER_LAYER_TAR;
  return mediaType;
}

