// Blobs fetched from an upstream: the bytes go to the client that asked while they are written to an
// upload of the repository; the upload becomes the blob (linked in the repository) only once the whole
// digest matches, so neither a failed upstream nor a client that leaves halfway leaves half a blob.
// Pulls of one digest at one time share one fetch.
import { Readable } from 'node:stream';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { errorMessage } from '../../lib/errors.js';
import { parseDigest } from '../../lib/oci-digest.js';
import { RegistryError } from '../base/errors.js';
import type { Registry } from '../content/registry.js';
import { UpstreamError, type UpstreamClient } from './upstream-client.js';

/** Where the bytes of a fetch go as they arrive (the response of the client that started it). */
export interface BlobTap {
  /** Called once the upstream has answered, before the first byte. */
  start(size: number | undefined): void;
  /** Resolves when the chunk is written (or the client is gone: the fetch goes on without it). */
  write(chunk: Buffer): Promise<void>;
}

export class BlobPuller {
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(private readonly registry: Registry, private readonly log: WarningSink) {}

  /** How many fetches are running. */
  get running(): number {
    return this.inflight.size;
  }

  /**
   * Fetches `digest` of `remoteName` from the upstream into `name`, writing the bytes to `tap` as they
   * come. Resolves true once this call stored the blob; false when another fetch of the digest was
   * running, which this call waited for (the caller then finds the blob stored, or fetches again).
   * A client that leaves does not stop the fetch: the blob is stored whole, or not at all.
   */
  async pull(client: UpstreamClient, remoteName: string, name: string, digest: string, tap?: BlobTap): Promise<boolean> {
    const running = this.inflight.get(digest);
    if (running) {
      // Its own caller reports how it ended; this one only needs to know that it did.
      await Promise.allSettled([running]);
      return false;
    }
    const job = this.fetch(client, remoteName, name, digest, tap);
    this.inflight.set(digest, job);
    try {
      await job;
      return true;
    } finally {
      this.inflight.delete(digest);
    }
  }

  private async fetch(client: UpstreamClient, remoteName: string, name: string, digest: string, tap?: BlobTap): Promise<void> {
    const { body, size } = await client.blob(remoteName, digest);
    const { uploads } = this.registry;
    let id: string;
    try {
      id = await uploads.start(name, parseDigest(digest).algorithm);
    } catch (err) {
      body.destroy();
      throw err;
    }
    tap?.start(size);
    try {
      await uploads.append(name, id, Readable.from(tapped(body, tap, client.config.url, digest)), { length: size });
      await uploads.finish(name, id, digest);
    } catch (err) {
      body.destroy();
      if (err instanceof RegistryError && err.code === 'DIGEST_INVALID') {
        // finish() has removed the upload already.
        throw new UpstreamError(client.config.url, `${client.config.url} sent a blob that does not match ${digest}: ${err.message}`, 502);
      }
      await bestEffort(this.log, `removing the partial download of ${digest} into ${name}`, () => uploads.cancel(name, id));
      if (err instanceof RegistryError && err.code === 'SIZE_INVALID') {
        throw new UpstreamError(client.config.url, `${client.config.url} sent ${digest} cut short: ${err.message}`, 502);
      }
      throw err;
    }
  }
}

/** The upstream's bytes, written to `tap` on the way; a broken upstream stream is an UpstreamError. */
async function* tapped(body: Readable, tap: BlobTap | undefined, upstream: string, digest: string): AsyncGenerator<Buffer> {
  const chunks = body[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try { next = await chunks.next(); } catch (err) {
      throw new UpstreamError(upstream, `reading ${digest} from ${upstream}: ${errorMessage(err)}`, undefined, { cause: err });
    }
    if (next.done) return;
    if (tap) await tap.write(next.value);
    yield next.value;
  }
}
