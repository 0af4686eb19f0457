// The S3 driver: one object per file under an optional rootdirectory prefix, "directories" by prefix.
// A writer streams into a multipart upload in parts of `chunksize` bytes (only one part is ever held
// in memory); appending starts the new upload with a server-side copy of the existing object, so an
// interrupted or cancelled writer leaves the object as it was. Several registries may share a bucket.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, S3Client, UploadPartCommand, UploadPartCopyCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { readCapped } from '../../lib/read-capped.js';
import { InvalidOffsetError, PathNotFoundError } from '../base/errors.js';
import { checkPath, type FileInfo, type FileWriter, type StorageDriver } from './driver.js';
import { registryLog } from '../base/log.js';
import { bestEffort } from '../../lib/best-effort.js';

const NAME = 's3';
const MIN_PART = 5 * 1024 * 1024;
const MAX_COPY = 5 * 1024 * 1024 * 1024;

export interface S3Options {
  bucket: string;
  region: string;
  regionendpoint?: string;
  accesskey?: string;
  secretkey?: string;
  rootdirectory?: string;
  forcepathstyle?: boolean;
  secure?: boolean;
  chunksize?: number;
  storageclass?: string;
  /** Accept any certificate of the endpoint (a self-signed one). */
  skipverify?: boolean;
  /** Ask the storage to encrypt what it stores (SSE-S3, AES256). */
  encrypt?: boolean;
  /** Not a configuration key: how long a request waits for its answer to begin (tests shorten it). */
  answerTimeoutMs?: number;
}

/**
 * A request whose answer has not begun after this long is given up and sent again (the SDK makes three
 * attempts): a storage that stops answering (a full Ceph cluster leaves every request waiting) fails
 * the registry's request with the SDK's message after three attempts instead of holding it forever. The
 * upload of a part is not bounded: its body takes as long as the link needs.
 */
const ANSWER_TIMEOUT_MS = 60_000;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class S3Driver implements StorageDriver {
  readonly name = NAME;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly partSize: number;
  /** `encrypt`: the server-side encryption asked for on every object written. */
  readonly encryption: 'AES256' | undefined;

  constructor(private readonly options: S3Options) {
    if (!options.bucket) throw new Error('s3: bucket is required');
    if (!options.region) throw new Error('s3: region is required');
    this.bucket = options.bucket;
    this.prefix = (options.rootdirectory ?? '').replace(/^\/+|\/+$/g, '');
    this.encryption = options.encrypt === true ? 'AES256' : undefined;
    this.partSize = Math.max(MIN_PART, options.chunksize ?? 10 * 1024 * 1024);
    let endpoint = options.regionendpoint;
    if (endpoint && !/^https?:\/\//.test(endpoint)) endpoint = `${options.secure === false ? 'http' : 'https'}://${endpoint}`;
    this.client = new S3Client({
      region: options.region,
      endpoint,
      forcePathStyle: options.forcepathstyle ?? Boolean(endpoint),
      credentials: options.accesskey ? { accessKeyId: options.accesskey, secretAccessKey: options.secretkey ?? '' } : undefined,
      requestHandler: {
        requestTimeout: options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS,
        throwOnRequestTimeout: true,
        connectionTimeout: 10_000,
        ...(options.skipverify ? { httpsAgent: new HttpsAgent({ rejectUnauthorized: false, keepAlive: true }) } : {}),
      },
      // Large blobs are streamed; checksums of whole bodies would need them buffered.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** The object key for a driver path ("" for the root). */
  key(path: string, allowRoot = false): string {
    checkPath(path, NAME, allowRoot);
    const rel = path === '/' ? '' : path.slice(1);
    return this.prefix ? (rel ? `${this.prefix}/${rel}` : this.prefix) : rel;
  }

  private pathOf(key: string): string {
    const rel = this.prefix ? key.slice(this.prefix.length + 1) : key;
    return '/' + rel.replace(/\/$/, '');
  }

  async getContent(path: string, limit = 64 * 1024 * 1024): Promise<Buffer> {
    return readCapped(await this.reader(path), limit, () => new RangeError(`${path}: over the ${limit} byte limit`));
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({
      Bucket: this.bucket, Key: this.key(path), Body: content, ContentLength: content.length,
      ContentType: 'application/octet-stream', StorageClass: this.options.storageclass as never, ServerSideEncryption: this.encryption,
    }));
  }

  async putContentExclusive(path: string, content: Uint8Array): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: this.key(path), Body: content, ContentLength: content.length,
        ContentType: 'application/octet-stream', IfNoneMatch: '*',
      }));
      return true;
    } catch (err) {
      // 412: the key exists; 409: a concurrent conditional write to it is in progress (AWS).
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw err;
    }
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const key = this.key(path);
    if (offset < 0) throw new InvalidOffsetError(path, offset, NAME);
    const range = offset > 0 || length !== undefined
      ? `bytes=${offset}-${length !== undefined ? offset + length - 1 : ''}` : undefined;
    if (length === 0) { await this.stat(path); return Readable.from([]); }
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new PathNotFoundError(path, NAME);
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 416 || (err as Error).name === 'InvalidRange') {
        const info = await this.stat(path);
        if (offset === info.size) return Readable.from([]);
        throw new InvalidOffsetError(path, offset, NAME);
      }
      throw err;
    }
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const key = this.key(path);
    let existing = 0;
    if (append) {
      try { existing = (await this.stat(path)).size; } catch (err) {
        if (!(err instanceof PathNotFoundError)) throw err;
      }
    }
    return new S3Writer(this, key, existing, this.partSize, this.options.storageclass);
  }

  async stat(path: string): Promise<FileInfo> {
    const key = this.key(path, true);
    if (key !== '') {
      try {
        const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return { path, size: head.ContentLength ?? 0, modTime: head.LastModified ?? new Date(0), isDir: false };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const list = await this.client.send(new ListObjectsV2Command({
      Bucket: this.bucket, Prefix: key ? `${key}/` : '', MaxKeys: 1,
    }));
    if ((list.KeyCount ?? 0) > 0 || path === '/') return { path, size: 0, modTime: new Date(0), isDir: true };
    throw new PathNotFoundError(path, NAME);
  }

  async list(path: string): Promise<string[]> {
    const key = this.key(path, true);
    const prefix = key ? `${key}/` : '';
    const out = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({
        Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token,
      }));
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.add(this.pathOf(p.Prefix));
      for (const o of page.Contents ?? []) if (o.Key && o.Key !== prefix) out.add(this.pathOf(o.Key));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (out.size === 0 && path !== '/') throw new PathNotFoundError(path, NAME);
    return [...out].sort();
  }

  async move(source: string, dest: string): Promise<void> {
    const info = await this.stat(source);
    if (info.isDir) throw new PathNotFoundError(source, NAME);
    const from = this.key(source);
    const to = this.key(dest);
    if (info.size <= MAX_COPY) {
      await this.client.send(new CopyObjectCommand({
        Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}`,
        StorageClass: this.options.storageclass as never, ServerSideEncryption: this.encryption,
      }));
    } else {
      const w = new S3Writer(this, to, 0, this.partSize, this.options.storageclass);
      await w.copyFrom(from, info.size);
      await w.commit();
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from }));
  }

  async delete(path: string): Promise<void> {
    const key = this.key(path);
    const keys: string[] = [];
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      keys.push(key);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${key}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (keys.length === 0) throw new PathNotFoundError(path, NAME);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (batch.length === 1) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: batch[0] }));
      } else {
        await this.client.send(new DeleteObjectsCommand({
          Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }));
      }
    }
  }

  async deleteFiles(paths: string[]): Promise<void> {
    const keys = paths.map((p) => this.key(p));
    for (let i = 0; i < keys.length; i += 1000) {
      const out = await this.client.send(new DeleteObjectsCommand({
        Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) throw new Error(`s3: deleting ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ''} (and ${failed.length - 1} more)`);
    }
  }

  async walk(root: string, fn: (info: FileInfo) => Promise<void> | void): Promise<void> {
    const key = this.key(root, true);
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key ? `${key}/` : '', ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key && !o.Key.endsWith('/')) await fn({ path: this.pathOf(o.Key), size: o.Size ?? 0, modTime: o.LastModified ?? new Date(0), isDir: false });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** A presigned GET of the object, valid for 20 minutes (distribution's S3 driver gives the same). */
  redirectURL(path: string): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) }), { expiresIn: 20 * 60 });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

class S3Writer implements FileWriter {
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private buffer: Buffer[] = [];
  private buffered = 0;
  private total: number;
  private done = false;
  private pendingExisting: number;

  constructor(private readonly driver: S3Driver, private readonly key: string, existing: number,
    private readonly partSize: number, private readonly storageClass?: string) {
    this.total = existing;
    this.pendingExisting = existing;
  }

  get size(): number { return this.total; }

  private async start(): Promise<string> {
    if (!this.uploadId) {
      const out = await this.driver.client.send(new CreateMultipartUploadCommand({
        Bucket: this.driver.bucket, Key: this.key, ContentType: 'application/octet-stream',
        StorageClass: this.storageClass as never, ServerSideEncryption: this.driver.encryption,
      }));
      this.uploadId = out.UploadId!;
    }
    return this.uploadId;
  }

  /** Brings the bytes already at the key into this upload: a server-side copy, or read back if small. */
  private async takeExisting(): Promise<void> {
    if (this.pendingExisting === 0) return;
    const size = this.pendingExisting;
    this.pendingExisting = 0;
    if (size >= MIN_PART) {
      await this.copyFrom(this.key, size);
    } else {
      const data = await this.driver.getContent(this.driverPath(), MIN_PART);
      this.buffer.unshift(data);
      this.buffered += data.length;
    }
  }

  private driverPath(): string {
    const prefix = this.driver.prefix;
    return '/' + (prefix ? this.key.slice(prefix.length + 1) : this.key);
  }

  /** Appends a copy of `size` bytes of `sourceKey` as parts (each part at most 5 GiB). */
  async copyFrom(sourceKey: string, size: number): Promise<void> {
    const uploadId = await this.start();
    const step = 1024 * 1024 * 1024;
    for (let off = 0; off < size; off += step) {
      const end = Math.min(size, off + step) - 1;
      const PartNumber = this.parts.length + 1;
      const out = await this.driver.client.send(new UploadPartCopyCommand({
        Bucket: this.driver.bucket, Key: this.key, UploadId: uploadId, PartNumber,
        CopySource: `${this.driver.bucket}/${encodeURIComponent(sourceKey).replace(/%2F/g, '/')}`,
        CopySourceRange: `bytes=${off}-${end}`,
      }));
      this.parts.push({ PartNumber, ETag: out.CopyPartResult?.ETag });
    }
    if (sourceKey !== this.key) this.total += size;
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const body = Buffer.concat(this.buffer, this.buffered);
    this.buffer = [];
    this.buffered = 0;
    const uploadId = await this.start();
    const PartNumber = this.parts.length + 1;
    const out = await this.driver.client.send(new UploadPartCommand({
      Bucket: this.driver.bucket, Key: this.key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length,
    }), { requestTimeout: 0 });
    this.parts.push({ PartNumber, ETag: out.ETag });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error('write after commit or cancel');
    await this.takeExisting();
    this.buffer.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
    this.total += chunk.length;
    if (this.buffered >= this.partSize) await this.flush();
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('writer already closed');
    this.done = true;
    try {
      if (this.pendingExisting > 0 && this.buffered === 0 && !this.uploadId) return; // nothing appended
      await this.takeExisting();
      if (!this.uploadId) {
        const body = Buffer.concat(this.buffer, this.buffered);
        await this.driver.client.send(new PutObjectCommand({
          Bucket: this.driver.bucket, Key: this.key, Body: body, ContentLength: body.length,
          ContentType: 'application/octet-stream', StorageClass: this.storageClass as never, ServerSideEncryption: this.driver.encryption,
        }));
        return;
      }
      await this.flush();
      await this.driver.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.driver.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts },
      }));
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  private async abort(): Promise<void> {
    this.buffer = [];
    if (this.uploadId) {
      // A multipart upload left open costs storage until the bucket's lifecycle rule ends it: say so.
      await bestEffort(registryLog, `aborting multipart upload of ${this.key}`, this.driver.client.send(new AbortMultipartUploadCommand({
        Bucket: this.driver.bucket, Key: this.key, UploadId: this.uploadId,
      })));
      this.uploadId = undefined;
    }
  }

  async cancel(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.abort();
  }
}
