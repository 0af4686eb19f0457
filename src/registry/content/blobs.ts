// Blobs: content-addressed data shared by all repositories, visible in a repository through a link.
import type { Readable, Writable } from 'node:stream';
import { RegistryError, PathNotFoundError } from '../base/errors.js';
import { copyToWritable, type StorageDriver } from '../storage/driver.js';
import { layout } from './layout.js';

export class BlobStore {
  constructor(private readonly driver: StorageDriver) {}

  /** Size of the blob's data, or undefined when the registry does not hold it. */
  async size(digest: string): Promise<number | undefined> {
    try {
      return (await this.driver.stat(layout.blobData(digest))).size;
    } catch (err) {
      if (err instanceof PathNotFoundError) return undefined;
      throw err;
    }
  }

  /** Whether `name` links the blob as a layer/config, or as a manifest revision. */
  async linked(name: string, digest: string): Promise<boolean> {
    for (const path of [layout.layerLink(name, digest), layout.manifestRevisionLink(name, digest)]) {
      try { await this.driver.stat(path); return true; } catch (err) {
        if (!(err instanceof PathNotFoundError)) throw err;
      }
    }
    return false;
  }

  /** The blob's size as seen from `name`; BLOB_UNKNOWN when it is not there. */
  async statInRepository(name: string, digest: string): Promise<number> {
    if (await this.linked(name, digest)) {
      const size = await this.size(digest);
      if (size !== undefined) return size;
    }
    throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
  }

  async open(digest: string, offset = 0, length?: number): Promise<Readable> {
    try {
      return await this.driver.reader(layout.blobData(digest), offset, length);
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  /** A URL the storage serves the blob's bytes at, for a while, or undefined when the driver has none. */
  async redirectURL(digest: string): Promise<string | undefined> {
    return this.driver.redirectURL?.(layout.blobData(digest));
  }

  /** Writes `length` bytes of the blob from `offset` into `out` (which stays open). */
  async send(digest: string, out: Writable, offset: number, length: number): Promise<void> {
    try {
      await copyToWritable(this.driver, layout.blobData(digest), out, offset, length);
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  async link(name: string, digest: string): Promise<void> {
    await this.driver.putContent(layout.layerLink(name, digest), Buffer.from(digest));
  }

  /** Removes the blob from `name` (the data stays until garbage collection); BLOB_UNKNOWN if absent. */
  async unlink(name: string, digest: string): Promise<void> {
    try {
      await this.driver.delete(layout.layerLink(name, digest).replace(/\/link$/, ''));
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }
}
