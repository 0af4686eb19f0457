// The hub of one registry: its metadata store, who may do what, who is asking, and what it learns from
// the distribution API as it happens (pushes, pulls, deletes). Built by `openHub` when `hub.enabled`.
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { RegistryError } from '../base/errors.js';
import type { Authorizer } from '../auth/access.js';
import type { HtpasswdFile } from '../auth/htpasswd.js';
import { listRepositories } from '../content/catalog.js';
import { routeRepository } from '../proxy/upstream-routing.js';
import type { Registry } from '../content/registry.js';
import { HubIdentity } from './hub-identity.js';
import { HubPolicy } from './hub-policy.js';
import type { HubStore, TagRecord } from './hub-store.js';
import { SqliteHubStore } from './sqlite-hub-store.js';
import { summarizeTag } from './tag-summary.js';

export interface HubAuth {
  authorizer?: Authorizer;
  users?: HtpasswdFile;
  /** Whether namespaces are enforced on pushes here: htpasswd, or token auth with berth-registry's own token server. */
  enforce: boolean;
  basicIsNative: boolean;
}

export interface ReindexResult {
  repositories: number;
  tags: number;
  removed: string[];
}

export class Hub {
  readonly policy: HubPolicy;
  readonly identity: HubIdentity;

  constructor(
    readonly store: HubStore, private readonly registry: Registry, auth: HubAuth, admins: readonly string[],
    private readonly log: WarningSink,
  ) {
    this.policy = new HubPolicy(admins);
    this.identity = new HubIdentity(auth);
    this.enforce = auth.enforce;
  }

  /** Whether pushes and deletes are held to namespaces (see HubAuth.enforce). */
  readonly enforce: boolean;

  /** Refuses a push or delete by `user` outside their namespace (DENIED), when namespaces are enforced. */
  checkWrite(user: string | undefined, repository: string): void {
    if (!this.enforce || this.policy.mayWrite(user, repository)) return;
    const owner = this.policy.ownerOf(repository);
    throw new RegistryError('DENIED', owner
      ? `requested access to the resource is denied: ${repository} is in ${owner}'s namespace`
      : `requested access to the resource is denied: ${repository} is an official (library) repository, pushed by admins only`,
    [{ type: 'repository', name: repository, actions: ['push'] }]);
  }

  /** A manifest was stored under `tags` (none: by digest only). A failure to read it is logged, the push stands. */
  async pushed(repository: string, digest: string, tags: string[]): Promise<void> {
    await bestEffort(this.log, `hub: recording the push of ${repository}@${digest}`, async () => {
      if (tags.length === 0) { this.store.recordPush(repository, null); return; }
      for (const tag of tags) this.store.recordPush(repository, await summarizeTag(this.registry, repository, tag, digest));
    });
  }

  /** One manifest GET. */
  pulled(repository: string): void {
    try { this.store.recordPull(repository); } catch (err) {
      this.log.warn(`hub: counting a pull of ${repository}: ${(err as Error).message}`);
    }
  }

  /** A tag, or a manifest with the tags pointing at it, was deleted; the repository goes when no manifest is left. */
  async deleted(repository: string, reference: string): Promise<void> {
    await bestEffort(this.log, `hub: recording the delete of ${repository}:${reference}`, async () => {
      if (!reference.includes(':')) { this.store.removeTags(repository, [reference]); return; }
      const gone: string[] = [];
      for (let page = 1; ; page++) {
        const { results } = this.store.listTags(repository, { page, pageSize: 1000 });
        gone.push(...results.filter((t) => t.digest === reference).map((t) => t.name));
        if (results.length < 1000) break;
      }
      this.store.removeTags(repository, gone);
      if ((await this.registry.manifests.revisions(repository)).length === 0) this.store.removeRepository(repository);
    });
  }

  /**
   * Rebuilds what storage can tell: every (pushed) repository with its tags (digest, size, platforms); the
   * repositories storage no longer holds leave the hub. Stars, descriptions, pull counts and official
   * flags of the others stay (storage does not hold them).
   */
  async reindex(progress?: (line: string) => void): Promise<ReindexResult> {
    // Copies the pull-through cache holds were never pushed here: they are no hub repositories.
    const names = (await listRepositories(this.registry.driver)).filter((n) => !routeRepository(this.registry.config.proxy, n));
    const present = new Set(names);
    let tags = 0;
    for (const name of names) {
      const records: TagRecord[] = [];
      for (const tag of await this.registry.manifests.tags(name)) {
        const digest = await this.registry.manifests.resolveTag(name, tag);
        records.push(await summarizeTag(this.registry, name, tag, digest));
      }
      this.store.replaceTags(name, records);
      tags += records.length;
      progress?.(`${name}: ${records.length} tags`);
    }
    const removed = this.store.repositoryNames().filter((n) => !present.has(n));
    for (const name of removed) { this.store.removeRepository(name); progress?.(`${name}: removed (not in storage)`); }
    return { repositories: names.length, tags, removed };
  }

  close(): void {
    this.store.close();
  }
}

/** The hub of `registry`, or undefined when `hub.enabled` is false. */
export function openHub(registry: Registry, auth: HubAuth, log: WarningSink): Hub | undefined {
  const config = registry.config.hub;
  if (!config) return undefined;
  return new Hub(new SqliteHubStore({ path: config.database }), registry, auth, config.admins, log);
}
