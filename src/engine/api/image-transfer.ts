// The pull and push halves of POST /images/create?fromImage= and POST /images/{name}/push: parse and
// validate everything, then stream Docker's JSON progress. An error before the first message is an
// HTTP error status; after it, an {"error"} message ends the stream, as dockerd does.
import type { RequestContext } from './router.js';
import { InvalidArgumentError, errorMessage, noSpaceOr } from '../../lib/errors.js';
import { isDigest } from '../../lib/oci-digest.js';
import { isValidTag, parseReference, withDefaultTag, type ImageReference } from '../../lib/image-reference.js';
import { decodeRegistryAuth } from '../distribution/credentials.js';
import { HttpProgressOutput, ProgressReporter } from '../progress/json-progress.js';
import { pullImage, type Platform } from '../distribution/pull.js';
import { pushImage } from '../distribution/push.js';
import { SEARCH_FILTERS, searchImages } from '../distribution/search.js';
import { queryFilters, queryInt, sendJson } from './http.js';

/** POST /images/create?fromImage=&tag=&platform= */
export async function handlePull(ctx: RequestContext): Promise<void> {
  const reference = pullReference(ctx.query.get('fromImage') ?? '', ctx.query.get('tag') ?? '');
  const platform = parsePlatform(ctx.query.get('platform') ?? '');
  const credentials = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  await streamProgress(ctx, `pull ${reference.domain}/${reference.path}`, (progress, signal) =>
    pullImage(ctx.engine, { reference, credentials, progress, platform, signal }));
}

/** POST /images/{name}/push?tag= */
export async function handlePush(ctx: RequestContext): Promise<void> {
  let reference = parseReference(ctx.params.name ?? '');
  const tag = ctx.query.get('tag') ?? '';
  if (tag) {
    if (!isValidTag(tag)) throw new InvalidArgumentError('invalid tag format');
    reference = { domain: reference.domain, path: reference.path, tag };
  }
  const credentials = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  await streamProgress(ctx, `push ${reference.domain}/${reference.path}`, (progress, signal) =>
    pushImage(ctx.engine, { reference, credentials, progress, signal }));
}

/** GET /images/search?term=&limit=&filters= */
export async function handleSearch(ctx: RequestContext): Promise<void> {
  const term = ctx.query.get('term') ?? '';
  const limit = queryInt(ctx, 'limit');
  const filters = queryFilters(ctx, SEARCH_FILTERS);
  const credentials = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  sendJson(ctx, 200, await searchImages(ctx.engine, { term, limit, filters, credentials }));
}

async function streamProgress(ctx: RequestContext, what: string, work: (progress: ProgressReporter, signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const res = ctx.res;
  if (!res) throw new InvalidArgumentError('this endpoint does not upgrade connections');
  const output = new HttpProgressOutput(res);
  const progress = new ProgressReporter(output);
  const abort = new AbortController();
  res.on('close', () => { if (!res.writableFinished) abort.abort(new Error('the client went away')); });
  try {
    await work(progress, abort.signal);
  } catch (failure) {
    const err = noSpaceOr(failure);
    ctx.engine.log.info(`${what} failed: ${errorMessage(err)}`);
    if (!output.started) throw err;
    progress.error(errorMessage(err));
  }
  res.end();
}

/**
 * The reference a pull names: fromImage, with `tag` as its tag or digest (the docker CLI sends a digest
 * pull as tag=sha256:...). A name without either pulls `latest`.
 */
export function pullReference(fromImage: string, tag: string): ImageReference {
  let ref = parseReference(fromImage);
  if (tag) {
    if (isDigest(tag)) ref = { domain: ref.domain, path: ref.path, digest: tag };
    else if (isValidTag(tag)) ref = { domain: ref.domain, path: ref.path, tag };
    else throw new InvalidArgumentError('invalid tag format');
  }
  return withDefaultTag(ref);
}

/** "os/arch[/variant]", as --platform takes it. Empty means the host's. */
export function parsePlatform(text: string): Platform | undefined {
  if (!text) return undefined;
  const parts = text.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new InvalidArgumentError(`"${text}": unknown operating system or architecture: invalid argument`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
}
