// Choosing a registry endpoint (mirrors, then HTTPS, then HTTP for insecure registries) and wording
// refusals as dockerd words them, since users and scripts match on those messages.
import { NotFoundError } from '../../lib/errors.js';
import { familiarName, referenceString, type ImageReference } from '../../lib/image-reference.js';
import { hasCredentials, type AuthConfig } from './credentials.js';
import type { Distribution } from './distribution.js';
import { RegistryResponseError, RegistryUnreachableError } from './errors.js';
import { RegistryClient } from './registry-client.js';

/**
 * Runs `use` with a client for the first endpoint that works. An endpoint that cannot be reached, or a
 * mirror that fails in any way, passes the turn to the next; the last error is the one reported.
 */
export async function connectRegistry<T>(
  dist: Distribution, ref: ImageReference, credentials: AuthConfig, actions: 'pull' | 'pull,push',
  use: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const endpoints = await dist.hosts.endpoints(ref.domain, actions !== 'pull');
  let lastError: unknown;
  for (const [i, endpoint] of endpoints.entries()) {
    const last = i === endpoints.length - 1;
    try {
      // Credentials are for the registry itself, never for a mirror (another party).
      const client = await RegistryClient.connect(dist.hosts, endpoint, ref.path, endpoint.mirror ? {} : credentials, actions);
      return await use(client);
    } catch (err) {
      lastError = err;
      if (last || !(endpoint.mirror || err instanceof RegistryUnreachableError)) break;
    }
  }
  throw lastError;
}

/** dockerd's wording for a failure to find or fetch what a reference names. */
export function describePullError(err: unknown, ref: ImageReference, credentials: AuthConfig = {}): unknown {
  if (!(err instanceof RegistryResponseError)) return err;
  if (err.hasCode('MANIFEST_UNKNOWN') || (err.status === 404 && !err.errors.length)) {
    return new NotFoundError(`manifest for ${referenceString(ref)} not found: ${err.message}`, { cause: err });
  }
  if (err.hasCode('NAME_UNKNOWN')) return new NotFoundError(`repository ${referenceString({ ...ref, tag: undefined, digest: undefined })} not found: ${err.message}`, { cause: err });
  // dockerd counts a denied pull as not found (404): the repository may not exist at all.
  if (err.hasCode('DENIED')) {
    return new NotFoundError(
      `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`, { cause: err });
  }
  if (err.status === 401 && !hasCredentials(credentials)) {
    const verb = err.method[0] + err.method.slice(1).toLowerCase();
    return err.withMessage(`${verb} "${err.url}": no basic auth credentials`);
  }
  return err;
}

/** dockerd's wording for a refused push: the registry's own words, or the missing credentials. */
export function describePushError(err: unknown, credentials: AuthConfig): unknown {
  if (err instanceof RegistryResponseError && err.status === 401 && !hasCredentials(credentials)) {
    const verb = err.method[0] + err.method.slice(1).toLowerCase();
    return err.withMessage(`${verb} "${err.url}": no basic auth credentials`);
  }
  return err;
}
