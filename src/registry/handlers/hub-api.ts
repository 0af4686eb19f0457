// The hub's JSON API, with Docker Hub's paths and shapes: /v2/repositories/{namespace}/[{name}/[tags/|stars/]],
// /v2/search/repositories/, and docker search's /v1/_ping and /v1/search. Reads need a signed-in user
// when the registry has auth (the same users as pulls); stars and edits always do.
import { ForbiddenError, InvalidArgumentError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import { isRepositoryName } from '../../lib/oci-names.js';
import { readCappedRequest } from '../../lib/read-capped.js';
import { RegistryError } from '../base/errors.js';
import { sendEmpty, sendJSON } from '../base/http.js';
import type { Hub } from '../hub/hub.js';
import type { HubRepository, RepositoryPatch } from '../hub/hub-store.js';
import type { RequestContext } from './context.js';
import { pageOf, repositoryJSON, sendPage, tagJSON } from './hub-reply.js';

const MAX_DESCRIPTION = 100;
const MAX_FULL_DESCRIPTION = 25_000;
const MAX_PATCH_BODY = 64 * 1024;

function hubOf(ctx: RequestContext): Hub {
  if (!ctx.hub) throw new NotFoundError('the hub is disabled on this registry (hub.enabled: false)');
  return ctx.hub;
}

/** The repository a Hub path names; 400 for a name that is not a repository name, 404 for one the hub does not know. */
function repositoryOf(ctx: RequestContext): HubRepository {
  const { namespace, repo } = ctx.params;
  if (!isRepositoryName(`${namespace}/${repo}`)) {
    throw new RegistryError('NAME_INVALID', `invalid repository name ${JSON.stringify(`${namespace}/${repo}`.slice(0, 300))}`);
  }
  const found = hubOf(ctx).store.findRepository(namespace, repo);
  if (!found) throw new NotFoundError(`repository ${namespace}/${repo} not found`);
  return found;
}

function requireUser(ctx: RequestContext, what: string): string {
  if (ctx.user) return ctx.user;
  throw new UnauthorizedError(`${what} needs a signed-in user${hubOf(ctx).identity.enabled ? '' : ': this registry has no auth configured'}`);
}

export async function getPing({ res }: RequestContext): Promise<void> {
  // What docker's v1 endpoint check reads: a standalone registry (no separate index).
  sendJSON(res, 200, { standalone: true }, { 'X-Docker-Registry-Version': '0.6.0', 'X-Docker-Registry-Standalone': 'true' });
}

/** GET /v1/search?q=&n=&page=: docker search (through dockerd or berthd). */
export async function getV1Search(ctx: RequestContext): Promise<void> {
  const q = ctx.query.get('q') ?? '';
  const at = pageOf(ctx.query, 25, 'n');
  const found = hubOf(ctx).store.search(q, at);
  sendJSON(ctx.res, 200, {
    query: q, num_results: found.count, num_pages: Math.ceil(found.count / at.pageSize), page: at.page, page_size: at.pageSize,
    results: found.results.map((r) => ({
      name: r.repository, description: r.description, star_count: r.star_count, pull_count: r.pull_count,
      is_official: r.is_official, is_automated: false,
    })),
  });
}

/** GET /v2/search/repositories/?query=&page=&page_size= (Docker Hub's v2 search). */
export async function getSearchRepositories(ctx: RequestContext): Promise<void> {
  const at = pageOf(ctx.query, 25);
  const found = hubOf(ctx).store.search(ctx.query.get('query') ?? ctx.query.get('q') ?? '', at);
  sendPage(ctx.req, ctx.res, '/v2/search/repositories/', ctx.query, at, found, (r: HubRepository) => ({
    repo_name: r.repository, short_description: r.description, star_count: r.star_count, pull_count: r.pull_count,
    repo_owner: r.namespace, is_automated: false, is_official: r.is_official,
  }));
}

export async function getNamespaceRepositories(ctx: RequestContext): Promise<void> {
  const { namespace } = ctx.params;
  if (!isRepositoryName(namespace)) throw new RegistryError('NAME_INVALID', `invalid namespace ${JSON.stringify(namespace.slice(0, 300))}`);
  const at = pageOf(ctx.query, 10);
  const hub = hubOf(ctx);
  sendPage(ctx.req, ctx.res, `/v2/repositories/${namespace}/`, ctx.query, at, hub.store.listNamespace(namespace, at),
    (r: HubRepository) => repositoryJSON(r, ctx.user ? hub.store.hasStarred(r.repository, ctx.user) : undefined));
}

export async function getRepository(ctx: RequestContext): Promise<void> {
  const repo = repositoryOf(ctx);
  sendJSON(ctx.res, 200, repositoryJSON(repo, ctx.user ? hubOf(ctx).store.hasStarred(repo.repository, ctx.user) : undefined));
}

function parsePatch(body: Buffer): RepositoryPatch {
  let value: unknown;
  try { value = JSON.parse(body.toString('utf8')); } catch (err) {
    throw new InvalidArgumentError(`the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('the body must be a JSON object');
  const patch: RepositoryPatch = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'description' || key === 'full_description') {
      if (typeof v !== 'string') throw new InvalidArgumentError(`${key} must be a string`);
      const max = key === 'description' ? MAX_DESCRIPTION : MAX_FULL_DESCRIPTION;
      if (v.length > max) throw new InvalidArgumentError(`${key} is limited to ${max} characters`);
      if (key === 'description' && /[\r\n]/.test(v)) throw new InvalidArgumentError('description is one line (full_description holds the long text)');
      patch[key] = v;
    } else if (key === 'is_official') {
      if (typeof v !== 'boolean') throw new InvalidArgumentError('is_official must be true or false');
      patch.is_official = v;
    } else {
      throw new InvalidArgumentError(`unknown field ${JSON.stringify(key.slice(0, 100))} (description, full_description, is_official)`);
    }
  }
  return patch;
}

/** PATCH /v2/repositories/{namespace}/{name}/: description and full_description by the owner or an admin, is_official by an admin. */
export async function patchRepository(ctx: RequestContext): Promise<void> {
  const hub = hubOf(ctx);
  const repo = repositoryOf(ctx);
  const user = requireUser(ctx, 'changing a repository');
  const patch = parsePatch(await readCappedRequest(ctx.req, MAX_PATCH_BODY,
    () => new InvalidArgumentError(`the body is limited to ${MAX_PATCH_BODY} bytes`)));
  if (patch.is_official !== undefined && !hub.policy.mayMarkOfficial(user)) {
    throw new ForbiddenError(`only an admin may mark ${repo.repository} official`);
  }
  if ((patch.description !== undefined || patch.full_description !== undefined) && !hub.policy.mayWrite(user, repo.repository)) {
    throw new ForbiddenError(`${user} may not change ${repo.repository}: it belongs to ${hub.policy.ownerOf(repo.repository) ?? 'the admins'}`);
  }
  const updated = hub.store.updateRepository(repo.repository, patch);
  sendJSON(ctx.res, 200, repositoryJSON(updated, hub.store.hasStarred(updated.repository, user)));
}

export async function getRepositoryTags(ctx: RequestContext): Promise<void> {
  const repo = repositoryOf(ctx);
  const at = pageOf(ctx.query, 10);
  sendPage(ctx.req, ctx.res, `/v2/repositories/${ctx.params.namespace}/${ctx.params.repo}/tags/`, ctx.query, at,
    hubOf(ctx).store.listTags(repo.repository, at), tagJSON);
}

export async function getRepositoryTag(ctx: RequestContext): Promise<void> {
  const repo = repositoryOf(ctx);
  const tag = hubOf(ctx).store.getTag(repo.repository, ctx.params.tag);
  if (!tag) throw new NotFoundError(`tag ${ctx.params.tag.slice(0, 200)} not found in ${repo.repository}`);
  sendJSON(ctx.res, 200, tagJSON(tag));
}

/** POST stars for the signed-in user (once: a second POST changes nothing), DELETE unstars. */
export async function starRepository(ctx: RequestContext): Promise<void> {
  const hub = hubOf(ctx);
  const repo = repositoryOf(ctx);
  const user = requireUser(ctx, 'starring');
  if (ctx.req.method === 'DELETE') {
    hub.store.unstar(repo.repository, user);
    sendEmpty(ctx.res, 204);
    return;
  }
  const added = hub.store.star(repo.repository, user);
  sendJSON(ctx.res, added ? 201 : 200, repositoryJSON(hub.store.getRepository(repo.repository)!, true));
}
