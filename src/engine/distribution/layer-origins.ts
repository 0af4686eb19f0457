// Where each layer came from or went to: for a diffID (the uncompressed layer), the compressed blobs that
// hold it and the repositories that have them. Push uses it to skip blobs a registry already has, to
// mount them across repositories of the same registry, and to avoid compressing a layer again
// (dockerd's v2metadata service). `<root>/<algorithm>/<hex>.json`, written atomically.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-file.js';
import { parseDigest } from '../../lib/oci-digest.js';

export interface LayerOrigin {
  /** The compressed blob's digest. */
  digest: string;
  size: number;
  mediaType: string;
  /** "registry/path" of a repository that holds the blob. */
  repository: string;
}

/** Most origins kept per layer: enough to find a mount source in each registry one uses. */
const MAX_ORIGINS = 50;

export class LayerOrigins {
  private readonly locks = new Map<string, Promise<void>>();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<LayerOrigins> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new LayerOrigins(root);
  }

  private file(diffId: string): string {
    const { algorithm, hex } = parseDigest(diffId);
    return join(this.root, algorithm, `${hex}.json`);
  }

  async get(diffId: string): Promise<LayerOrigin[]> {
    return (await readJsonIfExists<LayerOrigin[]>(this.file(diffId)).catch(() => undefined)) ?? [];
  }

  /** Records that `origin.repository` holds the layer as `origin.digest` (most recent first). */
  async add(diffId: string, origin: LayerOrigin): Promise<void> {
    const previous = this.locks.get(diffId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const list = (await this.get(diffId)).filter((o) => !(o.digest === origin.digest && o.repository === origin.repository));
      await writeJsonAtomic(this.file(diffId), [origin, ...list].slice(0, MAX_ORIGINS));
    });
    const settled = next.catch(() => {});
    this.locks.set(diffId, settled);
    void settled.then(() => { if (this.locks.get(diffId) === settled) this.locks.delete(diffId); });
    await next;
  }
}
