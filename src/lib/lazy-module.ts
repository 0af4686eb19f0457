import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded at its first use rather than at start: the daemon keeps packages it may
 * never need (HTTP client, tar, WebSocket, DNS codec) out of its idle memory. The returned function
 * yields the package's exports (the same object on every call).
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
