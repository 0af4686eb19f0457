// docker search: the term names a registry as a reference does ("localhost:5000/busy" searches
// localhost:5000 for "busy", "busy" searches docker.io); the query goes to that registry's /v1/search,
// the results are filtered as dockerd filters them (is-official, stars).
import type * as Undici from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import { hasCredentials, type AuthConfig } from './credentials.js';
import type { RegistryServices } from './distribution.js';
import { RegistryResponseError, RegistryUnreachableError } from './errors.js';
import { readCappedReply } from './http-body.js';
import { DOCKER_IO } from './registry-hosts.js';

/** undici loads at the first registry request, not at daemon start. */
const undici = lazyModule<typeof Undici>('undici');

export interface SearchResult {
  description: string;
  is_official: boolean;
  is_automated: boolean;
  name: string;
  star_count: number;
}

export interface SearchOptions {
  term: string;
  limit?: number;
  filters: Map<string, string[]>;
  credentials: AuthConfig;
}

export const SEARCH_FILTERS = ['is-official', 'is-automated', 'stars'];
const MAX_SEARCH_BODY = 8 * 1024 * 1024;

export async function searchImages(engine: RegistryServices, options: SearchOptions): Promise<SearchResult[]> {
  const limit = options.limit ?? 25;
  if (limit < 1 || limit > 100) throw new InvalidArgumentError(`limit ${limit} is outside the range of [1, 100]`);
  const { registry, query } = splitTerm(options.term);
  const filter = searchFilter(options.filters);
  const dist = engine.distribution;
  // docker.io's search lives on its index host; a mirror has none.
  const endpoints = registry === DOCKER_IO
    ? [await (async () => ({ origin: 'https://index.docker.io', dispatcher: await dist.hosts.dispatcherFor('https://index.docker.io') }))()]
    : await dist.hosts.endpoints(registry, true);
  let lastError: unknown;
  for (const endpoint of endpoints) {
    const url = `${endpoint.origin}/v1/search?${new URLSearchParams({ q: query, n: String(limit) })}`;
    const headers: Record<string, string> = {};
    if (hasCredentials(options.credentials) && options.credentials.username) {
      headers.authorization = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password ?? ''}`).toString('base64')}`;
    }
    let response;
    try {
      response = await undici().request(url, { method: 'GET', dispatcher: endpoint.dispatcher, headers });
    } catch (err) {
      lastError = new RegistryUnreachableError(`Get "${url}": ${errorMessage(err)}`, { cause: err });
      continue;
    }
    const text = (await readCappedReply(response.body, MAX_SEARCH_BODY, 'search reply')).toString('utf8');
    if (response.statusCode === 404 || response.statusCode === 405) {
      throw new InvalidArgumentError(`registry ${registry} does not offer search (its /v1/search answered ${response.statusCode})`);
    }
    // dockerd's words for any other refusal (a 401 without credentials, a 500), answered as 500.
    if (response.statusCode !== 200) {
      throw new RegistryResponseError(response.statusCode, [], 'GET', url).withMessage(`Unexpected status code ${response.statusCode}`);
    }
    let parsed: { results?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InvalidArgumentError(`registry ${registry} answered the search with something that is not JSON`);
    }
    const results = Array.isArray(parsed.results) ? parsed.results : [];
    return results.map(toResult).filter(filter).slice(0, limit);
  }
  throw lastError;
}

/** "host:port/rest" searches host:port for "rest"; anything else searches docker.io. */
function splitTerm(term: string): { registry: string; query: string } {
  if (!term) throw new InvalidArgumentError('a search term is required');
  const slash = term.indexOf('/');
  const first = slash === -1 ? '' : term.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first === 'index.docker.io' ? DOCKER_IO : first, query: term.slice(slash + 1) };
  }
  return { registry: DOCKER_IO, query: term };
}

function toResult(value: unknown): SearchResult {
  const r = (value ?? {}) as Record<string, unknown>;
  return {
    description: typeof r.description === 'string' ? r.description : '',
    is_official: r.is_official === true,
    is_automated: false,
    name: typeof r.name === 'string' ? r.name : '',
    star_count: typeof r.star_count === 'number' ? r.star_count : 0,
  };
}

function searchFilter(filters: Map<string, string[]>): (r: SearchResult) => boolean {
  const bool = (name: string): boolean | undefined => {
    const values = filters.get(name);
    if (!values?.length) return undefined;
    const v = values[values.length - 1]!;
    if (v !== 'true' && v !== 'false') throw new InvalidArgumentError(`invalid filter '${name}=${v}'`);
    return v === 'true';
  };
  const official = bool('is-official');
  const automated = bool('is-automated');
  let stars = 0;
  for (const v of filters.get('stars') ?? []) {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid filter 'stars=${v}'`);
    stars = Math.max(stars, n);
  }
  return (r) => (official === undefined || r.is_official === official)
    && (automated === undefined || r.is_automated === automated) && r.star_count >= stars;
}
