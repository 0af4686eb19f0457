// HubStore on an embedded SQLite database (better-sqlite3, WAL). Search uses two FTS5 indexes: trigrams
// of the repository name (substrings of 3 or more characters; shorter ones scan the names) and the
// words of the description (with prefix indexes, so a word's start is found through the index). Counts that lists sort by (stars, pulls, tags) are kept
// in the repository row, changed in the same transaction as what they count.
//
// Durability: WAL with synchronous=NORMAL. A committed change survives the registry process being
// killed at any point; a power loss may lose the last transactions, never leave a damaged database.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { NotFoundError } from '../../lib/errors.js';
import {
  hubName, repositoryCandidates,
  type HubPage, type HubRepository, type HubStore, type HubTag, type PageRequest, type RepositoryPatch, type TagRecord,
} from './hub-store.js';

const SCHEMA_VERSION = 2;

/** Version 1 had one trigram index over names and descriptions; version 2 indexes description words. */
const MIGRATE_FROM_1 = `
DROP TRIGGER IF EXISTS repositories_ai;
DROP TRIGGER IF EXISTS repositories_ad;
DROP TRIGGER IF EXISTS repositories_au;
DROP TABLE IF EXISTS repository_search;
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS repositories (
  id INTEGER PRIMARY KEY,
  repository TEXT NOT NULL UNIQUE,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  full_description TEXT NOT NULL DEFAULT '',
  is_official INTEGER NOT NULL DEFAULT 0,
  star_count INTEGER NOT NULL DEFAULT 0,
  pull_count INTEGER NOT NULL DEFAULT 0,
  last_updated INTEGER,
  tags_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS repositories_namespace ON repositories(namespace, name);
CREATE INDEX IF NOT EXISTS repositories_stars ON repositories(star_count DESC, pull_count DESC);
CREATE INDEX IF NOT EXISTS repositories_pulls ON repositories(pull_count DESC);
CREATE INDEX IF NOT EXISTS repositories_updated ON repositories(last_updated DESC);
CREATE TABLE IF NOT EXISTS tags (
  repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  platforms TEXT NOT NULL,
  pushed_at INTEGER NOT NULL,
  PRIMARY KEY (repo_id, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_pushed ON tags(repo_id, pushed_at DESC);
CREATE TABLE IF NOT EXISTS stars (
  repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  user TEXT NOT NULL,
  starred_at INTEGER NOT NULL,
  PRIMARY KEY (repo_id, user)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stars_user ON stars(user, starred_at DESC);
-- Names: substrings (3 characters or more) through trigrams. Descriptions: words and word prefixes.
CREATE VIRTUAL TABLE IF NOT EXISTS repository_names USING fts5(
  repository, content='repositories', content_rowid='id', tokenize='trigram'
);
CREATE VIRTUAL TABLE IF NOT EXISTS repository_descriptions USING fts5(
  description, content='repositories', content_rowid='id', tokenize='unicode61', prefix='1 2 3'
);
CREATE TRIGGER IF NOT EXISTS repositories_search_ai AFTER INSERT ON repositories BEGIN
  INSERT INTO repository_names(rowid, repository) VALUES (new.id, new.repository);
  INSERT INTO repository_descriptions(rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER IF NOT EXISTS repositories_search_ad AFTER DELETE ON repositories BEGIN
  INSERT INTO repository_names(repository_names, rowid, repository) VALUES ('delete', old.id, old.repository);
  INSERT INTO repository_descriptions(repository_descriptions, rowid, description) VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER IF NOT EXISTS repositories_search_au AFTER UPDATE OF description ON repositories BEGIN
  INSERT INTO repository_descriptions(repository_descriptions, rowid, description) VALUES ('delete', old.id, old.description);
  INSERT INTO repository_descriptions(rowid, description) VALUES (new.id, new.description);
END;
CREATE INDEX IF NOT EXISTS repositories_name ON repositories(name);
`;

interface RepositoryRow {
  id: number; repository: string; namespace: string; name: string; description: string; full_description: string;
  is_official: number; star_count: number; pull_count: number; last_updated: number | null; tags_count: number;
}

interface TagRow { name: string; digest: string; size: number; media_type: string; platforms: string; pushed_at: number }

const COLUMNS = 'r.id, r.repository, r.namespace, r.name, r.description, r.full_description, r.is_official, r.star_count, r.pull_count, r.last_updated, r.tags_count';

function toRepository(row: RepositoryRow): HubRepository {
  return {
    repository: row.repository, namespace: row.namespace, name: row.name,
    description: row.description, full_description: row.full_description, is_official: row.is_official === 1,
    star_count: row.star_count, pull_count: row.pull_count,
    last_updated: row.last_updated === null ? null : new Date(row.last_updated).toISOString(), tags_count: row.tags_count,
  };
}

function toTag(row: TagRow): HubTag {
  return {
    name: row.name, digest: row.digest, size: row.size, media_type: row.media_type,
    platforms: JSON.parse(row.platforms) as HubTag['platforms'], last_pushed: new Date(row.pushed_at).toISOString(),
  };
}

function limits(page: PageRequest): [number, number] {
  const size = Math.max(1, Math.floor(page.pageSize));
  return [size, (Math.max(1, Math.floor(page.page)) - 1) * size];
}

/** `"word"` for an FTS5 query: a phrase, with quotes doubled. */
function phrase(word: string): string {
  return `"${word.replaceAll('"', '""')}"`;
}

/** `%text%`-style LIKE pattern with the wildcards of `text` escaped (ESCAPE '\'). */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface SqliteHubStoreOptions {
  /** The database file; created with its directory when missing. ':memory:' for a throwaway store. */
  path: string;
}

export class SqliteHubStore implements HubStore {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(options: SqliteHubStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.db.close();
      throw new Error(`hub database ${options.path} has schema version ${version}, newer than this registry's ${SCHEMA_VERSION}`);
    }
    this.db.transaction(() => {
      if (version === 1) this.db.exec(MIGRATE_FROM_1);
      this.db.exec(SCHEMA);
      if (version === 1) {
        this.db.exec("INSERT INTO repository_names(repository_names) VALUES ('rebuild')");
        this.db.exec("INSERT INTO repository_descriptions(repository_descriptions) VALUES ('rebuild')");
      }
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  /** One prepared statement per SQL text, kept for the life of the store. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) { statement = this.db.prepare(text); this.statements.set(text, statement); }
    return statement;
  }

  private row(repository: string): RepositoryRow | undefined {
    return this.sql(`SELECT ${COLUMNS} FROM repositories r WHERE r.repository = ?`).get(repository) as RepositoryRow | undefined;
  }

  private idOf(repository: string): number {
    const row = this.sql('SELECT id FROM repositories WHERE repository = ?').get(repository) as { id: number } | undefined;
    if (!row) throw new NotFoundError(`repository ${repository} not found`);
    return row.id;
  }

  private ensure(repository: string): number {
    const { namespace, name } = hubName(repository);
    this.sql('INSERT INTO repositories (repository, namespace, name) VALUES (?, ?, ?) ON CONFLICT(repository) DO NOTHING')
      .run(repository, namespace, name);
    return this.idOf(repository);
  }

  private putTag(id: number, tag: TagRecord, at: number): void {
    this.sql(`INSERT INTO tags (repo_id, name, digest, size, media_type, platforms, pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(repo_id, name) DO UPDATE SET digest = excluded.digest, size = excluded.size,
        media_type = excluded.media_type, platforms = excluded.platforms, pushed_at = excluded.pushed_at`)
      .run(id, tag.name, tag.digest, tag.size, tag.media_type, JSON.stringify(tag.platforms), tag.pushedAt?.getTime() ?? at);
  }

  private recount(id: number): void {
    this.sql('UPDATE repositories SET tags_count = (SELECT count(*) FROM tags WHERE repo_id = ?) WHERE id = ?').run(id, id);
  }

  getRepository(repository: string): HubRepository | undefined {
    const row = this.row(repository);
    return row && toRepository(row);
  }

  findRepository(namespace: string, name: string): HubRepository | undefined {
    for (const candidate of repositoryCandidates(namespace, name)) {
      const found = this.getRepository(candidate);
      if (found) return found;
    }
    return undefined;
  }

  repositoryNames(): string[] {
    return (this.sql('SELECT repository FROM repositories ORDER BY repository').pluck().all() as string[]);
  }

  recordPush(repository: string, tag: TagRecord | null, at: Date = new Date()): void {
    this.db.transaction(() => {
      const id = this.ensure(repository);
      if (tag) { this.putTag(id, tag, at.getTime()); this.recount(id); }
      this.sql('UPDATE repositories SET last_updated = ? WHERE id = ?').run(at.getTime(), id);
    })();
  }

  removeTags(repository: string, tags: string[]): void {
    this.db.transaction(() => {
      const row = this.sql('SELECT id FROM repositories WHERE repository = ?').get(repository) as { id: number } | undefined;
      if (!row) return;
      for (const tag of tags) this.sql('DELETE FROM tags WHERE repo_id = ? AND name = ?').run(row.id, tag);
      this.recount(row.id);
    })();
  }

  removeRepository(repository: string): void {
    this.sql('DELETE FROM repositories WHERE repository = ?').run(repository);
  }

  replaceTags(repository: string, tags: TagRecord[]): void {
    this.db.transaction(() => {
      const id = this.ensure(repository);
      const kept = new Set(tags.map((t) => t.name));
      const now = Date.now();
      const known = this.sql('SELECT name, digest, pushed_at FROM tags WHERE repo_id = ?').all(id) as TagRow[];
      const knownByName = new Map(known.map((t) => [t.name, t]));
      for (const old of known) if (!kept.has(old.name)) this.sql('DELETE FROM tags WHERE repo_id = ? AND name = ?').run(id, old.name);
      let latest = 0;
      for (const tag of tags) {
        // A tag that still points where it did keeps its push time; storage has no better one.
        const old = knownByName.get(tag.name);
        const pushedAt = tag.pushedAt?.getTime() ?? (old && old.digest === tag.digest ? old.pushed_at : now);
        this.putTag(id, { ...tag, pushedAt: new Date(pushedAt) }, pushedAt);
        latest = Math.max(latest, pushedAt);
      }
      this.recount(id);
      if (latest > 0) this.sql('UPDATE repositories SET last_updated = max(coalesce(last_updated, 0), ?) WHERE id = ?').run(latest, id);
    })();
  }

  recordPull(repository: string): void {
    this.sql('UPDATE repositories SET pull_count = pull_count + 1 WHERE repository = ?').run(repository);
  }

  updateRepository(repository: string, patch: RepositoryPatch): HubRepository {
    this.db.transaction(() => {
      const id = this.idOf(repository);
      if (patch.description !== undefined) this.sql('UPDATE repositories SET description = ? WHERE id = ?').run(patch.description, id);
      if (patch.full_description !== undefined) this.sql('UPDATE repositories SET full_description = ? WHERE id = ?').run(patch.full_description, id);
      if (patch.is_official !== undefined) this.sql('UPDATE repositories SET is_official = ? WHERE id = ?').run(patch.is_official ? 1 : 0, id);
    })();
    return this.getRepository(repository)!;
  }

  listTags(repository: string, page: PageRequest): HubPage<HubTag> {
    const row = this.row(repository);
    if (!row) return { count: 0, results: [] };
    const [limit, offset] = limits(page);
    const rows = this.sql('SELECT name, digest, size, media_type, platforms, pushed_at FROM tags WHERE repo_id = ? ORDER BY pushed_at DESC, name LIMIT ? OFFSET ?')
      .all(row.id, limit, offset) as TagRow[];
    return { count: row.tags_count, results: rows.map(toTag) };
  }

  getTag(repository: string, tag: string): HubTag | undefined {
    const row = this.sql(`SELECT t.name, t.digest, t.size, t.media_type, t.platforms, t.pushed_at FROM tags t
      JOIN repositories r ON r.id = t.repo_id WHERE r.repository = ? AND t.name = ?`).get(repository, tag) as TagRow | undefined;
    return row && toTag(row);
  }

  star(repository: string, user: string): boolean {
    return this.db.transaction(() => {
      const id = this.idOf(repository);
      const added = this.sql('INSERT INTO stars (repo_id, user, starred_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(id, user, Date.now()).changes === 1;
      if (added) this.sql('UPDATE repositories SET star_count = star_count + 1 WHERE id = ?').run(id);
      return added;
    })();
  }

  unstar(repository: string, user: string): boolean {
    return this.db.transaction(() => {
      const id = this.idOf(repository);
      const removed = this.sql('DELETE FROM stars WHERE repo_id = ? AND user = ?').run(id, user).changes === 1;
      if (removed) this.sql('UPDATE repositories SET star_count = star_count - 1 WHERE id = ?').run(id);
      return removed;
    })();
  }

  hasStarred(repository: string, user: string): boolean {
    return this.sql('SELECT 1 FROM stars s JOIN repositories r ON r.id = s.repo_id WHERE r.repository = ? AND s.user = ?')
      .get(repository, user) !== undefined;
  }

  starredBy(user: string, page: PageRequest): HubPage<HubRepository> {
    const [limit, offset] = limits(page);
    const count = this.sql('SELECT count(*) FROM stars WHERE user = ?').pluck().get(user) as number;
    const rows = this.sql(`SELECT ${COLUMNS} FROM stars s JOIN repositories r ON r.id = s.repo_id
      WHERE s.user = ? ORDER BY s.starred_at DESC, r.repository LIMIT ? OFFSET ?`).all(user, limit, offset) as RepositoryRow[];
    return { count, results: rows.map(toRepository) };
  }

  search(query: string, page: PageRequest): HubPage<HubRepository> {
    const q = query.trim().toLowerCase();
    const [limit, offset] = limits(page);
    if (q === '') {
      const count = this.sql('SELECT count(*) FROM repositories').pluck().get() as number;
      const rows = this.sql(`SELECT ${COLUMNS} FROM repositories r ORDER BY r.star_count DESC, r.pull_count DESC, r.repository LIMIT ? OFFSET ?`)
        .all(limit, offset) as RepositoryRow[];
      return { count, results: rows.map(toRepository) };
    }
    const params: Record<string, unknown> = { q, prefix: `${likeEscape(q)}%`, limit, offset };
    // The name contains q: through trigrams from 3 characters, else a scan of the names alone.
    const byName = q.length >= 3
      ? 'SELECT rowid AS id FROM repository_names WHERE repository_names MATCH @name'
      : 'SELECT id FROM repositories WHERE instr(repository, @q) > 0';
    if (q.length >= 3) params.name = `repository : ${phrase(q)}`;
    // The description has every word of q (as a word or the start of one).
    const words = q.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
    let matches = byName;
    if (words.length > 0) {
      params.words = words.map((w) => `${phrase(w)}*`).join(' AND ');
      matches += ' UNION SELECT rowid FROM repository_descriptions WHERE repository_descriptions MATCH @words';
    }
    // Sort the matches on what ranking needs, then read the page's rows only.
    const rows = this.sql(`WITH m(id) AS (${matches}),
      top AS (SELECT r.id, CASE WHEN r.name = @q OR r.repository = @q THEN 0
          WHEN r.name LIKE @prefix ESCAPE '\\' OR r.repository LIKE @prefix ESCAPE '\\' THEN 1
          WHEN instr(r.repository, @q) > 0 THEN 2 ELSE 3 END AS hub_rank, r.star_count, r.pull_count, r.repository,
          count(*) OVER () AS total
        FROM m JOIN repositories r ON r.id = m.id
        ORDER BY hub_rank, r.star_count DESC, r.pull_count DESC, r.repository LIMIT @limit OFFSET @offset)
      SELECT ${COLUMNS}, top.total FROM top JOIN repositories r ON r.id = top.id
      ORDER BY top.hub_rank, top.star_count DESC, top.pull_count DESC, top.repository`).all(params) as (RepositoryRow & { total: number })[];
    // The matches are counted in the same pass as they are ranked; a page past the end has no row to say.
    const count = rows.length > 0 ? rows[0]!.total
      : offset === 0 ? 0 : this.sql(`WITH m(id) AS (${matches}) SELECT count(*) FROM m`).pluck().get(params) as number;
    return { count, results: rows.map(toRepository) };
  }

  listNamespace(namespace: string, page: PageRequest): HubPage<HubRepository> {
    const [limit, offset] = limits(page);
    const count = this.sql('SELECT count(*) FROM repositories WHERE namespace = ?').pluck().get(namespace) as number;
    const rows = this.sql(`SELECT ${COLUMNS} FROM repositories r WHERE r.namespace = ? ORDER BY r.name, r.repository LIMIT ? OFFSET ?`)
      .all(namespace, limit, offset) as RepositoryRow[];
    return { count, results: rows.map(toRepository) };
  }

  mostStarred(limit: number): HubRepository[] {
    return (this.sql(`SELECT ${COLUMNS} FROM repositories r WHERE r.star_count > 0 ORDER BY r.star_count DESC, r.pull_count DESC LIMIT ?`)
      .all(limit) as RepositoryRow[]).map(toRepository);
  }

  mostPulled(limit: number): HubRepository[] {
    return (this.sql(`SELECT ${COLUMNS} FROM repositories r WHERE r.pull_count > 0 ORDER BY r.pull_count DESC LIMIT ?`)
      .all(limit) as RepositoryRow[]).map(toRepository);
  }

  recentlyPushed(limit: number): HubRepository[] {
    return (this.sql(`SELECT ${COLUMNS} FROM repositories r WHERE r.last_updated IS NOT NULL ORDER BY r.last_updated DESC LIMIT ?`)
      .all(limit) as RepositoryRow[]).map(toRepository);
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}
