// Downloads a blob to a temp file, digesting the bytes as they arrive (no second pass, never the whole
// blob in memory). A dropped connection, a short body or a 5xx is retried from where it stopped with a
// Range request (from scratch when the registry ignores Range); bytes that do not match the digest, or
// more bytes than the descriptor says, fail at once. Concurrent pulls of one blob share one download.
// The caller that starts a download may also read the bytes as they arrive (`onBody`), to unpack a
// layer while it downloads; that stream ends only once the whole blob matched its digest.
import { open, rm } from 'node:fs/promises';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Digester, parseDigest } from '../../lib/oci-digest.js';
import type { Descriptor } from '../../lib/oci-media-types.js';
import { UnknownError, noSpaceOr } from '../../lib/errors.js';
import { RegistryContentError, RegistryResponseError, RegistryUnreachableError } from './errors.js';
import type { RegistryClient } from './registry-client.js';

const MAX_ATTEMPTS = 5;
const FIRST_RETRY_DELAY_MS = 100;

/** A blob on disk, verified. `release()` removes the file once every user is done with it. */
export interface DownloadedBlob {
  path: string;
  release(): Promise<void>;
}

export interface DownloadOptions {
  onProgress?: (current: number, total: number) => void;
  /** Called when a retry begins, with why (for the daemon log). */
  onRetry?: (attempt: number, err: Error) => void;
  /**
   * Called at once, and only for the call that starts the download, with a stream of the blob's bytes
   * in order as they are written to the file. It ends only after the whole blob matched its digest
   * and fails when the download fails, or with LiveBodyLostError when the download had to start over
   * (read the file then). Its reader sets the pace; destroying it detaches it, the download goes on.
   */
  onBody?: (body: Readable) => void;
}

/** The live body of a download was abandoned (the registry ignored a Range request): use the file. */
export class LiveBodyLostError extends UnknownError {}

/** How much of a live body may wait for its reader (the download pauses beyond it). */
const LIVE_BODY_BUFFER = 1 << 20;

/** Blobs being downloaded now, by digest, so a second pull of the same layer joins the first. */
export class BlobDownloads {
  private readonly active = new Map<string, { promise: Promise<string>; users: number; listeners: Set<DownloadOptions> }>();

  constructor(private readonly tmpDir: string) {}

  async fetch(client: RegistryClient, desc: Descriptor, options: DownloadOptions = {}): Promise<DownloadedBlob> {
    let entry = this.active.get(desc.digest);
    if (!entry) {
      const listeners = new Set<DownloadOptions>();
      const path = join(this.tmpDir, `${parseDigest(desc.digest).hex}-${randomBytes(4).toString('hex')}`);
      const promise = downloadBlob(client, desc, path, {
        onProgress: (c, t) => { for (const l of listeners) l.onProgress?.(c, t); },
        onRetry: (a, e) => { for (const l of listeners) l.onRetry?.(a, e); },
        onBody: options.onBody,
      }).then(() => path, async (err) => {
        await rm(path, { force: true });
        throw noSpaceOr(err, path);
      });
      entry = { promise, users: 0, listeners };
      this.active.set(desc.digest, entry);
      // A failed download is forgotten at once, so the next pull starts afresh.
      promise.catch(() => { if (this.active.get(desc.digest) === entry) this.active.delete(desc.digest); });
    }
    const current = entry;
    current.users++;
    current.listeners.add(options);
    let path: string;
    try {
      path = await current.promise;
    } catch (err) {
      current.users--;
      throw err;
    } finally {
      current.listeners.delete(options);
    }
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        if (--current.users > 0) return;
        if (this.active.get(desc.digest) === current) this.active.delete(desc.digest);
        await rm(path, { force: true });
      },
    };
  }
}

/** Downloads `desc` into `path`, verifying size and digest; throws RegistryContentError on a mismatch. */
export async function downloadBlob(client: RegistryClient, desc: Descriptor, path: string, options: DownloadOptions = {}): Promise<void> {
  const { algorithm } = parseDigest(desc.digest);
  let digester = new Digester(algorithm);
  let live: PassThrough | undefined;
  if (options.onBody) {
    live = new PassThrough({ highWaterMark: LIVE_BODY_BUFFER });
    options.onBody(live);
  }
  const fh = await open(path, 'w', 0o600).catch((err) => {
    live?.destroy(err);
    throw err;
  });
  try {
    let offset = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const blob = await client.openBlob(desc.digest, offset);
        if (blob.from !== offset) {
          // The registry ignored Range: start over. A live reader has seen bytes that come again.
          live?.destroy(new LiveBodyLostError(`the registry ignored a Range request for ${desc.digest}`));
          live = undefined;
          offset = 0;
          digester = new Digester(algorithm);
          await fh.truncate(0);
        }
        for await (const chunk of blob.body) {
          const bytes = chunk as Buffer;
          if (offset + bytes.length > desc.size) {
            blob.body.destroy();
            throw new RegistryContentError(`filesystem layer verification failed for digest ${desc.digest}: more than the ${desc.size} bytes the manifest declares`);
          }
          digester.update(bytes);
          await fh.write(bytes, 0, bytes.length, offset);
          if (live && !live.destroyed && !live.write(bytes)) await drained(live);
          offset += bytes.length;
          options.onProgress?.(offset, desc.size);
        }
        if (offset < desc.size) throw new ShortBodyError(`unexpected EOF: got ${offset} of ${desc.size} bytes of ${desc.digest}`);
        break;
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if (attempt >= MAX_ATTEMPTS) throw new Error(`downloading ${desc.digest} failed ${attempt} times, last: ${(err as Error).message}`, { cause: err });
        options.onRetry?.(attempt, err as Error);
        await new Promise((r) => setTimeout(r, FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1)));
      }
    }
    if (digester.digest() !== desc.digest) {
      throw new RegistryContentError(`filesystem layer verification failed for digest ${desc.digest}`);
    }
    // Verified: the live reader may now finish (and register) while the file is synced.
    live?.end();
    await fh.sync();
  } catch (err) {
    live?.destroy(err as Error);
    throw err;
  } finally {
    await fh.close();
  }
}

/** Resolves when `stream` takes writes again, or is gone. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** The body ended before the size the manifest declares (worth another try; dockerd: 500 when it stays short). */
class ShortBodyError extends UnknownError {}

/** Worth another try: the connection broke, the body ended early, or the registry had a passing failure. */
function isRetryable(err: unknown): boolean {
  if (err instanceof RegistryContentError) return false;
  if (err instanceof ShortBodyError || err instanceof RegistryUnreachableError) return true;
  if (err instanceof RegistryResponseError) return err.status >= 500 || err.status === 429;
  // Errors of the body stream itself (socket closed, content-length mismatch).
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  return code.startsWith('UND_ERR') || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT';
}
