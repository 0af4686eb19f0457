// Replies of the hub's JSON API in Docker Hub's shapes: repositories, tags, pages with next/previous
// links, and errors as {"message"} with the status of their kind.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { BerthError, type ErrorKind } from '../../lib/errors.js';
import { RegistryError } from '../base/errors.js';
import { sendJSON } from '../base/http.js';
import type { HubPage, HubRepository, HubTag } from '../hub/hub-store.js';

export function repositoryJSON(r: HubRepository, hasStarred?: boolean): Record<string, unknown> {
  return {
    user: r.namespace, namespace: r.namespace, name: r.name, repository_type: 'image', status: 1,
    description: r.description, full_description: r.full_description, is_private: false, is_automated: false,
    is_official: r.is_official, star_count: r.star_count, pull_count: r.pull_count, last_updated: r.last_updated,
    tags_count: r.tags_count, ...(hasStarred !== undefined ? { has_starred: hasStarred } : {}),
  };
}

export function tagJSON(t: HubTag): Record<string, unknown> {
  const images = t.platforms.length > 0
    ? t.platforms.map((p) => ({
      architecture: p.architecture, os: p.os, variant: p.variant ?? null, digest: p.digest ?? t.digest, size: p.size ?? t.size,
      status: 'active', last_pushed: t.last_pushed,
    }))
    : [];
  return {
    name: t.name, digest: t.digest, media_type: t.media_type, full_size: t.size, last_updated: t.last_pushed,
    tag_last_pushed: t.last_pushed, tag_status: 'active', content_type: 'image', images,
  };
}

/** page (from 1) and page_size (1..100, default `fallback`) of a request; 400 for anything else. */
export function pageOf(query: URLSearchParams, fallback: number, sizeParam = 'page_size'): { page: number; pageSize: number } {
  const number = (name: string, value: string | null, dflt: number, max: number): number => {
    if (value === null || value === '') return dflt;
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new RegistryError('PAGINATION_NUMBER_INVALID', `${name} must be a number from 1 to ${max}`);
    }
    return Number(value);
  };
  return { page: number('page', query.get('page'), 1, 1_000_000), pageSize: number(sizeParam, query.get(sizeParam), fallback, 100) };
}

function origin(req: IncomingMessage): string {
  const tls = (req.socket as TLSSocket).encrypted === true;
  return `${tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}

/** Docker Hub's paged list: {count, next, previous, results}. */
export function sendPage<T>(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams,
  at: { page: number; pageSize: number }, page: HubPage<T>, toJSON: (item: T) => unknown): void {
  const link = (n: number): string => {
    const q = new URLSearchParams(query);
    q.set('page', String(n));
    q.set('page_size', String(at.pageSize));
    return `${origin(req)}${path}?${q}`;
  };
  sendJSON(res, 200, {
    count: page.count,
    next: at.page * at.pageSize < page.count ? link(at.page + 1) : null,
    previous: at.page > 1 ? link(at.page - 1) : null,
    results: page.results.map(toJSON),
  });
}

const KIND_STATUS: Record<ErrorKind, number> = {
  NOT_FOUND: 404, INVALID_ARGUMENT: 400, CONFLICT: 409, NOT_MODIFIED: 304, FORBIDDEN: 403, UNAUTHORIZED: 401,
  UNAVAILABLE: 503, SYSTEM: 500, UNKNOWN: 500, NOT_IMPLEMENTED: 501,
};

/** An error of the hub API: {"message"} with the status of its kind (a RegistryError keeps its status and challenge). */
export function sendHubError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  if (err instanceof RegistryError) {
    sendJSON(res, err.status, { message: err.message }, err.headers);
  } else if (err instanceof BerthError) {
    sendJSON(res, KIND_STATUS[err.code], { message: err.message });
  } else {
    sendJSON(res, 500, { message: err instanceof Error ? err.message : String(err) });
  }
}
