// Reading a pushed manifest: its media type, the descriptors it references, its subject.
import { isDigest } from '../../lib/oci-digest.js';
import {
  DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, OCI_INDEX, OCI_MANIFEST,
  INDEX_TYPES, MANIFEST_TYPES, type Descriptor,
} from '../../lib/oci-media-types.js';
import { RegistryError } from '../base/errors.js';

export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** Blobs the manifest needs in the repository (config, layers); foreign layers (with urls) left out. */
  blobs: Descriptor[];
  /** Manifests an index lists. */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
}

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message, detail);
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Descriptor;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw invalid(`${where}: not a descriptor`);
  if (typeof d.mediaType !== 'string' || !d.mediaType) throw invalid(`${where}: mediaType missing`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw invalid(`${where}: invalid digest`, { digest: d.digest });
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}: invalid size`);
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== 'string'))) throw invalid(`${where}: invalid urls`);
  return d;
}

function stripParams(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

/** Media type of a stored manifest, from its own mediaType field or its shape. */
export function sniffMediaType(body: unknown): string {
  const m = body as Record<string, unknown>;
  if (typeof m?.mediaType === 'string' && m.mediaType) return m.mediaType;
  if (m?.schemaVersion === 1) return m.signatures ? DOCKER_SCHEMA1_SIGNED : DOCKER_SCHEMA1;
  if (Array.isArray(m?.manifests)) return OCI_INDEX;
  return OCI_MANIFEST;
}

/** Parses and validates a manifest body; throws MANIFEST_INVALID. */
export function parseManifest(content: Buffer, contentType: string | undefined): ParsedManifest {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch (err) {
    throw invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('manifest is not a JSON object');
  if (body.schemaVersion === 1) throw new RegistryError('MANIFEST_INVALID', 'schema 1 manifests are not supported');
  if (body.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const header = stripParams(contentType);
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  if (body.mediaType !== undefined && typeof body.mediaType !== 'string') throw invalid('mediaType must be a string');
  if (declared && header && MANIFEST_TYPES.includes(header) && declared !== header) {
    throw invalid(`mediaType ${declared} does not match Content-Type ${header}`);
  }
  const mediaType = declared ?? (header && MANIFEST_TYPES.includes(header) ? header
    : Array.isArray(body.manifests) ? OCI_INDEX : OCI_MANIFEST);
  if (!MANIFEST_TYPES.includes(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`);
  const isIndex = INDEX_TYPES.includes(mediaType);
  if (body.artifactType !== undefined && typeof body.artifactType !== 'string') throw invalid('artifactType must be a string');
  if (body.annotations !== undefined && (typeof body.annotations !== 'object' || Array.isArray(body.annotations))) {
    throw invalid('annotations must be an object');
  }
  const parsed: ParsedManifest = {
    mediaType, isIndex, blobs: [], manifests: [],
    artifactType: body.artifactType as string | undefined,
    annotations: body.annotations as Record<string, string> | undefined,
  };
  if (body.subject !== undefined) parsed.subject = descriptor(body.subject, 'subject');
  if (isIndex) {
    if (!Array.isArray(body.manifests)) throw invalid('manifests must be an array');
    parsed.manifests = body.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    if (mediaType === DOCKER_MANIFEST_LIST && parsed.manifests.some((d) => !d.platform)) {
      throw invalid('manifest list entries need a platform');
    }
  } else {
    if (body.config === undefined) throw invalid('config descriptor missing');
    const config = descriptor(body.config, 'config');
    parsed.configMediaType = config.mediaType;
    if (body.layers !== undefined && !Array.isArray(body.layers)) throw invalid('layers must be an array');
    const layers = ((body.layers as unknown[]) ?? []).map((d, i) => descriptor(d, `layers[${i}]`));
    if (mediaType === DOCKER_MANIFEST && layers.length === 0) throw invalid('a Docker image manifest needs layers');
    parsed.blobs = [config, ...layers.filter((l) => !l.urls || l.urls.length === 0)];
  }
  return parsed;
}

/** The descriptor a referrers list holds for a manifest (OCI distribution spec, listing referrers). */
export function referrerDescriptor(parsed: ParsedManifest, digest: string, size: number): Descriptor {
  const d: Descriptor = { mediaType: parsed.mediaType, digest, size };
  const artifactType = parsed.artifactType || (parsed.isIndex ? undefined : parsed.configMediaType);
  if (artifactType) d.artifactType = artifactType;
  if (parsed.annotations) d.annotations = parsed.annotations;
  return d;
}
