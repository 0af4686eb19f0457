import { pipeline } from 'node:stream/promises';
import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { queryBool, readBody, sendError, sendJson } from './http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { parseTagTarget, type ImageReference } from '../../lib/image-reference.js';
import { applyChanges } from '../images/config-changes.js';
import { readContainerPath, statContainerPath, writeContainerPath } from '../containers/archive.js';
import type { PathStat } from '../containers/archive-path.js';
import { containerChanges } from '../containers/changes.js';
import { exportContainer } from '../containers/export.js';
import { commitContainer } from '../containers/commit.js';
import { containerTop } from '../containers/top.js';
import { rootfsDirs } from '../containers/rootfs.js';

/** A container's files: cp (archive), diff (changes), export, top, and commit into an image. */
export function routes(_engine: Engine): Route[] {
  return [
    { method: 'HEAD', path: '/containers/{id}/archive', handler: headContainersArchive },
    { method: 'GET', path: '/containers/{id}/archive', handler: getContainersArchive },
    { method: 'PUT', path: '/containers/{id}/archive', handler: putContainersArchive },
    { method: 'GET', path: '/containers/{id}/changes', handler: getContainersChanges },
    { method: 'GET', path: '/containers/{id}/export', handler: getContainersExport },
    { method: 'GET', path: '/containers/{id}/top', handler: getContainersTop },
    { method: 'POST', path: '/commit', handler: postCommit },
  ];
}

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

function statHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function archivePath(ctx: RequestContext): string {
  const path = ctx.query.get('path');
  if (path === null || path === '') throw new InvalidArgumentError('bad parameter: path cannot be empty');
  return path;
}

async function headContainersArchive(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const stat = await statContainerPath(ctx.engine, c, ctx.params.id, archivePath(ctx));
  ctx.res!.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/json', 'Content-Length': 0 });
  ctx.res!.end();
}

async function getContainersArchive(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const res = ctx.res!;
  await readContainerPath(ctx.engine, c, ctx.params.id, archivePath(ctx), async (stat, tar) => {
    res.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/x-tar' });
    // After the 200, a failure can only cut the stream; the client sees a truncated tar.
    await pipeline(tar, res).catch(() => res.destroy());
  });
}

async function putContainersArchive(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  try {
    await writeContainerPath(ctx.engine, c, ctx.params.id, archivePath(ctx), ctx.req.iterator({ destroyOnReturn: false }), {
      noOverwriteDirNonDir: queryBool(ctx, 'noOverwriteDirNonDir'),
      copyUIDGID: queryBool(ctx, 'copyUIDGID'),
    });
  } catch (err) {
    // Let the client finish sending so it reads the error instead of a broken pipe.
    ctx.req.resume();
    sendError(ctx, err);
    return;
  }
  sendJson(ctx, 200, undefined);
}

async function getContainersChanges(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const upper = rootfsDirs(ctx.engine.containers.store.dir(c.id)).upper;
  const changes = await containerChanges(upper, c.record.lowerDirs);
  // dockerd answers null, not [], when nothing changed.
  sendJson(ctx, 200, changes.length ? changes : null);
}

async function getContainersExport(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const res = ctx.res!;
  await exportContainer(ctx.engine, c, async (tar) => {
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeline(tar, res).catch(() => res.destroy());
  });
}

async function getContainersTop(ctx: RequestContext): Promise<void> {
  const c = ctx.engine.containers.get(ctx.params.id);
  const top = await containerTop(c, ctx.query.get('ps_args') || '-ef');
  ctx.engine.containers.events.action(c, 'top');
  sendJson(ctx, 200, top);
}

async function postCommit(ctx: RequestContext): Promise<void> {
  const container = ctx.query.get('container') ?? '';
  const c = ctx.engine.containers.get(container);
  const repo = ctx.query.get('repo') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  let ref: ImageReference | undefined;
  if (repo) ref = parseTagTarget(repo, tag);
  else if (tag) throw new InvalidArgumentError('invalid reference format: a tag needs a repository');
  const changes = ctx.query.getAll('changes');
  applyChanges({}, changes);
  // The body may carry a container config; the container's own is used, so it is only drained.
  await readBody(ctx, 1024 * 1024);
  const commit = () => commitContainer(ctx.engine, c, {
    ref, changes, comment: ctx.query.get('comment') ?? '', author: ctx.query.get('author') ?? '',
  });
  const id = queryBool(ctx, 'pause', true) ? await ctx.engine.containers.whilePaused(c, commit) : await commit();
  sendJson(ctx, 201, { Id: id });
}
