import type { Readable } from 'node:stream';
import { readCapped } from '../../lib/read-capped.js';
import { RegistryContentError } from './errors.js';

/** Reads a whole (small) registry reply, refusing more than `max` bytes: manifests, configs, tokens, error replies. */
export function readCappedReply(body: Readable, max: number, what = 'reply'): Promise<Buffer> {
  return readCapped(body, max, () => new RegistryContentError(`${what} is larger than ${max} bytes`));
}
