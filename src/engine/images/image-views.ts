// The JSON shapes of the images API (Engine API 1.47): ImageSummary, ImageInspect, history items.
import type { ImageRuntimeConfig } from './image-config.js';
import type { ImageRecord, ImageStore } from './image-store.js';

/** Seconds since the epoch of an RFC 3339 time; 0 when absent or unreadable. */
export function unixSeconds(time: string | undefined): number {
  const ms = time ? Date.parse(time) : NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** An image's `config` in the container.Config shape the API shows (all fields, Docker's nulls). */
export function containerConfigView(c: ImageRuntimeConfig = {}): Record<string, unknown> {
  return {
    Hostname: '', Domainname: '', User: c.User ?? '',
    AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false, OpenStdin: false, StdinOnce: false,
    Env: c.Env ?? null, Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: '', Volumes: c.Volumes ?? null, WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null, OnBuild: c.OnBuild ?? null, Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  };
}

export function imageSummary(image: ImageRecord): Record<string, unknown> {
  return {
    Containers: -1,
    Created: unixSeconds(image.created),
    Id: image.id,
    Labels: image.config.config?.Labels ?? null,
    ParentId: image.parent,
    RepoDigests: image.repoDigests,
    RepoTags: image.repoTags,
    SharedSize: -1,
    Size: image.size,
  };
}

/** What API versions before 1.45 show as ContainerConfig for an image no container was committed to. */
const EMPTY_CONTAINER_CONFIG = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false,
  OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null,
  OnBuild: null, Labels: null,
};

/**
 * `docker image inspect`. An image made by commit shows `Container` and `ContainerConfig` (the container
 * it was made from and its Config), which clients read back; `legacy` (API < 1.45) shows them for every
 * image, empty when no container made it, as dockerd 20.10 does.
 */
export function imageInspect(store: ImageStore, image: ImageRecord, legacy = false): Record<string, unknown> {
  const c = image.config;
  const dirs = image.layers.map((l) => store.layerStore.diffDir(l)).reverse();
  const data: Record<string, string> = {};
  if (dirs.length) data.UpperDir = dirs[0];
  if (dirs.length > 1) data.LowerDir = dirs.slice(1).join(':');
  return {
    Id: image.id,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Parent: image.parent,
    Comment: c.comment ?? '',
    Created: image.created,
    ...(legacy || c.container ? { Container: c.container ?? '', ContainerConfig: c.container_config ?? EMPTY_CONTAINER_CONFIG } : {}),
    DockerVersion: '',
    Author: c.author ?? '',
    Config: containerConfigView(c.config),
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: image.size,
    GraphDriver: { Data: data, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: image.lastTagTime ? { LastTagTime: image.lastTagTime } : { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

/** `docker history`: newest first; layer sizes from the layers, `<missing>` for entries of other images. */
export function imageHistory(store: ImageStore, image: ImageRecord): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  let layer = 0;
  for (const h of image.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const chainId = image.layers[layer++];
      size = chainId ? store.layerStore.get(chainId)?.size ?? 0 : 0;
    }
    items.unshift({ Comment: h.comment ?? '', Created: unixSeconds(h.created), CreatedBy: h.created_by ?? '', Id: '<missing>', Size: size, Tags: null });
  }
  // The items of this image, then of its parents while they exist here, get their IDs and tags.
  let current: ImageRecord | undefined = image;
  for (const item of items) {
    if (!current) break;
    item.Id = current.id;
    item.Tags = current.repoTags.length ? current.repoTags : null;
    current = current.parent && store.has(current.parent) ? store.get(current.parent) : undefined;
  }
  return items;
}
