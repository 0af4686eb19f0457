// docker login: check credentials against a registry the way dockerd does (GET /v2/, then the Basic
// header or a token for no particular repository). The daemon stores nothing: the client keeps the
// credentials in its config.json and sends them with every pull and push (X-Registry-Auth).
import type * as Undici from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';
import { errorMessage, InvalidArgumentError } from '../../lib/errors.js';
import { parseChallenges } from '../../lib/auth-challenge.js';
import type { AuthConfig } from './credentials.js';
import type { RegistryServices } from './distribution.js';
import { RegistryAuthError, RegistryUnauthorizedError, RegistryUnreachableError } from './errors.js';
import { RegistryAuthorizer } from './registry-auth.js';
import { DOCKER_IO, type RegistryEndpoint, type RegistryHosts } from './registry-hosts.js';
import { discardBody } from './http-body.js';

/** undici loads at the first registry request, not at daemon start. */
const undici = lazyModule<typeof Undici>('undici');

export interface LoginResult {
  Status: string;
  IdentityToken: string;
}

/** The registry a login names: "https://index.docker.io/v1/" and "" are docker.io; a scheme or path is dropped. */
export function loginRegistry(serverAddress: string | undefined): string {
  if (!serverAddress) return DOCKER_IO;
  const host = serverAddress.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (!host) throw new InvalidArgumentError(`invalid registry address ${JSON.stringify(serverAddress)}`);
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === DOCKER_IO) return DOCKER_IO;
  return host;
}

export async function login(engine: RegistryServices, auth: AuthConfig): Promise<LoginResult> {
  if (!auth.username || auth.password === undefined) throw new InvalidArgumentError('a username and a password are required to log in');
  const dist = engine.distribution;
  const endpoints = await dist.hosts.endpoints(loginRegistry(auth.serveraddress), true);
  let lastError: unknown;
  for (const endpoint of endpoints) {
    try {
      return await loginAt(dist.hosts, endpoint, auth);
    } catch (err) {
      lastError = err;
      if (!(err instanceof RegistryUnreachableError)) break;
    }
  }
  throw lastError;
}

async function loginAt(hosts: RegistryHosts, endpoint: RegistryEndpoint, auth: AuthConfig): Promise<LoginResult> {
  const url = `${endpoint.origin}/v2/`;
  const get = async (authorization?: string) => {
    try {
      const response = await undici().request(url, { method: 'GET', dispatcher: endpoint.dispatcher, headers: authorization ? { authorization } : {} });
      await discardBody(hosts.log, response);
      return response;
    } catch (err) {
      throw new RegistryUnreachableError(`Get "${url}": ${errorMessage(err)}`, { cause: err });
    }
  };
  const first = await get();
  if (first.statusCode === 200) return { Status: 'Login Succeeded', IdentityToken: '' };
  const challenges = parseChallenges(first.headers['www-authenticate']);
  if (first.statusCode !== 401 || challenges.length === 0) {
    throw new RegistryAuthError(`login attempt to ${url} failed with status: ${first.statusCode} ${first.statusText || ''}`.trimEnd());
  }
  const authorizer = new RegistryAuthorizer(auth, (origin) => origin === endpoint.origin ? Promise.resolve(endpoint.dispatcher) : hosts.dispatcherFor(origin));
  authorizer.setChallenges(challenges);
  if (challenges.some((c) => c.scheme === 'bearer')) {
    try {
      const refreshToken = await authorizer.loginWithToken();
      return { Status: 'Login Succeeded', IdentityToken: refreshToken ?? '' };
    } catch (err) {
      // dockerd names the request the token server refused: Get "https://host/v2/": unauthorized: ...
      if (err instanceof RegistryAuthError || err instanceof RegistryUnauthorizedError) err.message = `Get "${url}": ${err.message}`;
      throw err;
    }
  }
  const second = await get(await authorizer.header([]));
  if (second.statusCode !== 200) {
    throw new RegistryAuthError(`login attempt to ${url} failed with status: ${second.statusCode} ${second.statusText || 'Unauthorized'}`.trimEnd());
  }
  return { Status: 'Login Succeeded', IdentityToken: '' };
}
