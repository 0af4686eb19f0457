import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { apiAtLeast, queryBool, queryFilters, readJson, sendJson } from './http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { LIST_FILTERS, PRUNE_FILTERS } from '../volumes/volume-filters.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/volumes', handler: getVolumesList },
    { method: 'POST', path: '/volumes/create', handler: postVolumesCreate },
    { method: 'POST', path: '/volumes/prune', handler: postVolumesPrune },
    { method: 'GET', path: '/volumes/{name}', handler: getVolumesInspect },
    { method: 'DELETE', path: '/volumes/{name}', handler: deleteVolumes },
  ];
}

function getVolumesList(ctx: RequestContext): void {
  const filters = queryFilters(ctx, LIST_FILTERS);
  sendJson(ctx, 200, { Volumes: ctx.engine.volumes.list(filters), Warnings: null });
}

interface VolumeCreateBody {
  Name?: unknown;
  Driver?: unknown;
  DriverOpts?: unknown;
  Labels?: unknown;
}

async function postVolumesCreate(ctx: RequestContext): Promise<void> {
  const body = (await readJson<VolumeCreateBody>(ctx)) ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('invalid JSON: volume config must be an object');
  const volume = await ctx.engine.volumes.create({
    name: optionalString(body.Name, 'Name'),
    driver: optionalString(body.Driver, 'Driver'),
    options: stringMap(body.DriverOpts, 'DriverOpts'),
    labels: stringMap(body.Labels, 'Labels'),
  });
  sendJson(ctx, 201, volume);
}

function getVolumesInspect(ctx: RequestContext): void {
  sendJson(ctx, 200, ctx.engine.volumes.get(ctx.params.name));
}

async function deleteVolumes(ctx: RequestContext): Promise<void> {
  await ctx.engine.volumes.remove(ctx.params.name, queryBool(ctx, 'force'));
  sendJson(ctx, 204, undefined);
}

async function postVolumesPrune(ctx: RequestContext): Promise<void> {
  const filters = queryFilters(ctx, PRUNE_FILTERS);
  // Before API 1.42 prune removed named volumes too; dockerd keeps that rule for old clients.
  if (!apiAtLeast(ctx, '1.42')) filters.set('all', ['true']);
  sendJson(ctx, 200, await ctx.engine.volumes.prune(filters));
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(`invalid JSON: ${field} must be a string`);
  return value;
}

function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`invalid JSON: ${field} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InvalidArgumentError(`invalid JSON: ${field} must be an object of strings`);
    out[k] = v;
  }
  return out;
}
