// docker save (GET /images/get, GET /images/{name}/get) and docker load (POST /images/load).
import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { queryBool } from './http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { resolveSaveTargets, saveImages } from '../images/archive-save.js';
import { loadImages } from '../images/archive-load.js';
import { HttpProgressOutput } from '../progress/json-progress.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/images/get', handler: getImagesGet },
    { method: 'GET', path: '/images/{name:.*}/get', handler: getImagesGetOne },
    { method: 'POST', path: '/images/load', handler: postImagesLoad },
  ];
}

async function getImagesGet(ctx: RequestContext): Promise<void> {
  const names = ctx.query.getAll('names').filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('no images given to save');
  await save(ctx, names);
}

function getImagesGetOne(ctx: RequestContext): Promise<void> {
  return save(ctx, [ctx.params.name]);
}

async function save(ctx: RequestContext, names: string[]): Promise<void> {
  const targets = resolveSaveTargets(ctx.engine.images, names);
  const res = ctx.res!;
  try {
    await saveImages(ctx.engine, targets, res, () => res.writeHead(200, { 'Content-Type': 'application/x-tar' }));
  } catch (err) {
    // After the 200, a failure can only cut the archive short.
    if (res.headersSent) res.destroy(err as Error);
    else throw err;
  }
}

async function postImagesLoad(ctx: RequestContext): Promise<void> {
  const out = new HttpProgressOutput(ctx.res!);
  try {
    await loadImages(ctx.engine, ctx.req.iterator({ destroyOnReturn: false }), out, queryBool(ctx, 'quiet'));
  } catch (err) {
    // Let the client finish sending so it reads the error instead of a broken pipe.
    ctx.req.resume();
    // dockerd answers 200 and reports any failure of the load in the stream (the CLI prints it bare).
    const message = (err as Error).message;
    out.write({ errorDetail: { message }, error: message });
  }
  if (!out.started) ctx.res!.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res!.end();
}
