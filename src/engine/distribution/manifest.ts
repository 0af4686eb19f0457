// Manifests as pull meets them: Docker v2 schema 2 and OCI image manifests, Docker manifest lists and
// OCI indexes (resolved to the host platform). Everything a registry sends is checked before use:
// digests against the bytes, media types against what we can run, shapes against the spec.
import { digestOf, parseDigest } from '../../lib/oci-digest.js';
import {
  DOCKER_CONFIG, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, OCI_CONFIG, OCI_INDEX,
  OCI_MANIFEST, type Descriptor,
} from '../../lib/oci-media-types.js';
import { RegistryContentError } from './errors.js';
import type { FetchedManifest } from './registry-client.js';

/** What pull asks registries for, in order of preference. */
export const ACCEPTED_MANIFEST_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

/** Layer media types we can unpack; the bytes themselves say which compression they use. */
export const LAYER_TYPES: readonly string[] = [
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
];
const CONFIG_TYPES: readonly string[] = [DOCKER_CONFIG, OCI_CONFIG];

export interface ImageManifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface IndexManifest {
  mediaType: string;
  manifests: Descriptor[];
}

export type ParsedManifest =
  | { kind: 'image'; digest: string; bytes: Buffer; manifest: ImageManifest }
  | { kind: 'index'; digest: string; bytes: Buffer; manifest: IndexManifest };

/**
 * Checks and parses a fetched manifest. `expectedDigest` (when fetched by digest) must match the bytes;
 * so must the registry's Docker-Content-Digest header when it sent one.
 */
export function parseManifest(fetched: FetchedManifest, expectedDigest?: string): ParsedManifest {
  const algorithm = expectedDigest ? parseDigest(expectedDigest).algorithm : 'sha256';
  const digest = digestOf(fetched.bytes, algorithm);
  if (expectedDigest && digest !== expectedDigest) {
    throw new RegistryContentError(`manifest verification failed for digest ${expectedDigest}: the registry sent content with digest ${digest}`);
  }
  if (!expectedDigest && fetched.headerDigest && isSha256(fetched.headerDigest) && fetched.headerDigest !== digest) {
    throw new RegistryContentError(`manifest verification failed: the registry says ${fetched.headerDigest}, the content is ${digest}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fetched.bytes.toString('utf8'));
  } catch {
    throw new RegistryContentError('the registry sent a manifest that is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RegistryContentError('the registry sent a manifest that is not a JSON object');
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  // The Content-Type header is often generic (application/json, octet-stream); the body's own field wins when present.
  let mediaType = declared ?? fetched.mediaType;
  if (json.schemaVersion === 1 || mediaType === DOCKER_SCHEMA1 || mediaType === DOCKER_SCHEMA1_SIGNED) {
    throw new RegistryContentError('Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported: push the image again with a current client');
  }
  if (!declared && !isKnown(mediaType)) mediaType = Array.isArray(json.manifests) ? OCI_INDEX : OCI_MANIFEST;
  if (mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST) {
    if (!Array.isArray(json.manifests)) throw new RegistryContentError('the registry sent an index without a manifests list');
    return { kind: 'index', digest, bytes: fetched.bytes, manifest: { mediaType, manifests: json.manifests.map((d, i) => checkDescriptor(d, `manifests[${i}]`)) } };
  }
  if (mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST) {
    if (json.schemaVersion !== 2) throw new RegistryContentError(`unsupported manifest schemaVersion ${JSON.stringify(json.schemaVersion)}`);
    const config = checkDescriptor(json.config, 'config');
    if (!CONFIG_TYPES.includes(config.mediaType)) {
      throw new RegistryContentError(`unsupported config media type ${config.mediaType}: this is not a container image`);
    }
    if (!Array.isArray(json.layers)) throw new RegistryContentError('the registry sent a manifest without a layers list');
    const layers = json.layers.map((d, i) => checkDescriptor(d, `layers[${i}]`));
    for (const layer of layers) {
      if (!LAYER_TYPES.includes(layer.mediaType)) throw new RegistryContentError(`unsupported layer media type ${layer.mediaType}`);
    }
    return { kind: 'image', digest, bytes: fetched.bytes, manifest: { mediaType, config, layers } };
  }
  throw new RegistryContentError(`unsupported manifest media type ${mediaType || '(none)'}`);
}

/** Picks the entry of an index for this host (linux/<arch>[/variant]), skipping attestations. */
export function selectPlatform(index: IndexManifest, platform: { os: string; architecture: string; variant?: string }): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform
    && d.platform.os === platform.os && d.platform.architecture === platform.architecture
    && (d.mediaType === OCI_MANIFEST || d.mediaType === DOCKER_MANIFEST || d.mediaType === undefined));
  const exact = candidates.find((d) => (d.platform!.variant ?? '') === (platform.variant ?? ''));
  const chosen = exact ?? candidates[0];
  if (!chosen) {
    const wanted = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    throw new RegistryContentError(`no matching manifest for ${wanted} in the manifest list entries`);
  }
  return chosen;
}

function checkDescriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw new RegistryContentError(`manifest ${where} is missing or not an object`);
  const d = value as Partial<Descriptor>;
  if (typeof d.digest !== 'string') throw new RegistryContentError(`manifest ${where} has no digest`);
  try {
    parseDigest(d.digest);
  } catch (err) {
    throw new RegistryContentError(`manifest ${where}: ${(err as Error).message}`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new RegistryContentError(`manifest ${where} has no valid size`);
  if (typeof d.mediaType !== 'string') throw new RegistryContentError(`manifest ${where} has no media type`);
  return d as Descriptor;
}

function isKnown(mediaType: string): boolean {
  return [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].includes(mediaType);
}

function isSha256(digest: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(digest);
}
