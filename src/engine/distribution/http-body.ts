import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { readCapped } from '../../lib/read-capped.js';
import { RegistryContentError } from './errors.js';

/** Reads a whole (small) registry reply, refusing more than `max` bytes: manifests, configs, tokens, error replies. */
export function readCappedReply(body: Readable, max: number, what = 'reply'): Promise<Buffer> {
  return readCapped(body, max, () => new RegistryContentError(`${what} is larger than ${max} bytes`));
}

/**
 * Reads and drops the rest of a reply whose status said all (the connection is reused only once its
 * body is gone). A failure here changes no answer: it is logged, not thrown.
 */
export async function discardBody(log: WarningSink, response: Dispatcher.ResponseData, limit?: number): Promise<void> {
  await bestEffort(log, 'discarding the rest of a registry reply', response.body.dump(limit === undefined ? undefined : { limit }));
}
