import type { Engine } from '../services/engine.js';
import type { Route, RequestContext } from './router.js';
import { sendJson, readJson, queryFilters } from './http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { labelMatches } from '../../lib/label-filter.js';
import { parseFilterTime } from '../../lib/time-filter.js';
import type { CreateNetworkOptions, EndpointConfig } from '../network/network-manager.js';

const LIST_FILTERS = ['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling'] as const;
const PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

function getNetworks(ctx: RequestContext): void {
  const filters = queryFilters(ctx, LIST_FILTERS);
  const nets = ctx.engine.network.list().filter((n) => {
    const names = filters.get('name');
    if (names && !names.some((x) => n.name.includes(x))) return false;
    const ids = filters.get('id');
    if (ids && !ids.some((x) => n.id.startsWith(x))) return false;
    const drivers = filters.get('driver');
    if (drivers && !drivers.includes(n.driver)) return false;
    const labels = filters.get('label');
    if (labels && !labels.every((l) => labelMatches(n.labels, l))) return false;
    const types = filters.get('type');
    if (types && !types.some((t) => (t === 'builtin') === n.predefined)) return false;
    const scopes = filters.get('scope');
    if (scopes && !scopes.includes('local')) return false;
    return true;
  });
  sendJson(ctx, 200, nets.map((n) => ctx.engine.network.inspect(n.id)).map((j) => ({ ...j, Containers: {} })));
}

function getNetworksInspect(ctx: RequestContext): void {
  sendJson(ctx, 200, ctx.engine.network.inspect(ctx.params.id));
}

async function postNetworksCreate(ctx: RequestContext): Promise<void> {
  const body = await readJson<CreateNetworkOptions>(ctx);
  if (!body || typeof body !== 'object') throw new InvalidArgumentError('invalid network config: body is empty');
  sendJson(ctx, 201, await ctx.engine.network.create(body));
}

async function deleteNetworks(ctx: RequestContext): Promise<void> {
  await ctx.engine.network.remove(ctx.params.id);
  sendJson(ctx, 204, undefined);
}

async function postNetworksConnect(ctx: RequestContext): Promise<void> {
  const body = await readJson<{ Container?: string; EndpointConfig?: EndpointConfig | null }>(ctx);
  if (!body?.Container) throw new InvalidArgumentError('no container specified');
  await ctx.engine.network.connectContainer(ctx.params.id, body.Container, body.EndpointConfig ?? undefined);
  sendJson(ctx, 200, undefined);
}

async function postNetworksDisconnect(ctx: RequestContext): Promise<void> {
  const body = await readJson<{ Container?: string; Force?: boolean }>(ctx);
  if (!body?.Container) throw new InvalidArgumentError('no container specified');
  await ctx.engine.network.disconnectContainer(ctx.params.id, body.Container, Boolean(body.Force));
  sendJson(ctx, 200, undefined);
}

async function postNetworksPrune(ctx: RequestContext): Promise<void> {
  const filters = queryFilters(ctx, PRUNE_FILTERS);
  const until = filters.get('until')?.[0];
  const before = until ? parseFilterTime(until) : undefined;
  const deleted = await ctx.engine.network.prune((n) => {
    if (before !== undefined && Date.parse(n.created) >= before) return false;
    if (filters.get('label') && !filters.get('label')!.every((l) => labelMatches(n.labels, l))) return false;
    if (filters.get('label!') && filters.get('label!')!.some((l) => labelMatches(n.labels, l))) return false;
    return true;
  });
  sendJson(ctx, 200, { NetworksDeleted: deleted });
}

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/networks', handler: getNetworks },
    { method: 'POST', path: '/networks/create', handler: postNetworksCreate },
    { method: 'POST', path: '/networks/prune', handler: postNetworksPrune },
    // {id:.*}: a network's name may hold slashes, as dockerd's routes allow
    { method: 'GET', path: '/networks/{id:.*}', handler: getNetworksInspect },
    { method: 'DELETE', path: '/networks/{id:.*}', handler: deleteNetworks },
    { method: 'POST', path: '/networks/{id:.*}/connect', handler: postNetworksConnect },
    { method: 'POST', path: '/networks/{id:.*}/disconnect', handler: postNetworksDisconnect },
  ];
}
