// Authorization for registry requests: the Bearer token flow of the distribution spec (a challenge names
// a realm, a service and a scope; the realm hands out a token for the scope, with Basic credentials or
// an OAuth2 refresh token) and plain Basic. Tokens are cached per scope until shortly before they expire.
import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';
import type { AuthChallenge } from '../../lib/auth-challenge.js';
import type { AuthConfig } from './credentials.js';
import { RegistryAuthError, RegistryUnreachableError, tokenRefusal } from './errors.js';
import { readCappedReply } from './http-body.js';
import { errorMessage } from '../../lib/errors.js';

/** undici loads at the first registry request, not at daemon start. */
const undici = lazyModule<typeof Undici>('undici');

/** Token bodies and error bodies are small; anything bigger is not a token server talking. */
const MAX_TOKEN_BODY = 1024 * 1024;
/** Docker's default when a token server gives no expiry. */
const DEFAULT_TOKEN_SECONDS = 60;

interface CachedToken {
  header: string;
  expiresAt: number;
  /** An OAuth2 refresh token, when the server handed one out (a login asks for one). */
  refreshToken?: string;
}

export class RegistryAuthorizer {
  private challenges: AuthChallenge[] = [];
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly credentials: AuthConfig,
    private readonly dispatcherFor: (origin: string) => Promise<Dispatcher>,
  ) {}

  /** Learns what the registry asks for, from a 401 reply to GET /v2/ or to any other request. */
  setChallenges(challenges: AuthChallenge[]): void {
    if (challenges.length) this.challenges = challenges;
  }

  get challenged(): boolean {
    return this.challenges.length > 0;
  }

  /** The Authorization header for requests needing these scopes ("repository:team/app:pull,push"), or undefined. */
  async header(scopes: string[]): Promise<string | undefined> {
    const bearer = this.challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      if (this.credentials.registrytoken) return `Bearer ${this.credentials.registrytoken}`;
      return this.bearer(bearer, scopes);
    }
    if (this.challenges.some((c) => c.scheme === 'basic')) {
      const { username, password } = this.credentials;
      if (username === undefined || password === undefined) return undefined;
      return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    return undefined;
  }

  /**
   * Proves the credentials to a Bearer token server without asking for any repository (docker login);
   * returns the refresh token the server gave, if any. RegistryAuthError when refused.
   */
  async loginWithToken(): Promise<string | undefined> {
    const bearer = this.challenges.find((c) => c.scheme === 'bearer');
    if (!bearer) throw new RegistryAuthError('the registry asks for no bearer token');
    return (await this.fetchToken(bearer, [], true)).refreshToken;
  }

  private async bearer(challenge: AuthChallenge, scopes: string[]): Promise<string> {
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.header;
    const token = await this.fetchToken(challenge, scopes);
    this.tokens.set(key, token);
    return token.header;
  }

  private async fetchToken(challenge: AuthChallenge, scopes: string[], offline = false): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryAuthError('the registry asked for a bearer token without naming a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryAuthError(`the registry named an invalid token realm ${JSON.stringify(realm)}`);
    }
    const service = challenge.params.service;
    const { username, password, identitytoken } = this.credentials;
    const dispatcher = await this.dispatcherFor(url.origin);
    let response: Dispatcher.ResponseData;
    try {
      if (identitytoken) {
        // OAuth2 refresh-token grant, as Docker does once a login returned an identity token.
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: identitytoken, client_id: 'berth' });
        if (service) form.set('service', service);
        if (scopes.length) form.set('scope', scopes.join(' '));
        response = await undici().request(url, {
          method: 'POST', dispatcher, body: form.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      } else {
        if (service) url.searchParams.set('service', service);
        for (const scope of scopes) url.searchParams.append('scope', scope);
        if (offline) {
          url.searchParams.set('offline_token', 'true');
          url.searchParams.set('client_id', 'berth');
        }
        const headers: Record<string, string> = {};
        if (username !== undefined && password !== undefined) {
          url.searchParams.set('account', username);
          headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
        }
        response = await undici().request(url, { method: 'GET', dispatcher, headers });
      }
    } catch (err) {
      throw new RegistryUnreachableError(`Get "${url.origin}${url.pathname}": ${errorMessage(err)}`, { cause: err });
    }
    const text = (await readCappedReply(response.body, MAX_TOKEN_BODY)).toString('utf8');
    if (response.statusCode === 401 || response.statusCode === 403) throw tokenRefusal(response.statusCode, text);
    if (response.statusCode !== 200) {
      throw new RegistryAuthError(`token server ${url.origin} answered ${response.statusCode}`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new RegistryAuthError(`token server ${url.origin} sent a reply that is not JSON`);
    }
    const token = typeof body.access_token === 'string' && body.access_token ? body.access_token : body.token;
    if (typeof token !== 'string' || !token) throw new RegistryAuthError(`token server ${url.origin} sent no token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renew a little early, so a token does not expire between the check and the request.
    const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + Math.max(1, seconds - 10) * 1000, refreshToken };
  }
}
