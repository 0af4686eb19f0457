import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { readJson, sendJson } from './http.js';
import { normaliseAuthConfig } from '../distribution/credentials.js';
import { login } from '../distribution/login.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'POST', path: '/auth', handler: postAuth },
  ];
}

/** docker login: checks the credentials against the registry; the client stores them. */
async function postAuth(ctx: RequestContext): Promise<void> {
  const auth = normaliseAuthConfig(await readJson(ctx));
  const result = await login(ctx.engine, auth);
  sendJson(ctx, 200, result);
}
