import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { apiAtLeast, queryBool, queryFilters, sendJson, sendError } from './http.js';
import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { parseTagTarget, type ImageReference } from '../../lib/image-reference.js';
import { importImage } from '../images/image-import.js';
import { applyChanges } from '../images/config-changes.js';
import { deleteImage } from '../images/image-delete.js';
import { LIST_FILTERS, PRUNE_FILTERS, listImages, pruneImages } from '../images/image-list.js';
import { imageHistory, imageInspect, imageSummary } from '../images/image-views.js';
import { hostPlatform } from '../images/image-config.js';
import { handlePull, handlePush, handleSearch } from './image-transfer.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/images/json', handler: getImagesList },
    { method: 'POST', path: '/images/create', handler: postImagesCreate },
    { method: 'POST', path: '/images/prune', handler: postImagesPrune },
    { method: 'GET', path: '/images/{name:.*}/json', handler: getImagesInspect },
    { method: 'GET', path: '/images/{name:.*}/history', handler: getImagesHistory },
    { method: 'POST', path: '/images/{name:.*}/tag', handler: postImagesTag },
    { method: 'POST', path: '/images/{name:.*}/push', handler: postImagesPush },
    { method: 'GET', path: '/images/search', handler: getImagesSearch },
    { method: 'DELETE', path: '/images/{name:.*}', handler: deleteImages },
  ];
}

function getImagesList(ctx: RequestContext): void {
  const filters = queryFilters(ctx, LIST_FILTERS);
  const images = listImages(ctx.engine.images, { all: queryBool(ctx, 'all'), filters });
  sendJson(ctx, 200, images.map(imageSummary));
}

/** `docker import` (fromSrc); `docker pull` (fromImage) is served by the distribution code. */
async function postImagesCreate(ctx: RequestContext): Promise<void> {
  if (ctx.query.get('fromImage')) return postImagesCreatePull(ctx);
  const fromSrc = ctx.query.get('fromSrc');
  if (!fromSrc) throw new InvalidArgumentError('either fromImage or fromSrc is required');
  if (fromSrc !== '-') throw new InvalidArgumentError(`importing from a URL is not supported: send the archive as the request body (fromSrc=-)`);
  checkPlatform(ctx.query.get('platform') ?? '');
  const repo = ctx.query.get('repo') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  let ref: ImageReference | undefined;
  if (repo) ref = parseTagTarget(repo, tag);
  const changes = ctx.query.getAll('changes');
  applyChanges({}, changes); // refuse bad changes before reading the archive
  let image;
  try {
    image = await importImage(ctx.engine.images, {
      log: ctx.engine.log,
      source: ctx.req.iterator({ destroyOnReturn: false }),
      ref, changes, message: ctx.query.get('message') ?? '', sourceName: '-',
    });
  } catch (err) {
    // Let the client finish sending so it reads the error instead of a broken pipe.
    ctx.req.resume();
    sendError(ctx, err);
    return;
  }
  const res = ctx.res!;
  const body = JSON.stringify({ status: image.id }) + '\r\n';
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** `docker pull`: see src/engine/distribution/http-handlers.ts. */
function postImagesCreatePull(ctx: RequestContext): Promise<void> {
  return handlePull(ctx);
}

/** `docker push`: see src/engine/distribution/http-handlers.ts. */
function postImagesPush(ctx: RequestContext): Promise<void> {
  return handlePush(ctx);
}

/** `docker search`: see src/engine/distribution/http-handlers.ts. */
function getImagesSearch(ctx: RequestContext): Promise<void> {
  return handleSearch(ctx);
}

function checkPlatform(platform: string): void {
  if (!platform) return;
  const [os, arch] = platform.split('/');
  const host = hostPlatform();
  if (os !== host.os || (arch !== undefined && arch !== host.architecture)) {
    throw new InvalidArgumentError(`image operating system/architecture "${platform}" is not supported by this engine (${host.os}/${host.architecture})`);
  }
}

async function getImagesInspect(ctx: RequestContext): Promise<void> {
  const store = ctx.engine.images;
  sendJson(ctx, 200, imageInspect(store, await store.resolve(ctx.params.name), !apiAtLeast(ctx, '1.45')));
}

async function getImagesHistory(ctx: RequestContext): Promise<void> {
  const store = ctx.engine.images;
  sendJson(ctx, 200, imageHistory(store, await store.resolve(ctx.params.name)));
}

async function postImagesTag(ctx: RequestContext): Promise<void> {
  const repo = ctx.query.get('repo') ?? '';
  if (!repo) throw new InvalidArgumentError('repository name must have at least one component');
  const ref = parseTagTarget(repo, ctx.query.get('tag') ?? '');
  const store = ctx.engine.images;
  let imageId: string;
  try {
    imageId = store.resolveId(ctx.params.name);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new NotFoundError(err.message);
    throw err;
  }
  await store.tag(imageId, ref);
  sendJson(ctx, 201, undefined);
}

async function deleteImages(ctx: RequestContext): Promise<void> {
  const records = await deleteImage(ctx.engine.images, ctx.params.name, {
    force: queryBool(ctx, 'force'),
    prune: !queryBool(ctx, 'noprune'),
  });
  sendJson(ctx, 200, records);
}

async function postImagesPrune(ctx: RequestContext): Promise<void> {
  const { records, reclaimed } = await pruneImages(ctx.engine.images, queryFilters(ctx, PRUNE_FILTERS));
  sendJson(ctx, 200, { ImagesDeleted: records.length ? records : null, SpaceReclaimed: reclaimed });
}
