// Where everything lives in the storage driver: the same layout as distribution's registry, so a
// registry:2 data directory can be served as it is.
import { parseDigest } from '../../lib/oci-digest.js';

const ROOT = '/docker/registry/v2';

export const layout = {
  root: ROOT,
  blobsRoot: `${ROOT}/blobs`,
  repositoriesRoot: `${ROOT}/repositories`,

  blobData(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${ROOT}/blobs/${algorithm}/${hex.slice(0, 2)}/${hex}/data`;
  },
  blobDir(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${ROOT}/blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
  },
  repository(name: string): string {
    return `${ROOT}/repositories/${name}`;
  },
  layerLink(name: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${ROOT}/repositories/${name}/_layers/${algorithm}/${hex}/link`;
  },
  layersDir(name: string): string {
    return `${ROOT}/repositories/${name}/_layers`;
  },
  manifestRevisionLink(name: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${ROOT}/repositories/${name}/_manifests/revisions/${algorithm}/${hex}/link`;
  },
  manifestRevisionDir(name: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${ROOT}/repositories/${name}/_manifests/revisions/${algorithm}/${hex}`;
  },
  manifestRevisionsDir(name: string): string {
    return `${ROOT}/repositories/${name}/_manifests/revisions`;
  },
  tagsDir(name: string): string {
    return `${ROOT}/repositories/${name}/_manifests/tags`;
  },
  tagDir(name: string, tag: string): string {
    return `${ROOT}/repositories/${name}/_manifests/tags/${tag}`;
  },
  tagCurrentLink(name: string, tag: string): string {
    return `${ROOT}/repositories/${name}/_manifests/tags/${tag}/current/link`;
  },
  tagIndexLink(name: string, tag: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${ROOT}/repositories/${name}/_manifests/tags/${tag}/index/${algorithm}/${hex}/link`;
  },
  /** Manifests whose subject is `subject`: one link per referrer. */
  referrersDir(name: string, subject: string): string {
    const { algorithm, hex } = parseDigest(subject);
    return `${ROOT}/repositories/${name}/_referrers/${algorithm}/${hex}`;
  },
  referrerLink(name: string, subject: string, digest: string): string {
    const s = parseDigest(subject);
    const d = parseDigest(digest);
    return `${ROOT}/repositories/${name}/_referrers/${s.algorithm}/${s.hex}/${d.algorithm}/${d.hex}/link`;
  },
  uploadsDir(name: string): string {
    return `${ROOT}/repositories/${name}/_uploads`;
  },
  uploadData(name: string, id: string): string {
    return `${ROOT}/repositories/${name}/_uploads/${id}/data`;
  },
  uploadStartedAt(name: string, id: string): string {
    return `${ROOT}/repositories/${name}/_uploads/${id}/startedat`;
  },
  /** Held while a request writes to or closes the upload (content/upload-lock.ts). */
  uploadLock(name: string, id: string): string {
    return `${ROOT}/repositories/${name}/_uploads/${id}/lock`;
  },
  uploadDir(name: string, id: string): string {
    return `${ROOT}/repositories/${name}/_uploads/${id}`;
  },
};

/** Reads the digest a link file holds ("sha256:..."), validated. */
export function parseLink(content: Buffer): string {
  return parseDigest(content.toString('utf8').trim()).digest;
}
