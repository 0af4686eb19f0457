import type { Readable } from 'node:stream';
import { RegistryContentError } from './errors.js';

/** Reads a whole (small) body, refusing more than `max` bytes: manifests, configs, tokens, error replies. */
export async function readCapped(body: Readable, max: number, what = 'reply'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      body.destroy();
      throw new RegistryContentError(`${what} is larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
