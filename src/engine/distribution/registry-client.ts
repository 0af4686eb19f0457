// An HTTP client for one repository of one registry endpoint, speaking the OCI distribution API:
// manifests, blobs (ranged reads for resumption), uploads (monolithic PUT and streamed PATCH) and
// cross-repository mounts. It authorises every request through RegistryAuthorizer, follows blob
// redirects (dropping credentials when the origin changes) and turns refusals into RegistryResponseError.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';
import { errorMessage } from '../../lib/errors.js';
import { parseChallenges } from '../../lib/auth-challenge.js';
import type { AuthConfig } from './credentials.js';
import { RegistryResponseError, RegistryUnreachableError, parseOciErrors } from './errors.js';
import { discardBody, readCappedReply } from './http-body.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { RegistryAuthorizer } from './registry-auth.js';
import type { RegistryEndpoint, RegistryHosts } from './registry-hosts.js';

/** undici loads at the first registry request, not at daemon start. */
const undici = lazyModule<typeof Undici>('undici');

/** Docker refuses manifests over 4 MB; so do we. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_REDIRECTS = 5;
const USER_AGENT = 'berth/0.1.0';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface SendOptions {
  headers?: Record<string, string>;
  /** A Buffer or string is replayed after an auth challenge; a stream cannot be. */
  body?: Buffer | string | Readable;
  /** Statuses that are success for this call; others throw RegistryResponseError. */
  expect: number[];
  /** Extra scopes (a mount's source repository). */
  scopes?: string[];
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** The Docker-Content-Digest header, when the registry sent one. */
  headerDigest?: string;
}

export class RegistryClient {
  private constructor(
    readonly endpoint: RegistryEndpoint,
    readonly repository: string,
    private readonly auth: RegistryAuthorizer,
    private readonly actions: string,
    private readonly dispatcherFor: (origin: string) => Promise<Dispatcher>,
    private readonly log: WarningSink,
  ) {}

  /**
   * Pings GET /v2/ on the endpoint to learn how it wants to be authorised. Throws
   * RegistryUnreachableError when nothing answers there (the caller tries the next endpoint).
   */
  static async connect(hosts: RegistryHosts, endpoint: RegistryEndpoint, repository: string, credentials: AuthConfig, actions: 'pull' | 'pull,push'): Promise<RegistryClient> {
    const dispatcherFor = (origin: string) => origin === endpoint.origin ? Promise.resolve(endpoint.dispatcher) : hosts.dispatcherFor(origin);
    const auth = new RegistryAuthorizer(credentials, dispatcherFor);
    const url = `${endpoint.origin}/v2/`;
    let response: Dispatcher.ResponseData;
    try {
      response = await undici().request(url, { method: 'GET', dispatcher: endpoint.dispatcher, headers: { 'user-agent': USER_AGENT } });
    } catch (err) {
      throw new RegistryUnreachableError(`Get "${url}": ${errorMessage(err)}`, { cause: err });
    }
    await discardBody(hosts.log, response, MAX_ERROR_BODY);
    if (response.statusCode === 401) auth.setChallenges(parseChallenges(response.headers['www-authenticate']));
    else if (response.statusCode >= 500) throw new RegistryUnreachableError(`Get "${url}": received unexpected HTTP status: ${response.statusCode}`);
    return new RegistryClient(endpoint, repository, auth, actions, dispatcherFor, hosts.log);
  }

  /** The scope this client works in, as a token request names it. */
  get scope(): string {
    return `repository:${this.repository}:${this.actions}`;
  }

  private url(path: string): string {
    return `${this.endpoint.origin}/v2/${this.repository}/${path}`;
  }

  /** Sends a request with authorization; retries once when a 401 brings a new challenge and the body can be replayed. */
  async send(method: Method, url: string, options: SendOptions): Promise<Dispatcher.ResponseData> {
    const scopes = [this.scope, ...(options.scopes ?? [])];
    const replayable = options.body === undefined || typeof options.body === 'string' || Buffer.isBuffer(options.body);
    for (let attempt = 0; ; attempt++) {
      const response = await this.sendOnce(method, url, options, scopes);
      if (response.statusCode === 401 && attempt === 0 && replayable) {
        const challenges = parseChallenges(response.headers['www-authenticate']);
        if (challenges.length && !this.auth.challenged) {
          await discardBody(this.log, response, MAX_ERROR_BODY);
          this.auth.setChallenges(challenges);
          continue;
        }
      }
      if (options.expect.includes(response.statusCode)) return response;
      // The status is the answer; an error body that cannot be read only leaves its words out.
      const text = method === 'HEAD' ? '' : ((await bestEffort(this.log, `reading the error reply of ${method} ${url}`, readCappedReply(response.body, MAX_ERROR_BODY))) ?? Buffer.alloc(0)).toString('utf8');
      if (method === 'HEAD') await discardBody(this.log, response);
      throw new RegistryResponseError(response.statusCode, parseOciErrors(text), method, url);
    }
  }

  private async sendOnce(method: Method, url: string, options: SendOptions, scopes: string[]): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...options.headers };
    const authorization = await this.auth.header(scopes);
    if (authorization) headers.authorization = authorization;
    let target = url;
    let dispatcher = this.endpoint.dispatcher;
    for (let hop = 0; ; hop++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await undici().request(target, { method, headers, body: options.body, dispatcher });
      } catch (err) {
        const verb = method[0] + method.slice(1).toLowerCase();
        throw new RegistryUnreachableError(`${verb} "${target}": ${errorMessage(err)}`, { cause: err });
      }
      const location = response.headers.location;
      const redirect = [301, 302, 303, 307, 308].includes(response.statusCode) && (method === 'GET' || method === 'HEAD');
      if (!redirect || typeof location !== 'string' || hop >= MAX_REDIRECTS) return response;
      await discardBody(this.log, response, MAX_ERROR_BODY);
      const next = new URL(location, target);
      // Blob stores (S3 and the like) get pre-signed URLs: our registry credentials must not follow.
      if (next.origin !== new URL(target).origin) {
        delete headers.authorization;
        dispatcher = await this.dispatcherFor(next.origin);
      }
      target = next.toString();
    }
  }

  /** GET a manifest by tag or digest, accepting the given media types. */
  async getManifest(reference: string, accept: readonly string[]): Promise<FetchedManifest> {
    const response = await this.send('GET', this.url(`manifests/${reference}`), { expect: [200], headers: { accept: accept.join(', ') } });
    const bytes = await readCappedReply(response.body, MAX_MANIFEST_BYTES, 'manifest');
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
    const headerDigest = typeof response.headers['docker-content-digest'] === 'string' ? response.headers['docker-content-digest'] : undefined;
    return { bytes, mediaType: contentType, headerDigest };
  }

  /** HEAD a blob: its size when the repository has it, undefined when not. */
  async blobSize(digest: string): Promise<number | undefined> {
    const response = await this.send('HEAD', this.url(`blobs/${digest}`), { expect: [200, 404] });
    await discardBody(this.log, response);
    if (response.statusCode === 404) return undefined;
    return Number(response.headers['content-length'] ?? 0);
  }

  /** GET a blob from `offset` on. A registry that ignores the Range header answers 200 from byte 0. */
  async openBlob(digest: string, offset = 0): Promise<{ body: Readable; from: number; length?: number }> {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const response = await this.send('GET', this.url(`blobs/${digest}`), { expect: [200, 206], headers });
    const from = response.statusCode === 206 ? offset : 0;
    const length = response.headers['content-length'] !== undefined ? Number(response.headers['content-length']) : undefined;
    return { body: response.body, from, length };
  }

  /**
   * Asks the registry to link a blob it holds in another repository. True when mounted; false when it
   * started an ordinary upload instead (that upload is cancelled).
   */
  async mountBlob(digest: string, fromRepository: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from: fromRepository });
    const response = await this.send('POST', this.url(`blobs/uploads/?${query}`), {
      expect: [201, 202], scopes: [`repository:${fromRepository}:pull`], headers: { 'content-length': '0' },
    });
    await discardBody(this.log, response);
    if (response.statusCode === 201) return true;
    const location = this.location(response);
    if (location) {
      await bestEffort(this.log, `cancelling the upload the registry started instead of a mount (${location})`, async () => {
        await discardBody(this.log, await this.send('DELETE', location, { expect: [204, 404, 405] }));
      });
    }
    return false;
  }

  /** Uploads a blob whose digest is known up front in one PUT with its length, as a stream. */
  async pushBlob(digest: string, size: number, body: Readable): Promise<void> {
    const location = await this.startUpload();
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const response = await this.send('PUT', url.toString(), {
      body, expect: [201], headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    await discardBody(this.log, response);
  }

  /**
   * Uploads a blob whose digest is known only at the end (a layer compressed on the fly): one streamed
   * PATCH, then PUT ?digest= with what `digest()` says once the stream has ended.
   */
  async pushBlobStreaming(body: Readable, digest: () => string): Promise<void> {
    const location = await this.startUpload();
    const patched = await this.send('PATCH', location, { body, expect: [202], headers: { 'content-type': 'application/octet-stream' } });
    await discardBody(this.log, patched);
    const url = new URL(this.location(patched) ?? location);
    url.searchParams.set('digest', digest());
    const response = await this.send('PUT', url.toString(), { expect: [201], headers: { 'content-length': '0' } });
    await discardBody(this.log, response);
  }

  private async startUpload(): Promise<string> {
    const response = await this.send('POST', this.url('blobs/uploads/'), { expect: [202], headers: { 'content-length': '0' } });
    await discardBody(this.log, response);
    const location = this.location(response);
    if (!location) throw new RegistryResponseError(202, [{ code: 'UNKNOWN', message: 'the registry started an upload without a Location' }], 'POST', this.url('blobs/uploads/'));
    return location;
  }

  private location(response: Dispatcher.ResponseData): string | undefined {
    const value = response.headers.location;
    return typeof value === 'string' ? new URL(value, this.endpoint.origin + '/').toString() : undefined;
  }

  /** PUT a manifest under a tag (or digest); returns the digest the registry reports. */
  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string | undefined> {
    const response = await this.send('PUT', this.url(`manifests/${reference}`), {
      body: bytes, expect: [201], headers: { 'content-type': mediaType },
    });
    await discardBody(this.log, response);
    const digest = response.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : undefined;
  }
}
