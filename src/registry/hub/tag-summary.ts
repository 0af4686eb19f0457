// What the hub shows of a tag, read from storage: its size (config plus layers; for an index, its
// largest image) and platforms (an image's config, or each entry of an index). Used when a push
// arrives and by `berth-registry hub reindex`.
import { INDEX_TYPES, type Descriptor } from '../../lib/oci-media-types.js';
import { RegistryError } from '../base/errors.js';
import type { Registry } from '../content/registry.js';
import { layout } from '../content/layout.js';
import { MAX_MANIFEST_BYTES } from '../content/manifests.js';
import type { HubPlatform, TagRecord } from './hub-store.js';

interface ImageManifest { config?: Descriptor; layers?: Descriptor[] }
interface IndexManifest { manifests?: Descriptor[] }

function imageSize(manifest: ImageManifest): number {
  return (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((sum, l) => sum + (l.size ?? 0), 0);
}

async function configPlatform(registry: Registry, config: Descriptor | undefined): Promise<HubPlatform[]> {
  if (!config?.digest) return [];
  const body = JSON.parse((await registry.driver.getContent(layout.blobData(config.digest), MAX_MANIFEST_BYTES)).toString('utf8')) as
    { os?: unknown; architecture?: unknown; variant?: unknown };
  // Artifacts (signatures, SBOMs) have configs without a platform.
  if (typeof body.os !== 'string' || typeof body.architecture !== 'string') return [];
  return [{ os: body.os, architecture: body.architecture, ...(typeof body.variant === 'string' ? { variant: body.variant } : {}) }];
}

/** The summary of the manifest `digest` in repository `name`, under tag `tag`. */
export async function summarizeTag(registry: Registry, name: string, tag: string, digest: string): Promise<TagRecord> {
  const stored = await registry.manifests.get(name, digest);
  const body = JSON.parse(stored.content.toString('utf8')) as ImageManifest & IndexManifest;
  if (!INDEX_TYPES.includes(stored.mediaType)) {
    return { name: tag, digest, size: imageSize(body), media_type: stored.mediaType, platforms: await configPlatform(registry, body.config) };
  }
  const platforms: HubPlatform[] = [];
  let size = 0;
  for (const entry of body.manifests ?? []) {
    const p = entry.platform;
    // BuildKit's attestations are listed as unknown/unknown: not a platform anyone runs.
    if (!p || p.os === 'unknown') continue;
    let entrySize = entry.size;
    try {
      entrySize = imageSize(JSON.parse((await registry.manifests.get(name, entry.digest)).content.toString('utf8')) as ImageManifest);
    } catch (err) {
      // An index may list manifests this repository does not hold (pushed elsewhere): its descriptor's size stands.
      if (!(err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN')) throw err;
    }
    size = Math.max(size, entrySize);
    platforms.push({ os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}), digest: entry.digest, size: entrySize });
  }
  return { name: tag, digest, size, media_type: stored.mediaType, platforms };
}
