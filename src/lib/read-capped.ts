// Whole bodies read into memory (JSON requests, manifests, tokens, error replies) with a size cap, so
// that a peer cannot make Berth buffer more than the caller allows. Each caller words its own refusal.
import type { IncomingMessage } from 'node:http';

/**
 * Reads `stream` to its end, at most `maxBytes` bytes. Past the cap the error `onTooLarge` returns is
 * thrown at once: nothing more is buffered, and leaving the loop destroys a Readable stream.
 */
export async function readCapped(stream: AsyncIterable<Buffer>, maxBytes: number, onTooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) throw onTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** A request's body with readCapped, refused before a byte is read when its Content-Length is over the cap. */
export async function readCappedRequest(req: IncomingMessage, maxBytes: number, onTooLarge: () => Error): Promise<Buffer> {
  if (Number(req.headers['content-length']) > maxBytes) throw onTooLarge();
  return readCapped(req, maxBytes, onTooLarge);
}
