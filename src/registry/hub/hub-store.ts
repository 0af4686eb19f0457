// The hub's metadata: what a registry's storage does not hold (descriptions, stars, pull counts, the
// official flag) and a summary of what it does (tags, their digests, sizes, platforms), kept so that
// search, the Hub API and the web pages answer without walking storage. One small interface, so that a
// shared database can serve several registry replicas later; `SqliteHubStore` is the one we ship.
//
// A repository is named by its registry name (`alice/tool`, `busybox`, `team/sub/app`): that is the key
// every method takes. The Hub's view of it is namespace + name: the first path segment is the namespace
// and the rest the name (`team` + `sub/app`); a name without a slash is in the `library` namespace, as
// on Docker Hub (`busybox` is `library/busybox`). `hubName` and `findRepository` convert.

/** A platform of an image: from the config of a manifest, or each entry of an index. */
export interface HubPlatform {
  os: string;
  architecture: string;
  variant?: string;
  /** For an entry of an index: the image manifest's own digest and size (bytes of config and layers). */
  digest?: string;
  size?: number;
}

/** One tag of a repository as the hub knows it. */
export interface HubTag {
  name: string;
  /** The digest of the manifest the tag points at. */
  digest: string;
  /** Bytes: the manifest's config and layers (for an index, the largest of its manifests), as the Hub's `full_size`. */
  size: number;
  media_type: string;
  platforms: HubPlatform[];
  /** ISO 8601 time of the last push of this tag. */
  last_pushed: string;
}

/** What the Hub API and `docker search` show of a repository. */
export interface HubRepository {
  /** The registry's name, the key of every store method: `alice/tool`, `busybox`. */
  repository: string;
  /** `alice`; `library` for a name without a slash. */
  namespace: string;
  /** `tool`; for `team/sub/app`, `sub/app`. */
  name: string;
  /** Short text, one line (docker search's DESCRIPTION). */
  description: string;
  /** Markdown, shown on the repository's page. */
  full_description: string;
  is_official: boolean;
  star_count: number;
  /** Manifest GETs (not HEADs), as on Docker Hub. */
  pull_count: number;
  /** ISO 8601 time of the last push; null while the hub has seen none. */
  last_updated: string | null;
  tags_count: number;
}

/** A page of a longer list: `count` is the length of the whole list. */
export interface HubPage<T> {
  count: number;
  results: T[];
}

/** 1-based page and its size. */
export interface PageRequest {
  page: number;
  pageSize: number;
}

/** The fields an owner (or an admin) may change; `is_official` is for admins (the caller checks). */
export interface RepositoryPatch {
  description?: string;
  full_description?: string;
  is_official?: boolean;
}

/** A tag as a push or a reindex reports it. */
export interface TagRecord {
  name: string;
  digest: string;
  size: number;
  media_type: string;
  platforms: HubPlatform[];
  /** When it was pushed; default now. */
  pushedAt?: Date;
}

export interface HubStore {
  /** The repository by registry name, or undefined when the hub does not know it. */
  getRepository(repository: string): HubRepository | undefined;
  /**
   * The repository by the Hub's namespace + name. `library/busybox` finds `busybox` (and, when no
   * namespace-less one exists, a repository literally named `library/busybox`).
   */
  findRepository(namespace: string, name: string): HubRepository | undefined;
  /** Every repository name the hub knows, sorted. */
  repositoryNames(): string[];

  /** A push of `tag` (or of a manifest by digest alone when `tag` is null): creates the repository if new, records the tag, sets last_updated. */
  recordPush(repository: string, tag: TagRecord | null, at?: Date): void;
  /** A tag deleted from storage. Unknown repositories and tags are ignored. */
  removeTags(repository: string, tags: string[]): void;
  /** The repository deleted from storage: it leaves search, lists and starred lists (stars go with it). */
  removeRepository(repository: string): void;
  /** Replaces the repository's tags by what storage holds (reindex); creates the repository if new. */
  replaceTags(repository: string, tags: TagRecord[]): void;
  /** One manifest GET. Unknown repositories are ignored (the pull of a repository pushed before the hub knew it is counted after reindex). */
  recordPull(repository: string): void;
  /** Changes description, full_description, is_official. Throws NotFoundError for an unknown repository. */
  updateRepository(repository: string, patch: RepositoryPatch): HubRepository;

  /** The repository's tags, most recently pushed first. */
  listTags(repository: string, page: PageRequest): HubPage<HubTag>;
  getTag(repository: string, tag: string): HubTag | undefined;

  /** Stars the repository for `user`: true when it was not starred by them yet. NotFoundError when unknown. */
  star(repository: string, user: string): boolean;
  /** Removes `user`'s star: true when there was one. NotFoundError when the repository is unknown. */
  unstar(repository: string, user: string): boolean;
  hasStarred(repository: string, user: string): boolean;
  /** What `user` starred, most recently starred first. */
  starredBy(user: string, page: PageRequest): HubPage<HubRepository>;

  /**
   * Repositories matching `query`, best first: the exact name, then names starting with it, then names
   * containing it, then descriptions having each of its words (as a word or the start of one); within
   * each, more stars, then more pulls, then the name. An empty query lists every repository by stars
   * and pulls.
   */
  search(query: string, page: PageRequest): HubPage<HubRepository>;
  /** The namespace's repositories by name (`library` lists the namespace-less ones and those under library/). */
  listNamespace(namespace: string, page: PageRequest): HubPage<HubRepository>;
  mostStarred(limit: number): HubRepository[];
  mostPulled(limit: number): HubRepository[];
  recentlyPushed(limit: number): HubRepository[];

  /** Ends use of the store; later calls throw. */
  close(): void;
}

/** The Hub's namespace and name of a registry repository name. */
export function hubName(repository: string): { namespace: string; name: string } {
  const slash = repository.indexOf('/');
  if (slash < 0) return { namespace: 'library', name: repository };
  return { namespace: repository.slice(0, slash), name: repository.slice(slash + 1) };
}

/** The registry names a Hub namespace + name may stand for, most likely first. */
export function repositoryCandidates(namespace: string, name: string): string[] {
  return namespace === 'library' ? [name, `library/${name}`] : [`${namespace}/${name}`];
}
