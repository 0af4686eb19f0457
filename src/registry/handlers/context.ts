// What every handler receives.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '../content/registry.js';
import type { Hub } from '../hub/hub.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  registry: Registry;
  /** Path parameters: name, reference, digest, id. */
  params: Record<string, string>;
  query: URLSearchParams;
  user?: string;
  /** The hub, when `hub.enabled` (the default). */
  hub?: Hub;
}

export type Handler = (ctx: RequestContext) => Promise<void>;
