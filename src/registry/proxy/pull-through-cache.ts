// The pull-through cache: repositories under a proxy prefix (or all of them, with proxy.remoteurl) are
// copies of an upstream's. A manifest asked for by digest is fetched once and kept; a tag is looked up
// at the upstream (one HEAD) at most once per ttl, and the manifest it names fetched when it is new.
// When the upstream cannot answer (unreachable, 429, 5xx) a cached tag is served as it is, marked stale.
// Blobs are fetched on first request (BlobPuller). Nothing is ever pushed to a cached repository.
import type { WarningSink } from '../../lib/best-effort.js';
import { KeyedSerialQueue } from '../../lib/keyed-serial-queue.js';
import { digestOf, isDigest, parseDigest } from '../../lib/oci-digest.js';
import type { ProxyConfig, UpstreamConfig } from '../base/proxy-config.js';
import { RegistryError } from '../base/errors.js';
import type { Registry } from '../content/registry.js';
import { BlobPuller } from './blob-puller.js';
import { TagFreshness } from './tag-freshness.js';
import { UpstreamClient, UpstreamError } from './upstream-client.js';
import { describeUpstream, routeRepository, type UpstreamRoute } from './upstream-routing.js';

/** What the cache did to answer a manifest request. */
export interface ManifestLookup {
  /** Set when the cached copy is served because the upstream could not answer: why. */
  stale?: string;
}

export class PullThroughCache {
  readonly freshness: TagFreshness;
  readonly blobs: BlobPuller;
  private readonly clients = new Map<UpstreamConfig, UpstreamClient>();
  /** Lookups of one tag run one at a time, so concurrent pulls ask the upstream once. */
  private readonly lookups = new KeyedSerialQueue();

  constructor(private readonly registry: Registry, readonly config: ProxyConfig, private readonly log: WarningSink, now: () => number = Date.now) {
    this.freshness = new TagFreshness(now);
    this.blobs = new BlobPuller(registry, log);
  }

  /** The upstream of a cached repository, or undefined for an ordinary one. */
  route(name: string): UpstreamRoute | undefined {
    return routeRepository(this.config, name);
  }

  client(upstream: UpstreamConfig): UpstreamClient {
    let client = this.clients.get(upstream);
    if (!client) {
      client = new UpstreamClient(upstream, this.log);
      this.clients.set(upstream, client);
    }
    return client;
  }

  /**
   * Makes the manifest `reference` (tag or digest) of the cached repository `name` present in storage,
   * from the upstream when needed. Throws MANIFEST_UNKNOWN when it is neither cached nor available
   * upstream (the message says what the upstream answered).
   */
  async prepareManifest(route: UpstreamRoute, name: string, reference: string): Promise<ManifestLookup> {
    if (isDigest(reference)) {
      if (await this.holds(name, reference)) return {};
      try {
        await this.fetchManifest(route, name, reference, []);
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        throw new RegistryError('MANIFEST_UNKNOWN',
          `${name}@${reference} is not cached and ${describeUpstream(route.upstream)} could not give it: ${err.message}`, { name, digest: reference });
      }
      return {};
    }
    return this.lookups.run(`${name}:${reference}`, () => this.lookUpTag(route, name, reference));
  }

  private async lookUpTag(route: UpstreamRoute, name: string, tag: string): Promise<ManifestLookup> {
    const key = `${name}:${tag}`;
    const cached = await this.cachedTag(name, tag);
    if (cached && this.freshness.isFresh(key, route.upstream.ttlMs)) return {};
    const client = this.client(route.upstream);
    try {
      const head = await client.manifest('HEAD', route.remoteName, tag);
      if (head.digest && isDigest(head.digest) && await this.holds(name, head.digest)) {
        if (cached !== head.digest) await this.retag(name, tag, head.digest);
      } else {
        await this.fetchManifest(route, name, head.digest && isDigest(head.digest) ? head.digest : tag, [tag]);
      }
      this.freshness.markChecked(key);
      return {};
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      if (err.notFound) {
        this.freshness.forget(key);
        throw new RegistryError('MANIFEST_UNKNOWN', `${route.remoteName}:${tag} is not at ${route.upstream.url} (${describeUpstream(route.upstream)})`,
          { name, tag });
      }
      if (cached) {
        this.log.warn(`serving the cached ${name}:${tag}: ${err.message}`);
        return { stale: err.message };
      }
      throw new RegistryError('MANIFEST_UNKNOWN',
        `${name}:${tag} is not cached and ${describeUpstream(route.upstream)} could not give it: ${err.message}`, { name, tag });
    }
  }

  /** GETs a manifest (by digest, or by tag when the upstream named no digest) and stores it, tagged with `tags`. */
  private async fetchManifest(route: UpstreamRoute, name: string, reference: string, tags: string[]): Promise<void> {
    const fetched = await this.client(route.upstream).manifest('GET', route.remoteName, reference);
    const bytes = fetched.bytes!;
    const digest = isDigest(reference) ? reference : fetched.digest && isDigest(fetched.digest) ? fetched.digest : digestOf(bytes);
    if (digestOf(bytes, parseDigest(digest).algorithm) !== digest) {
      throw new UpstreamError(route.upstream.url, `${route.upstream.url} sent a manifest for ${route.remoteName}:${reference} that does not match ${digest}`, 502);
    }
    await this.registry.manifests.put(name, digest, bytes, fetched.mediaType || undefined, tags, { verifyReferences: false });
  }

  /** Points `tag` at a manifest the cache holds already. */
  private async retag(name: string, tag: string, digest: string): Promise<void> {
    const stored = await this.registry.manifests.get(name, digest);
    await this.registry.manifests.put(name, digest, stored.content, stored.mediaType, [tag], { verifyReferences: false });
  }

  private async cachedTag(name: string, tag: string): Promise<string | undefined> {
    try {
      return await this.registry.manifests.resolveTag(name, tag);
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN') return undefined;
      throw err;
    }
  }

  private async holds(name: string, digest: string): Promise<boolean> {
    try {
      await this.registry.manifests.get(name, digest);
      return true;
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN') return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) await client.close();
  }
}
