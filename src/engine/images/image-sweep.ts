// The image store's start-up sweep, for what the layer and content stores cannot judge alone: the
// scratch space of `docker load` and `docker save` runs a crash cut short, the kept layer archives
// (LayerOrigins' `.local.json`) of layers that are gone or whose blob is gone, temp files of origin
// writes, and content blobs that neither an image (its config) nor a kept archive names: a config
// written before its image record, an archive copied before its layer was registered. Run at open,
// when no pull, push, load, import, build or commit is in flight.
import { dirname, join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { isTempName } from '../../lib/atomic-file.js';
import type { WarningSink } from '../../lib/best-effort.js';
import { orIfMissing } from '../../lib/errors.js';
import { removeLeftover, sweepLeftovers } from '../store/leftovers.js';
import type { ContentStore } from '../store/content-store.js';
import type { LayerStore } from './layer-store.js';
import { LayerOrigins } from '../layers/layer-origins.js';
import { layerOriginsRoot } from '../layers/kept-archive.js';

/** What the sweep reads of the image store. */
export interface SweptImages {
  /** `<data-root>/image`. */
  readonly root: string;
  readonly content: ContentStore;
  readonly layerStore: LayerStore;
  /** IDs of the images the store loaded (their configs are content blobs). */
  imageIds(): string[];
}

/** Scratch directories of archive-load.ts and archive-save.ts in the image root. */
export function isArchiveScratch(name: string): boolean {
  return /^(load|save)-/.test(name);
}

/** Where the sweep says what it removed: leftovers of a crash as warnings, ordinary tidying as info. */
export interface SweepLog extends WarningSink {
  info(message: string): void;
}

export async function sweepImageLeftovers(images: SweptImages, log: SweepLog): Promise<void> {
  await sweepLeftovers(log, images.root, isArchiveScratch, 'scratch space of a docker load or save that did not finish');
  const originsRoot = layerOriginsRoot(dirname(images.root));
  for (const algorithm of await orIfMissing(readdir(originsRoot), [])) {
    await sweepLeftovers(log, join(originsRoot, algorithm), (name) => isTempName(name), 'a layer origin write that did not finish');
  }
  const named = new Set(images.imageIds());
  const diffIds = new Set(images.layerStore.all().map((l) => l.diffId));
  const origins = await LayerOrigins.open(originsRoot, log);
  for (const { diffId, blob } of await origins.allLocal()) {
    if (!diffIds.has(diffId)) {
      // The ordinary end of a kept archive: its layer went with the last image using it.
      log.info(`removing the kept archive ${blob.digest} of layer ${diffId}, which is gone`);
      await images.content.delete(blob.digest);
    } else if (!(await images.content.has(blob.digest))) {
      log.warn(`forgetting the kept archive ${blob.digest} of layer ${diffId}: its blob is gone`);
    } else {
      named.add(blob.digest);
      continue;
    }
    await origins.removeLocal(diffId);
  }
  for (const digest of await images.content.list()) {
    if (named.has(digest)) continue;
    await removeLeftover(log, images.content.path(digest), 'a content blob no image or layer names (left by an interrupted pull, import, load, build or commit)');
  }
}
