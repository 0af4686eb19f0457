import type { Readable } from 'node:stream';
import type { WarningSink } from '../../lib/best-effort.js';
import type { ImageReference } from '../../lib/image-reference.js';
import { applyChanges } from './config-changes.js';
import { hostPlatform, type ImageConfig } from './image-config.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { keepLayerArchive } from '../layers/kept-archive.js';

export interface ImportOptions {
  /** The root filesystem as a tar (plain or gzip). */
  source: Readable | AsyncIterable<Buffer>;
  /** Tag the new image gets, if any. */
  ref?: ImageReference;
  /** Dockerfile instructions (`CMD ["sh"]`, `EXPOSE 80`...) applied to the new image's config. */
  changes?: string[];
  /** Hears of failures that change no answer (a kept copy of the archive that could not be dropped). */
  log: WarningSink;
  /** History comment; Docker's default names the source. */
  message?: string;
  /** Where the tar came from, for the default comment (`-` for the request body). */
  sourceName?: string;
}

/**
 * `docker import`: one layer from a tar, a config from `changes`, an optional tag. The changes are
 * checked before the tar is read, so a bad change costs nothing.
 */
export async function importImage(store: ImageStore, options: ImportOptions): Promise<ImageRecord> {
  const runtimeConfig = applyChanges({}, options.changes ?? []);
  // Keep the archive itself, so that a push sends bytes that match the layer's diffID.
  const archive = keepLayerArchive(store, options.source, options.log);
  let layer;
  try {
    layer = await store.registerLayer(archive.source);
    await archive.commit(layer.diffId);
  } catch (err) {
    await archive.discard();
    throw err;
  }
  const created = new Date().toISOString();
  const comment = options.message || `Imported from ${options.sourceName ?? '-'}`;
  const config: ImageConfig = {
    ...hostPlatform(),
    comment,
    config: runtimeConfig,
    created,
    history: [{ created, comment }],
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  };
  const image = await store.addImage(config);
  if (options.ref) await store.tag(image.id, options.ref);
  store.publishEvent('import', image.id);
  return store.get(image.id);
}
