// Listings: GET /v2/<name>/tags/list, GET /v2/_catalog, GET /v2/<name>/referrers/<digest>, GET /v2/.
import { OCI_INDEX } from '../../lib/oci-media-types.js';
import { listRepositories } from '../content/catalog.js';
import { paginate, pagination, sendJSON } from '../base/http.js';
import type { RequestContext } from './context.js';

const CATALOG_PAGE = 1000;

function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export async function getBase({ res }: RequestContext): Promise<void> {
  sendJSON(res, 200, {});
}

export async function getTags({ res, registry, params, query }: RequestContext): Promise<void> {
  const { name } = params;
  const tags = await registry.manifests.tags(name);
  const { n, last } = pagination(query, undefined);
  const { page, more } = paginate(tags, n, last);
  const headers: Record<string, string> = {};
  if (more) headers.Link = nextLink(`/v2/${name}/tags/list`, n!, page[page.length - 1]);
  sendJSON(res, 200, { name, tags: page }, headers);
}

export async function getCatalog({ res, registry, query }: RequestContext): Promise<void> {
  const repos = await listRepositories(registry.driver);
  const { n, last } = pagination(query, CATALOG_PAGE);
  const { page, more } = paginate(repos, n, last);
  const headers: Record<string, string> = {};
  if (more) headers.Link = nextLink('/v2/_catalog', n!, page[page.length - 1]);
  sendJSON(res, 200, { repositories: page }, headers);
}

export async function getReferrers({ res, registry, params, query }: RequestContext): Promise<void> {
  const artifactType = query.get('artifactType') ?? undefined;
  const index = await registry.manifests.referrers(params.name, params.digest, artifactType);
  const headers: Record<string, string> = {};
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  sendJSON(res, 200, index, headers, OCI_INDEX);
}
