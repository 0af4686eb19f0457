// Blob uploads: bytes land in the repository's _uploads/<id>/data and only move into the blob store
// once the whole blob's digest matches. Every piece of an upload's state is in storage (its start
// time, its bytes, and while a request writes to it, its lock), so any registry sharing the storage
// may take any request of an upload. The running digest of an upload is a cache of this process: it
// is used when this process wrote the upload's last chunk (the lock makes "the size is the one I
// left" mean "the bytes are the ones I hashed"); otherwise the upload is hashed again from storage
// when it is closed. Node's sha256 state cannot be exported, so there is no hash state to persist.
import { randomUUID } from 'node:crypto';
import { consume } from '../../lib/stream-batches.js';
import { Digester, parseDigest, InvalidDigestError, type DigestAlgorithm } from '../../lib/oci-digest.js';
import { PathNotFoundError, RegistryError } from '../base/errors.js';
import { registryLog } from '../base/log.js';
import { bestEffort } from '../../lib/best-effort.js';
import { isNoSpace } from '../../lib/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import type { BlobStore } from './blobs.js';
import { layout } from './layout.js';
import { UploadLock } from './upload-lock.js';

const BATCH_BYTES = 1024 * 1024;
/** Running digests kept; the oldest go first (uploads finished by another replica, or abandoned). */
const MAX_DIGESTERS = 1000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ChunkOptions {
  /** First byte of the chunk (from Content-Range); must equal the upload's size. */
  start?: number;
  /** Bytes the chunk must hold (from Content-Range or Content-Length). */
  length?: number;
}

export function checkDigestParam(digest: string | null): string {
  if (!digest) throw new RegistryError('DIGEST_INVALID', 'digest parameter missing');
  try { return parseDigest(digest).digest; } catch (err) {
    if (err instanceof InvalidDigestError) throw new RegistryError('DIGEST_INVALID', err.message, { digest });
    throw err;
  }
}

export class UploadStore {
  private readonly digesters = new Map<string, Digester>();

  constructor(private readonly driver: StorageDriver, private readonly blobs: BlobStore) {}

  /** Opens an upload session; `algorithm` is the digest the client will name at the end. */
  async start(name: string, algorithm: DigestAlgorithm = 'sha256'): Promise<string> {
    const id = randomUUID();
    await this.driver.putContent(layout.uploadStartedAt(name, id), Buffer.from(new Date().toISOString()));
    this.remember(`${name}/${id}`, new Digester(algorithm));
    return id;
  }

  private checkId(name: string, id: string): void {
    if (!UUID_RE.test(id)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { name, id: id.slice(0, 100) });
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for an unknown (or finished, or cancelled) upload. */
  async size(name: string, id: string): Promise<number> {
    this.checkId(name, id);
    try {
      await this.driver.stat(layout.uploadStartedAt(name, id));
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { name, id });
      throw err;
    }
    try {
      return (await this.driver.stat(layout.uploadData(name, id))).size;
    } catch (err) {
      if (err instanceof PathNotFoundError) return 0;
      throw err;
    }
  }

  /** Appends a chunk; on any failure (range, length, aborted body) the upload keeps its previous bytes. */
  async append(name: string, id: string, body: NodeJS.ReadableStream, options: ChunkOptions = {}): Promise<number> {
    await this.size(name, id);
    return this.locked(name, id, () => this.appendLocked(name, id, body, options));
  }

  private async appendLocked(name: string, id: string, body: NodeJS.ReadableStream, options: ChunkOptions): Promise<number> {
    const key = `${name}/${id}`;
    const before = await this.size(name, id);
    if (options.start !== undefined && options.start !== before) {
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${options.start}, upload has ${before} bytes`)
        .withHeaders(rangeHeaders(name, id, before));
    }
    const known = this.digesters.get(key);
    const digester = known && known.size === before ? known.copy() : before === 0 ? new Digester('sha256') : undefined;
    const writer = await this.driver.writer(layout.uploadData(name, id), true);
    try {
      // Network reads are small (16-64 KiB): hand the driver 1 MiB at a time, reading on meanwhile.
      await consume(body, BATCH_BYTES, async (data) => {
        if (options.length !== undefined && writer.size + data.length - before > options.length) {
          throw new RegistryError('SIZE_INVALID', `chunk is longer than the ${options.length} bytes announced`);
        }
        await writer.write(data);
      }, (chunk) => digester?.update(chunk));
      if (options.length !== undefined && writer.size - before !== options.length) {
        throw new RegistryError('SIZE_INVALID', `chunk has ${writer.size - before} bytes, ${options.length} announced`);
      }
      await writer.commit();
    } catch (err) {
      await writer.cancel();
      // A full disk ends the upload (the client starts again, as docker push does after a 5xx).
      if (isNoSpace(err)) await bestEffort(registryLog, `ending upload ${id} of ${name}`, () => this.abandon(name, id));
      throw err;
    }
    if (digester) this.remember(key, digester);
    else this.digesters.delete(key);
    return writer.size;
  }

  /** Checks the whole upload against `digest` and moves it into the blob store, linked in `name`. */
  async finish(name: string, id: string, digest: string): Promise<{ digest: string; size: number }> {
    await this.size(name, id);
    return this.locked(name, id, async () => {
      const key = `${name}/${id}`;
      const { algorithm } = parseDigest(digest);
      const size = await this.size(name, id);
      let actual: string;
      const known = this.digesters.get(key);
      if (known && known.size === size && known.algorithm === algorithm) actual = known.digest();
      else actual = await this.rehash(name, id, algorithm, size);
      if (actual !== digest) {
        await this.remove(name, id);
        throw new RegistryError('DIGEST_INVALID', `upload has digest ${actual}, not ${digest}`, { digest });
      }
      if ((await this.blobs.size(digest)) === undefined) {
        if (size === 0) await this.driver.putContent(layout.blobData(digest), Buffer.alloc(0));
        else await this.driver.move(layout.uploadData(name, id), layout.blobData(digest));
      }
      await this.blobs.link(name, digest);
      await this.remove(name, id);
      return { digest, size };
    });
  }

  /** Runs `fn` holding the upload's lock (see upload-lock.ts); the lock goes with the upload when `fn` removed it. */
  private async locked<T>(name: string, id: string, fn: () => Promise<T>): Promise<T> {
    const lock = await UploadLock.acquire(this.driver, name, id);
    try {
      return await fn();
    } finally {
      await bestEffort(registryLog, `releasing the lock of upload ${id} of ${name}`, () => lock.release());
    }
  }

  private remember(key: string, digester: Digester): void {
    this.digesters.delete(key);
    this.digesters.set(key, digester);
    if (this.digesters.size > MAX_DIGESTERS) this.digesters.delete(this.digesters.keys().next().value!);
  }

  private async rehash(name: string, id: string, algorithm: DigestAlgorithm, size: number): Promise<string> {
    const digester = new Digester(algorithm);
    if (size > 0) {
      for await (const chunk of await this.driver.reader(layout.uploadData(name, id))) digester.update(chunk as Buffer);
    }
    return digester.digest();
  }

  async cancel(name: string, id: string): Promise<void> {
    await this.size(name, id);
    await this.locked(name, id, () => this.remove(name, id));
  }

  /** Removes an upload, and its repository when nothing but this upload had made it. */
  private async abandon(name: string, id: string): Promise<void> {
    await this.remove(name, id);
    const repository = layout.repository(name);
    const [only, ...others] = await this.driver.list(repository);
    if (others.length === 0 && only?.endsWith('/_uploads') && (await this.driver.list(only)).length === 0) {
      await this.driver.delete(repository);
    }
  }

  private async remove(name: string, id: string): Promise<void> {
    this.digesters.delete(`${name}/${id}`);
    try {
      await this.driver.delete(layout.uploadDir(name, id));
    } catch (err) {
      if (!(err instanceof PathNotFoundError)) throw err;
    }
  }
}

/** Location and Range of an upload in progress (Range is "0-<last byte>", "0-0" when empty as docker expects). */
export function rangeHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(0, size - 1)}`,
    'Docker-Upload-UUID': id,
  };
}
