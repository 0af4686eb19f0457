// One registry: its configuration, storage driver and the stores over it. Shared by the HTTP server
// and garbage collection.
import { BlobStore } from './blobs.js';
import { ManifestStore } from './manifests.js';
import { UploadStore } from './uploads.js';
import type { RegistryConfig } from '../base/config.js';
import type { StorageDriver } from '../storage/driver.js';
import { FilesystemDriver } from '../storage/filesystem.js';
import type { S3Options } from '../storage/s3.js';

export class Registry {
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;

  constructor(readonly config: RegistryConfig, readonly driver: StorageDriver) {
    this.blobs = new BlobStore(driver);
    this.uploads = new UploadStore(driver, this.blobs);
    this.manifests = new ManifestStore(driver, this.blobs);
  }
}

/** The configured driver; the S3 SDK is loaded only when S3 is configured (it is large). */
export async function createDriver(config: RegistryConfig): Promise<StorageDriver> {
  if (config.storage.driver === 's3') {
    const s3 = config.storage.s3;
    const { S3Driver } = await import('../storage/s3.js');
    return new S3Driver({
      ...(s3 as unknown as S3Options),
      chunksize: s3.chunksize !== undefined ? Number(s3.chunksize) : undefined,
    });
  }
  return new FilesystemDriver(config.storage.filesystem);
}
