// POST /build (docker build, the classic builder: Builder-Version 1 in /_ping) and POST /build/prune.
// Everything in the query is checked, the context unpacked and the Dockerfile parsed before the first
// byte of the 200, so those errors get a status; after it, errors end the JSON stream.
import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { queryBool, sendError, sendJson } from './http.js';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import { parseReference, withDefaultTag, type ImageReference } from '../../lib/image-reference.js';
import { decodeRegistryConfig } from '../distribution/credentials.js';
import { openContext } from '../build/build-context.js';
import { BuildOutput } from '../build/build-output.js';
import { Builder } from '../build/builder.js';
import { planBuild, type BuildOptions } from '../build/build-plan.js';

import { RunStepError } from '../build/build-step-run.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'POST', path: '/build', handler: postBuild },
    { method: 'POST', path: '/build/prune', handler: postBuildPrune },
  ];
}

async function postBuild(ctx: RequestContext): Promise<void> {
  let options: BuildOptions;
  let context;
  let plan;
  try {
    options = parseBuildOptions(ctx);
    context = await openContext(ctx.engine.builds, ctx.req.iterator({ destroyOnReturn: false }), options.dockerfile);
  } catch (err) {
    // Let the client finish sending so it reads the error instead of a broken pipe.
    ctx.req.resume();
    sendError(ctx, err);
    return;
  }
  try {
    plan = planBuild(context, options);
  } catch (err) {
    await context.remove();
    throw err;
  }
  const out = new BuildOutput(ctx.res!, options.quiet);
  try {
    const builder = new Builder(ctx.engine, context, options, out, ctx.engine.builds.cache);
    const imageId = await builder.build(plan.file, plan.stages);
    out.quietResult(imageId);
  } catch (err) {
    if (!out.started && !options.quiet) throw err;
    out.error(errorMessage(err), err instanceof RunStepError ? err.exitCode : undefined);
  } finally {
    await context.remove();
  }
  out.end();
}

/** The query of POST /build, as the docker CLI sends it. */
export function parseBuildOptions(ctx: RequestContext): BuildOptions {
  const q = ctx.query;
  if (q.get('remote')) throw new InvalidArgumentError('building from a remote context (git or URL) is not supported: send the context as a tar');
  const version = q.get('version') ?? '1';
  if (version !== '1') throw new InvalidArgumentError(`builder version ${version} is not supported: this daemon has the classic builder only (Builder-Version 1)`);
  if (queryBool(ctx, 'squash')) throw new InvalidArgumentError('squash is only supported with experimental mode');
  const tags: ImageReference[] = q.getAll('t').filter(Boolean).map((t) => {
    const ref = withDefaultTag(parseReference(t));
    if (ref.digest) throw new InvalidArgumentError(`invalid tag ${t}: a tag cannot hold a digest`);
    return ref;
  });
  return {
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    tags,
    quiet: queryBool(ctx, 'q'),
    noCache: queryBool(ctx, 'nocache'),
    ...cacheFrom(q.get('cachefrom')),
    remove: queryBool(ctx, 'rm', true),
    forceRemove: queryBool(ctx, 'forcerm'),
    pull: queryBool(ctx, 'pull'),
    buildArgs: jsonMap(q.get('buildargs'), 'buildargs', true) as Record<string, string | null>,
    labels: jsonMap(q.get('labels'), 'labels', false) as Record<string, string>,
    target: q.get('target') ?? '',
    networkMode: q.get('networkmode') || 'default',
    extraHosts: q.getAll('extrahosts').flatMap((h) => h.split(',')).filter(Boolean),
    registryAuth: decodeRegistryConfig(ctx.req.headers['x-registry-config']),
  };
}

/** `cachefrom`: a JSON list of image names, as the docker CLI sends it; an empty list is no list. */
function cacheFrom(text: string | null): { cacheFrom?: string[] } {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid cachefrom: ${errorMessage(err)}`);
  }
  if (parsed === null) return {};
  if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string')) throw new InvalidArgumentError('invalid cachefrom: not a JSON list of strings');
  return parsed.length ? { cacheFrom: parsed as string[] } : {};
}

function jsonMap(text: string | null, name: string, nullable: boolean): Record<string, string | null> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid ${name}: ${errorMessage(err)}`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`invalid ${name}: not a JSON object`);
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v !== 'string' && !(nullable && v === null)) throw new InvalidArgumentError(`invalid ${name}: the value of ${k} is not a string`);
  }
  return parsed as Record<string, string | null>;
}

/** POST /build/prune: forgets the layer cache (the step images stay, as images; `docker image prune` takes them). */
async function postBuildPrune(ctx: RequestContext): Promise<void> {
  const cache = ctx.engine.builds.cache;
  const keys = await cache.clear();
  sendJson(ctx, 200, { CachesDeleted: keys.length ? keys : null, SpaceReclaimed: 0 });
}
