// `docker commit`: the container's own layer becomes a new image layer on top of its image, with a
// config made from the container's (plus Dockerfile-style changes) and one more history entry.
import type { ContainerServices } from './container-services.js';
import type { Container } from './container.js';
import { familiarString, withDefaultTag, type ImageReference } from '../../lib/image-reference.js';
import { NotFoundError } from '../../lib/errors.js';
import { applyChanges } from '../images/config-changes.js';
import { hostPlatform, type ImageConfig, type ImageRuntimeConfig } from '../images/image-config.js';
import { chainOf } from '../images/image-store.js';
import type { LayerInfo } from '../images/layer-store.js';
import { rootfsDirs } from './rootfs.js';
import { packPath } from '../layers/archive-pack.js';
import { isMountStub } from './changes.js';
import { keepLayerArchive } from '../layers/kept-archive.js';

export interface CommitOptions {
  ref?: ImageReference;
  comment: string;
  author: string;
  /** Dockerfile instructions (`CMD ["x"]`, `ENV A=b`...) applied over the container's config. */
  changes: string[];
}

/** Commits the container; returns the new image ID. Bad changes are refused before any work. */
export async function commitContainer(engine: ContainerServices, c: Container, options: CommitOptions): Promise<string> {
  const newConfig = applyChanges(runtimeConfigOf(c), options.changes);
  const images = engine.images;
  if (!images.has(c.record.image)) throw new NotFoundError(`No such image: ${c.record.image} (the image of container ${c.id.slice(0, 12)} was deleted)`);
  const base = images.get(c.record.image).config;
  const layer = await commitLayer(engine, c);
  const created = new Date().toISOString();
  const history = { created, created_by: [c.record.path, ...c.record.args].join(' '),
    ...(options.author ? { author: options.author } : {}), ...(options.comment ? { comment: options.comment } : {}) };
  const config: ImageConfig = {
    ...hostPlatform(),
    ...(options.author ? { author: options.author } : {}),
    ...(options.comment ? { comment: options.comment } : {}),
    config: newConfig,
    container: c.id,
    container_config: { ...c.record.config },
    created,
    history: [...(base.history ?? []), history],
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, layer.diffId] },
  };
  const image = await images.addImage(config, { parent: c.record.image });
  if (options.ref) await images.tag(image.id, options.ref);
  engine.containers.events.action(c, 'commit', {
    comment: options.comment ?? '', imageID: image.id, imageRef: options.ref ? familiarString(withDefaultTag(options.ref)) : '',
  });
  return image.id;
}

/**
 * Packs the container's own layer (overlayfs whiteouts as OCI ones, mount points the engine made left
 * out) and registers it on top of its image's layers. The build's RUN steps use it too. The archive is
 * kept (keepLayerArchive), so push and save send bytes that match the layer's diffID: packing the
 * unpacked files again would not (whiteouts get new times).
 */
export async function commitLayer(engine: ContainerServices, c: Container): Promise<LayerInfo> {
  const parentChain = chainOf(engine.images.get(c.record.image).config);
  const upper = rootfsDirs(engine.containers.store.dir(c.id)).upper;
  const lowerDirs = c.record.lowerDirs;
  const tar = packPath(upper, {
    name: '', ociWhiteouts: true, shift: engine.images.ownerShift,
    skip: (rel, st) => isMountStub(`${upper}/${rel}`, `/${rel}`, st, lowerDirs),
  });
  const archive = keepLayerArchive(engine.images, tar, engine.log);
  try {
    const layer = await engine.images.registerLayer(archive.source, parentChain[parentChain.length - 1]);
    await archive.commit(layer.diffId);
    return layer;
  } catch (err) {
    await archive.discard();
    throw err;
  }
}

/** The parts of the container's Config an image keeps. */
function runtimeConfigOf(c: Container): ImageRuntimeConfig {
  const k = c.record.config;
  const out: ImageRuntimeConfig = {};
  if (k.User) out.User = k.User;
  if (k.ExposedPorts && Object.keys(k.ExposedPorts).length) out.ExposedPorts = { ...k.ExposedPorts };
  if (k.Env?.length) out.Env = [...k.Env];
  out.Entrypoint = k.Entrypoint ? [...k.Entrypoint] : null;
  out.Cmd = k.Cmd ? [...k.Cmd] : null;
  if (k.Volumes && Object.keys(k.Volumes).length) out.Volumes = { ...k.Volumes };
  if (k.WorkingDir) out.WorkingDir = k.WorkingDir;
  if (k.Labels && Object.keys(k.Labels).length) out.Labels = { ...k.Labels };
  if (k.StopSignal) out.StopSignal = k.StopSignal;
  if (k.Healthcheck) out.Healthcheck = k.Healthcheck as ImageRuntimeConfig['Healthcheck'];
  if (k.OnBuild?.length) out.OnBuild = [...k.OnBuild];
  if (k.Shell?.length) out.Shell = [...k.Shell];
  return out;
}
