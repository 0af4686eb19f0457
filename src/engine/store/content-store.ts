import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Digester, parseDigest } from '../../lib/oci-digest.js';
import { InvalidArgumentError, NotFoundError, noSpaceOr } from '../../lib/errors.js';
import { syncDir, unlinkIfExists, writeSynced } from '../../lib/atomic-file.js';
import type { WarningSink } from '../../lib/best-effort.js';
import { sweepLeftovers } from './leftovers.js';

/**
 * Blobs named by their digest: image configs now, manifests and compressed layers later.
 * `<root>/sha256/<hex>`. Writes go to `<root>/ingest/` first, are digested while streaming, fsynced and
 * renamed into place only when the digest is right, and the directory is fsynced so that the blob
 * survives a crash once `ingest` returned; `open` clears (and tells `log` of) leftovers of interrupted
 * writes. Blobs nobody names any more are the owner's to find (`list`) and delete.
 */
export class ContentStore {
  private constructor(readonly root: string) {}

  static async open(root: string, log: WarningSink): Promise<ContentStore> {
    await sweepLeftovers(log, join(root, 'ingest'), () => true, 'a content write that did not finish');
    await mkdir(join(root, 'ingest'), { recursive: true, mode: 0o700 });
    await mkdir(join(root, 'sha256'), { recursive: true, mode: 0o700 });
    return new ContentStore(root);
  }

  path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, algorithm, hex);
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`content ${digest}: not found`);
      throw err;
    }
  }

  /** Stores bytes; returns their sha256 digest. */
  async put(data: Uint8Array): Promise<string> {
    return this.ingest([data]);
  }

  /**
   * Streams bytes into the store. With `expected`, a digest mismatch stores nothing and throws
   * InvalidArgumentError. Returns the digest.
   */
  async ingest(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected?: string): Promise<string> {
    const digester = new Digester(expected ? parseDigest(expected).algorithm : 'sha256');
    const tmp = join(this.root, 'ingest', randomBytes(8).toString('hex'));
    await writeSynced(tmp, 'wx', 0o600, async (fh) => {
      for await (const chunk of source) {
        digester.update(chunk);
        await fh.write(chunk);
      }
    }).catch((err: unknown) => {
      throw noSpaceOr(err, tmp);
    });
    const digest = digester.digest();
    if (expected && digest !== expected) {
      await unlinkIfExists(tmp);
      throw new InvalidArgumentError(`digest mismatch: expected ${expected}, got ${digest}`);
    }
    const path = this.path(digest);
    try {
      await rename(tmp, path);
    } catch (err) {
      await unlinkIfExists(tmp);
      throw err;
    }
    // Without it a crash could lose the rename, and with it a blob an image record already names.
    await syncDir(dirname(path));
    return digest;
  }

  /** The digest of every blob in the store. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const algorithm of await readdir(this.root)) {
      if (algorithm === 'ingest') continue;
      for (const hex of await readdir(join(this.root, algorithm))) out.push(`${algorithm}:${hex}`);
    }
    return out;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}
