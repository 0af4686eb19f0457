// `docker save`: images as one tar holding both formats, as Docker 25+ writes it. An OCI image layout
// (`oci-layout`, `index.json`, `blobs/sha256/*`: configs, uncompressed layers, one OCI manifest per
// image) and, over the same blobs, the docker-archive files older tools read (`manifest.json` with
// Config/RepoTags/Layers paths, `repositories`).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type tar from 'tar-stream';
import type { ImageServices } from './image-services.js';
import { NotFoundError } from '../../lib/errors.js';
import { lazyModule } from '../../lib/lazy-module.js';
import {
  familiarName, familiarString, parseAnyReference, referenceString, repositoryName, withDefaultTag, type ImageReference,
} from '../../lib/image-reference.js';
import { digestOf } from '../../lib/oci-digest.js';
import { OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, type Descriptor } from '../../lib/oci-media-types.js';
import { hexOf, type ImageStore } from './image-store.js';
import { spoolLayerTar, type SpooledLayer } from './archive-layers.js';

/** tar-stream loads at the first save, not at daemon start. */
const tarStream = lazyModule<typeof tar>('tar-stream');

export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** One image to save and the tags that go with it. */
export interface SaveTarget {
  imageId: string;
  tags: ImageReference[];
}

/**
 * What `docker save NAME...` means (moby's tarexport): an ID saves the image without tags; a name
 * without tag saves every tag of that repository; `name:tag` saves that tag. NotFoundError for a name
 * that matches nothing.
 */
export function resolveSaveTargets(store: ImageStore, names: string[]): SaveTarget[] {
  const targets = new Map<string, SaveTarget>();
  const add = (imageId: string, ref?: ImageReference) => {
    const t = targets.get(imageId) ?? { imageId, tags: [] };
    if (ref && !t.tags.some((r) => referenceString(r) === referenceString(ref))) t.tags.push(ref);
    targets.set(imageId, t);
  };
  for (const name of names) {
    const parsed = parseAnyReference(name);
    if (parsed.kind === 'id') {
      add(store.resolveId(name));
      continue;
    }
    const ref = parsed.ref;
    if (!ref.tag && !ref.digest) {
      const tagged = store.list().flatMap((img) => store.refs.referencesOf(img.id)
        .filter((r) => r.tag && !r.digest && repositoryName(r) === repositoryName(ref)).map((r) => ({ id: img.id, r })));
      if (tagged.length) {
        for (const { id, r } of tagged) add(id, r);
        continue;
      }
    }
    const tagged = ref.digest ? undefined : withDefaultTag(ref);
    const id = store.resolveId(name);
    // A short ID parses as a name too: it saves the image without a tag.
    add(id, tagged && store.refs.get(tagged) === id ? tagged : undefined);
  }
  if (targets.size === 0) throw new NotFoundError('No images to save');
  return [...targets.values()];
}

/**
 * Writes the archive of `targets` to `out`. Layers are spooled to disk first (each checked against its
 * diffID), so a failure comes before the first byte; `begin` is called just before writing starts.
 */
export async function saveImages(engine: ImageServices, targets: SaveTarget[], out: Writable, begin: () => void): Promise<void> {
  const store = engine.images;
  const spoolDir = await mkdtemp(join(engine.config.dataRoot, 'image', 'save-'));
  try {
    const layers = new Map<string, SpooledLayer>();
    for (const t of targets) {
      const image = store.get(t.imageId);
      const diffIds = image.config.rootfs.diff_ids;
      for (let i = 0; i < diffIds.length; i++) {
        if (!layers.has(diffIds[i])) layers.set(diffIds[i], await spoolLayerTar(engine, diffIds[i], image.layers[i], join(spoolDir, hexOf(diffIds[i]))));
      }
    }
    begin();
    const pack = tarStream().pack();
    const piped = new Promise<void>((resolve, reject) => {
      pack.on('error', reject);
      out.on('error', reject);
      out.on('close', resolve);
      out.on('finish', resolve);
      pack.pipe(out);
    });
    await writeArchive(engine, targets, layers, pack);
    pack.finalize();
    await piped;
    for (const id of new Set(targets.map((t) => t.imageId))) store.publishEvent('save', id);
  } finally {
    await rm(spoolDir, { recursive: true, force: true });
  }
}

async function writeArchive(engine: ImageServices, targets: SaveTarget[], layers: Map<string, SpooledLayer>, pack: tar.Pack): Promise<void> {
  const store = engine.images;
  const mtime = new Date(0);
  const entry = (name: string, body: Buffer | string) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, mode: 0o644, mtime }, body, (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve, reject) => pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime }, (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve, reject) => pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime }, (e) => (e ? reject(e) : resolve())));

  const written = new Set<string>();
  const blob = async (digest: string, body: Buffer) => {
    if (written.has(digest)) return;
    written.add(digest);
    await entry(`blobs/sha256/${hexOf(digest)}`, body);
  };
  const index: Descriptor[] = [];
  const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const t of targets) {
    const image = store.get(t.imageId);
    const configBytes = await store.content.read(t.imageId);
    await blob(t.imageId, configBytes);
    for (const diffId of image.config.rootfs.diff_ids) {
      if (written.has(diffId)) continue;
      written.add(diffId);
      await fileEntry(pack, `blobs/sha256/${hexOf(diffId)}`, layers.get(diffId)!, mtime);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: t.imageId, size: configBytes.length },
      layers: image.config.rootfs.diff_ids.map((d) => ({ mediaType: OCI_LAYER_TAR, digest: d, size: layers.get(d)!.size })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = digestOf(manifestBytes);
    await blob(manifestDigest, manifestBytes);
    const desc: Descriptor = { mediaType: OCI_MANIFEST, digest: manifestDigest, size: manifestBytes.length };
    if (t.tags.length === 0) index.push(desc);
    for (const ref of t.tags) {
      index.push({ ...desc, annotations: { 'io.containerd.image.name': referenceString(ref), 'org.opencontainers.image.ref.name': ref.tag! } });
      const top = image.config.rootfs.diff_ids.at(-1);
      if (top) (repositories[familiarName(ref)] ??= {})[ref.tag!] = hexOf(top);
    }
    manifestJson.push({
      Config: `blobs/sha256/${hexOf(t.imageId)}`,
      RepoTags: t.tags.length ? t.tags.map(familiarString) : null,
      Layers: image.config.rootfs.diff_ids.map((d) => `blobs/sha256/${hexOf(d)}`),
    });
  }
  await entry('index.json', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: index }) + '\n');
  await entry('manifest.json', JSON.stringify(manifestJson) + '\n');
  await entry('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }) + '\n');
  if (Object.keys(repositories).length) await entry('repositories', JSON.stringify(repositories) + '\n');
}

async function fileEntry(pack: tar.Pack, name: string, layer: SpooledLayer, mtime: Date): Promise<void> {
  const size = (await stat(layer.path)).size;
  let sink!: NodeJS.WritableStream;
  const done = new Promise<void>((resolve, reject) => {
    // tar-stream's sinks are streamx writables: the node-compatible part is all this needs.
    sink = pack.entry({ name, size, mode: 0o644, mtime }, (err) => (err ? reject(err) : resolve())) as unknown as NodeJS.WritableStream;
  });
  for await (const chunk of createReadStream(layer.path, { highWaterMark: 1 << 20 })) {
    if (!sink.write(chunk as Buffer)) await new Promise<void>((r) => sink.once('drain', () => r()));
  }
  sink.end();
  await done;
}
