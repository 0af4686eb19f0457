import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { hijack, queryBool, queryFilters, queryInt, readJson, sendJson } from './http.js';
import { ConflictError, InvalidArgumentError } from '../../lib/errors.js';
import { inspectJson, summaryJson, containerSizes } from '../containers/container-views.js';
import { LIST_FILTERS, selectContainers } from '../containers/list-filters.js';
import { parseSignal } from '../containers/signals.js';
import { logStream, parseLogOptions, streamType } from './container-logs.js';
import { attachContainer } from '../containers/attach-stream.js';
import { attachWebSocket } from './attach-ws.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../lib/detach-keys.js';
import { containerNotRunning, parseTtySize, resizeTerminal } from '../containers/attach-resize.js';
import { statsStream } from './container-stats.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/containers/json', handler: getContainersList },
    { method: 'POST', path: '/containers/create', handler: postContainersCreate },
    { method: 'POST', path: '/containers/prune', handler: postContainersPrune },
    { method: 'GET', path: '/containers/{id}/json', handler: getContainersInspect },
    { method: 'GET', path: '/containers/{id}/logs', handler: getContainersLogs },
    { method: 'GET', path: '/containers/{id}/stats', handler: getContainersStats },
    { method: 'POST', path: '/containers/{id}/start', handler: postContainersStart },
    { method: 'POST', path: '/containers/{id}/stop', handler: postContainersStop },
    { method: 'POST', path: '/containers/{id}/restart', handler: postContainersRestart },
    { method: 'POST', path: '/containers/{id}/kill', handler: postContainersKill },
    { method: 'POST', path: '/containers/{id}/rename', handler: postContainersRename },
    { method: 'POST', path: '/containers/{id}/pause', handler: postContainersPause },
    { method: 'POST', path: '/containers/{id}/unpause', handler: postContainersUnpause },
    { method: 'POST', path: '/containers/{id}/update', handler: postContainersUpdate },
    { method: 'POST', path: '/containers/{id}/attach', handler: postContainersAttach },
    { method: 'GET', path: '/containers/{id}/attach/ws', handler: getContainersAttachWs },
    { method: 'POST', path: '/containers/{id}/resize', handler: postContainersResize },
    { method: 'POST', path: '/containers/{id}/wait', handler: postContainersWait },
    // {id:.*}: `rm --link` names a link as parent/alias
    { method: 'DELETE', path: '/containers/{id:.*}', handler: deleteContainers },
  ];
}

async function getContainersList(ctx: RequestContext): Promise<void> {
  const filters = queryFilters(ctx, LIST_FILTERS);
  const limit = queryInt(ctx, 'limit');
  const withSize = queryBool(ctx, 'size');
  const engine = ctx.engine;
  const selected = selectContainers(engine, engine.containers.all(), {
    all: queryBool(ctx, 'all'), limit: limit !== undefined && limit > 0 ? limit : undefined, filters,
  });
  const now = Date.now();
  const out = [];
  for (const c of selected) out.push(summaryJson(engine, c, now, withSize ? await containerSizes(engine, c) : undefined));
  sendJson(ctx, 200, out);
}

async function postContainersCreate(ctx: RequestContext): Promise<void> {
  const body = await readJson(ctx);
  const name = ctx.query.get('name') || undefined;
  // ?platform= exists from API 1.41 on; older clients' is ignored, as dockerd ignores it.
  const [major, minor] = ctx.apiVersion.split('.').map(Number);
  const platform = major! > 1 || minor! >= 41 ? ctx.query.get('platform') || undefined : undefined;
  sendJson(ctx, 201, await ctx.engine.containers.create(name, body, { apiVersion: ctx.apiVersion, platform }));
}

async function postContainersUpdate(ctx: RequestContext): Promise<void> {
  const body = await readJson(ctx);
  sendJson(ctx, 200, await ctx.engine.containers.update(ctx.params.id!, body));
}

async function postContainersPrune(ctx: RequestContext): Promise<void> {
  const filters = queryFilters(ctx, ['until', 'label', 'label!']);
  sendJson(ctx, 200, await ctx.engine.containers.prune(filters));
}

async function getContainersInspect(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const withSize = queryBool(ctx, 'size');
  sendJson(ctx, 200, inspectJson(ctx.engine, c, withSize, withSize ? await containerSizes(ctx.engine, c) : undefined));
}

async function postContainersStart(ctx: RequestContext): Promise<void> {
  if (ctx.query.get('detachKeys')) parseDetachKeys(ctx.query.get('detachKeys')!);
  await ctx.engine.containers.start(ctx.params.id);
  sendJson(ctx, 204, undefined);
}

function stopOptions(ctx: RequestContext): { timeout?: number; signal?: string } {
  const timeout = queryInt(ctx, 't');
  const signal = ctx.query.get('signal') || undefined;
  if (signal) parseSignal(signal);
  return { timeout, signal };
}

async function postContainersStop(ctx: RequestContext): Promise<void> {
  await ctx.engine.containers.stop(ctx.params.id, stopOptions(ctx));
  sendJson(ctx, 204, undefined);
}

async function postContainersRestart(ctx: RequestContext): Promise<void> {
  await ctx.engine.containers.restart(ctx.params.id, stopOptions(ctx));
  sendJson(ctx, 204, undefined);
}

async function postContainersKill(ctx: RequestContext): Promise<void> {
  await ctx.engine.containers.kill(ctx.params.id, ctx.query.get('signal') || 'SIGKILL');
  sendJson(ctx, 204, undefined);
}

async function postContainersRename(ctx: RequestContext): Promise<void> {
  await ctx.engine.containers.rename(ctx.params.id, ctx.query.get('name') ?? '');
  sendJson(ctx, 204, undefined);
}

async function postContainersPause(ctx: RequestContext): Promise<void> {
  await ctx.engine.containers.pause(ctx.params.id);
  sendJson(ctx, 204, undefined);
}

async function postContainersUnpause(ctx: RequestContext): Promise<void> {
  await ctx.engine.containers.unpause(ctx.params.id);
  sendJson(ctx, 204, undefined);
}

async function deleteContainers(ctx: RequestContext): Promise<void> {
  if (queryBool(ctx, 'link')) {
    await ctx.engine.containers.removeLink(ctx.params.id);
    sendJson(ctx, 204, undefined);
    return;
  }
  await ctx.engine.containers.remove(ctx.params.id, { force: queryBool(ctx, 'force'), removeVolumes: queryBool(ctx, 'v') });
  sendJson(ctx, 204, undefined);
}

/**
 * POST /containers/{id}/wait. The headers go out as soon as the waiter is registered (the docker CLI
 * starts the container only after that), the body when the condition is met.
 */
async function postContainersWait(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const condition = ctx.query.get('condition') || 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
    throw new InvalidArgumentError(`invalid condition: "${condition}"`);
  }
  const ac = new AbortController();
  const res = ctx.res!;
  const result = ctx.engine.containers.wait(c, condition, ac.signal);
  res.on('close', () => ac.abort());
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  try {
    const status = await result;
    if (status) res.end(JSON.stringify(status) + '\n');
    else res.end();
  } catch (err) {
    res.end(JSON.stringify({ StatusCode: -1, Error: { Message: String(err) } }) + '\n');
  }
}

async function getContainersLogs(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const opts = parseLogOptions(ctx);
  await logStream(ctx, c, opts);
}

async function getContainersStats(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  await statsStream(ctx, c, { stream: queryBool(ctx, 'stream', true), oneShot: queryBool(ctx, 'one-shot') });
}

async function postContainersAttach(ctx: RequestContext): Promise<void> {
  const c = attachableContainer(ctx);
  const opts = attachOptions(ctx);
  const tty = c.record.config.Tty;
  const conn = hijack(ctx, streamType(ctx, tty));
  await attachContainer(ctx.engine, c, conn, { ...opts, framed: true }).catch(() => conn.destroy());
}

async function getContainersAttachWs(ctx: RequestContext): Promise<void> {
  const c = attachableContainer(ctx);
  await attachWebSocket(ctx, c, attachOptions(ctx));
}

function attachableContainer(ctx: RequestContext) {
  const c = ctx.engine.containers.get(ctx.params.id);
  if (c.state.paused) throw new ConflictError(`container ${ctx.params.id} is paused, unpause the container before attach`);
  if (c.state.restarting) throw new ConflictError(`container ${ctx.params.id} is restarting, wait until the container is running`);
  return c;
}

function attachOptions(ctx: RequestContext) {
  return {
    stdin: queryBool(ctx, 'stdin'), stdout: queryBool(ctx, 'stdout'), stderr: queryBool(ctx, 'stderr'),
    logs: queryBool(ctx, 'logs'), stream: queryBool(ctx, 'stream'),
    detachKeys: parseDetachKeys(ctx.query.get('detachKeys') || DEFAULT_DETACH_KEYS),
  };
}

/** POST /containers/{id}/resize: the terminal conmon holds (a container without one: nothing to do). */
async function postContainersResize(ctx: RequestContext): Promise<void> {
  const size = parseTtySize(ctx.query);
  const c = ctx.engine.containers.get(ctx.params.id);
  if (!c.state.running || c.state.restarting) throw containerNotRunning(c.id);
  await resizeTerminal(ctx.engine.containers.bundleDir(c.id), c.record.config.Tty, size, () => containerNotRunning(c.id));
  ctx.engine.containers.events.action(c, 'resize', { height: String(size.height), width: String(size.width) });
  sendJson(ctx, 200, undefined);
}
