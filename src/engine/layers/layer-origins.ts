// Where each layer came from or went to: for a diffID (the uncompressed layer), the compressed blobs that
// hold it and the repositories that have them. Push uses it to skip blobs a registry already has, to
// mount them across repositories of the same registry, and to avoid compressing a layer again
// (dockerd's v2metadata service). `<root>/<algorithm>/<hex>.json`, written atomically; beside it
// `<hex>.local.json` names the compressed blob kept in the content store, when there is one.
import { join } from 'node:path';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-file.js';
import { KeyedSerialQueue } from '../../lib/keyed-serial-queue.js';
import { parseDigest } from '../../lib/oci-digest.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { orIfMissing } from '../../lib/errors.js';

export interface LayerOrigin {
  /** The compressed blob's digest. */
  digest: string;
  size: number;
  mediaType: string;
  /** "registry/path" of a repository that holds the blob. */
  repository: string;
}

/** A layer's compressed form held locally: push sends these exact bytes, so the digest stays the same. */
export interface LocalLayerBlob {
  digest: string;
  size: number;
  mediaType: string;
}

/** Most origins kept per layer: enough to find a mount source in each registry one uses. */
const MAX_ORIGINS = 50;

export class LayerOrigins {
  /** Each layer's origins file is read, changed and written by one add at a time. */
  private readonly updates = new KeyedSerialQueue();

  /** These are hints: one that cannot be read is told to `log` and counts as absent. */
  private constructor(readonly root: string, private readonly log: WarningSink) {}

  static async open(root: string, log: WarningSink): Promise<LayerOrigins> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new LayerOrigins(root, log);
  }

  private file(diffId: string): string {
    const { algorithm, hex } = parseDigest(diffId);
    return join(this.root, algorithm, `${hex}.json`);
  }

  /** The compressed blob of this layer kept in the engine's content store, if one was kept. */
  async local(diffId: string): Promise<LocalLayerBlob | undefined> {
    return bestEffort(this.log, `reading the kept blob of layer ${diffId}`, () => readJsonIfExists<LocalLayerBlob>(this.localFile(diffId)));
  }

  async setLocal(diffId: string, blob: LocalLayerBlob): Promise<void> {
    await writeJsonAtomic(this.localFile(diffId), blob);
  }

  async removeLocal(diffId: string): Promise<void> {
    await rm(this.localFile(diffId), { force: true });
  }

  /** Every kept blob, with the layer it holds. */
  async allLocal(): Promise<{ diffId: string; blob: LocalLayerBlob }[]> {
    const out: { diffId: string; blob: LocalLayerBlob }[] = [];
    for (const algorithm of await orIfMissing(readdir(this.root), [])) {
      for (const name of await orIfMissing(readdir(join(this.root, algorithm)), [])) {
        if (!name.endsWith('.local.json')) continue;
        const diffId = `${algorithm}:${name.slice(0, -'.local.json'.length)}`;
        const blob = await this.local(diffId);
        if (blob) out.push({ diffId, blob });
      }
    }
    return out;
  }

  private localFile(diffId: string): string {
    const { algorithm, hex } = parseDigest(diffId);
    return join(this.root, algorithm, `${hex}.local.json`);
  }

  async get(diffId: string): Promise<LayerOrigin[]> {
    return (await bestEffort(this.log, `reading the origins of layer ${diffId}`, () => readJsonIfExists<LayerOrigin[]>(this.file(diffId)))) ?? [];
  }

  /** Records that `origin.repository` holds the layer as `origin.digest` (most recent first). */
  async add(diffId: string, origin: LayerOrigin): Promise<void> {
    await this.updates.run(diffId, async () => {
      const list = (await this.get(diffId)).filter((o) => !(o.digest === origin.digest && o.repository === origin.repository));
      await writeJsonAtomic(this.file(diffId), [origin, ...list].slice(0, MAX_ORIGINS));
    });
  }
}
