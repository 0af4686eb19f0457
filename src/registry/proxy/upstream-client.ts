// An HTTP client for one upstream registry of the pull-through cache: manifests and blobs by HEAD and
// GET, authorised as the upstream asks (its 401's WWW-Authenticate): Basic with the configured
// credentials, or the Bearer token flow (a token for `repository:<name>:pull` from the challenge's
// realm, cached until shortly before it expires). Blob redirects are followed, without our credentials
// when they leave the upstream's origin. Every failure is an UpstreamError that says what the upstream
// did (no answer, or its status and message).
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { parseChallenges, type AuthChallenge } from '../../lib/auth-challenge.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { errorMessage, UnavailableError } from '../../lib/errors.js';
import { lazyModule } from '../../lib/lazy-module.js';
import { MANIFEST_TYPES } from '../../lib/oci-media-types.js';
import { readCapped } from '../../lib/read-capped.js';
import type { UpstreamConfig } from '../base/proxy-config.js';

const undici = lazyModule<typeof Undici>('undici');

const MAX_SMALL_BODY = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const DEFAULT_TOKEN_SECONDS = 60;
const USER_AGENT = 'berth-registry/0.1.0 (pull-through cache)';

/** The upstream did not answer, or answered with a status we cannot use. */
export class UpstreamError extends UnavailableError {
  constructor(readonly upstream: string, message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** The upstream says there is no such thing (404): an answer, not an outage. */
  get notFound(): boolean {
    return this.status === 404;
  }
}

export interface UpstreamManifest {
  /** Docker-Content-Digest, when the upstream sent it. */
  digest?: string;
  mediaType: string;
  /** The body (GET only). */
  bytes?: Buffer;
}

export class UpstreamClient {
  private challenges: AuthChallenge[] = [];
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  private agent?: Dispatcher;

  constructor(readonly config: UpstreamConfig, private readonly log: WarningSink) {}

  private dispatcher(): Dispatcher {
    // Short header timeouts: a cache that waits minutes for a stuck upstream is no better than none.
    this.agent ??= new (undici().Agent)({ connectTimeout: 5_000, headersTimeout: 15_000, bodyTimeout: 60_000 });
    return this.agent;
  }

  /** HEAD or GET of a manifest by tag or digest, accepting every manifest type. */
  async manifest(method: 'HEAD' | 'GET', remoteName: string, reference: string): Promise<UpstreamManifest> {
    const response = await this.send(method, remoteName, `manifests/${reference}`, { accept: MANIFEST_TYPES.join(', ') });
    const digest = header(response, 'docker-content-digest');
    const mediaType = (header(response, 'content-type') ?? '').split(';')[0]!.trim();
    if (method === 'HEAD') {
      await this.discard(response);
      return { digest, mediaType };
    }
    const bytes = await readCapped(response.body, MAX_SMALL_BODY,
      () => new UpstreamError(this.config.url, `the manifest ${remoteName}:${reference} at ${this.config.url} is larger than ${MAX_SMALL_BODY} bytes`));
    return { digest, mediaType, bytes };
  }

  /** The size of a blob the upstream holds. */
  async blobSize(remoteName: string, digest: string): Promise<number | undefined> {
    const response = await this.send('HEAD', remoteName, `blobs/${digest}`);
    await this.discard(response);
    const length = header(response, 'content-length');
    return length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  }

  /** A blob's bytes as the upstream streams them; `size` from Content-Length when it sent one. */
  async blob(remoteName: string, digest: string): Promise<{ body: Readable; size?: number }> {
    const response = await this.send('GET', remoteName, `blobs/${digest}`);
    const length = header(response, 'content-length');
    return { body: response.body, size: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined };
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }

  private async discard(response: Dispatcher.ResponseData): Promise<void> {
    await bestEffort(this.log, `discarding a reply of ${this.config.url}`, response.body.dump({ limit: 64 * 1024 }));
  }

  /** A request for `remoteName` (pull scope), authorised; retried once when a 401 brings a challenge. */
  private async send(method: 'HEAD' | 'GET', remoteName: string, path: string, headers: Record<string, string> = {}): Promise<Dispatcher.ResponseData> {
    const url = `${this.config.url}/v2/${remoteName}/${path}`;
    const scope = `repository:${remoteName}:pull`;
    for (let attempt = 0; ; attempt++) {
      const response = await this.sendOnce(method, url, headers, await this.authorization(scope));
      if (response.statusCode === 401 && attempt === 0) {
        const challenges = parseChallenges(response.headers['www-authenticate']);
        if (challenges.length > 0) {
          await this.discard(response);
          this.challenges = challenges;
          this.tokens.delete(scope);
          continue;
        }
      }
      if (response.statusCode === 200) return response;
      throw await this.refusal(method, url, response);
    }
  }

  private async sendOnce(method: string, url: string, headers: Record<string, string>, authorization: string | undefined): Promise<Dispatcher.ResponseData> {
    const all: Record<string, string> = { 'user-agent': USER_AGENT, ...headers };
    if (authorization) all.authorization = authorization;
    let target = url;
    for (let hop = 0; ; hop++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await undici().request(target, { method: method as Dispatcher.HttpMethod, headers: all, dispatcher: this.dispatcher() });
      } catch (err) {
        throw new UpstreamError(this.config.url, `${this.config.url} cannot be reached: ${errorMessage(err)}`, undefined, { cause: err });
      }
      const location = header(response, 'location');
      if (![301, 302, 303, 307, 308].includes(response.statusCode) || location === undefined || hop >= MAX_REDIRECTS) return response;
      await this.discard(response);
      const next = new URL(location, target);
      // Pre-signed storage URLs: our credentials stay with the upstream.
      if (next.origin !== new URL(target).origin) delete all.authorization;
      target = next.toString();
    }
  }

  private async refusal(method: string, url: string, response: Dispatcher.ResponseData): Promise<UpstreamError> {
    let said = '';
    if (method !== 'HEAD') {
      const body = await bestEffort(this.log, `reading the error reply of ${url}`,
        readCapped(response.body, 64 * 1024, () => new Error('error reply too large')));
      said = body ? ociMessage(body.toString('utf8')) : '';
    } else {
      await this.discard(response);
    }
    return new UpstreamError(this.config.url,
      `${this.config.url} answered ${response.statusCode}${said ? ` (${said})` : ''} to ${method} ${new URL(url).pathname}`, response.statusCode);
  }

  private async authorization(scope: string): Promise<string | undefined> {
    const bearer = this.challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return this.bearer(bearer, scope);
    const { username, password } = this.config;
    if (this.challenges.some((c) => c.scheme === 'basic') && username !== undefined && password !== undefined) {
      return basic(username, password);
    }
    return undefined;
  }

  private async bearer(challenge: AuthChallenge, scope: string): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > Date.now()) return cached.header;
    const realm = challenge.params.realm;
    let url: URL;
    try { url = new URL(realm ?? ''); } catch {
      throw new UpstreamError(this.config.url, `${this.config.url} asked for a bearer token without a valid realm (${JSON.stringify(realm ?? '')})`);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    const { username, password } = this.config;
    if (username !== undefined && password !== undefined) {
      url.searchParams.set('account', username);
      headers.authorization = basic(username, password);
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await undici().request(url, { method: 'GET', headers, dispatcher: this.dispatcher() });
    } catch (err) {
      throw new UpstreamError(this.config.url, `the token server ${url.origin} of ${this.config.url} cannot be reached: ${errorMessage(err)}`, undefined, { cause: err });
    }
    const body = await readCapped(response.body, 1024 * 1024, () => new UpstreamError(this.config.url, `the token server ${url.origin} sent more than 1 MiB`));
    if (response.statusCode !== 200) {
      // A token server's 404 says nothing about the image: not the upstream's "no such manifest".
      throw new UpstreamError(this.config.url, `the token server ${url.origin} of ${this.config.url} answered ${response.statusCode}`, response.statusCode === 404 ? 502 : response.statusCode);
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try { parsed = JSON.parse(body.toString('utf8')); } catch {
      throw new UpstreamError(this.config.url, `the token server ${url.origin} sent a reply that is not JSON`);
    }
    const token = typeof parsed.access_token === 'string' && parsed.access_token ? parsed.access_token : parsed.token;
    if (typeof token !== 'string' || !token) throw new UpstreamError(this.config.url, `the token server ${url.origin} sent no token`);
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    const entry = { header: `Bearer ${token}`, expiresAt: Date.now() + Math.max(1, seconds - 10) * 1000 };
    this.tokens.set(scope, entry);
    return entry.header;
  }
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The first message of an OCI error body, or the start of whatever else was said. */
function ociMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch { /* not JSON: quote it as it is */ }
  return text.trim().slice(0, 200);
}
