import type { Role } from '../base/access-roles.js';

/**
 * Every route of the engine API with the action it performs (the word a refusal names) and the
 * weakest role allowed to perform it. A route missing here is refused to everyone but admin, and
 * test/unit/route-access.test.ts fails on it, so a new route cannot slip through unclassified.
 *
 * - viewer: reads (list, inspect, logs, stats, top, events, df); nothing that runs code in a
 *   container, copies files out of it or changes anything. Env values are masked in what it reads
 *   (api/viewer-redaction.ts).
 * - operator: drives existing containers (start, stop, restart, kill, pause, attach, exec, cp),
 *   pulls images and logs in to registries; never creates, removes or reconfigures.
 * - admin: everything, among it all that can give root on the host (create with any HostConfig,
 *   build, load, volumes, networks).
 */
export interface RouteAccess {
  action: string;
  role: Role;
}

type Entry = RouteAccess | ((query: URLSearchParams) => RouteAccess);

const viewer = (action: string): RouteAccess => ({ action, role: 'viewer' });
const operator = (action: string): RouteAccess => ({ action, role: 'operator' });
const admin = (action: string): RouteAccess => ({ action, role: 'admin' });

const SWARM_OBJECTS = ['nodes', 'services', 'tasks', 'secrets', 'configs'];

const TABLE: Record<string, Entry> = {
  // system
  'GET /_ping': viewer('ping'),
  'HEAD /_ping': viewer('ping'),
  'GET /version': viewer('version'),
  'GET /info': viewer('info'),
  'GET /events': viewer('events'),
  'GET /system/df': viewer('system df'),
  'POST /auth': operator('login'),
  // containers
  'GET /containers/json': viewer('ps'),
  'GET /containers/{id}/json': viewer('inspect'),
  'GET /containers/{id}/logs': viewer('logs'),
  'GET /containers/{id}/stats': viewer('stats'),
  'GET /containers/{id}/top': viewer('top'),
  'GET /containers/{id}/changes': viewer('diff'),
  'POST /containers/{id}/wait': viewer('wait'),
  'POST /containers/{id}/start': operator('start'),
  'POST /containers/{id}/stop': operator('stop'),
  'POST /containers/{id}/restart': operator('restart'),
  'POST /containers/{id}/kill': operator('kill'),
  'POST /containers/{id}/pause': operator('pause'),
  'POST /containers/{id}/unpause': operator('unpause'),
  'POST /containers/{id}/attach': operator('attach'),
  'GET /containers/{id}/attach/ws': operator('attach'),
  'POST /containers/{id}/resize': operator('resize'),
  'HEAD /containers/{id}/archive': operator('cp'),
  'GET /containers/{id}/archive': operator('cp'),
  'PUT /containers/{id}/archive': operator('cp'),
  'POST /containers/create': admin('create'),
  'POST /containers/prune': admin('container prune'),
  'POST /containers/{id}/rename': admin('rename'),
  'POST /containers/{id}/update': admin('update'),
  'DELETE /containers/{id:.*}': admin('rm'),
  'GET /containers/{id}/export': admin('export'),
  'POST /commit': admin('commit'),
  // exec
  'POST /containers/{id}/exec': operator('exec'),
  'POST /exec/{id}/start': operator('exec'),
  'POST /exec/{id}/resize': operator('exec'),
  'GET /exec/{id}/json': viewer('exec inspect'),
  // images
  'GET /images/json': viewer('images'),
  'GET /images/{name:.*}/json': viewer('image inspect'),
  'GET /images/{name:.*}/history': viewer('history'),
  'GET /images/search': viewer('search'),
  // fromSrc imports a tarball the caller chooses (a file or URL the daemon reads): admin, as load is
  'POST /images/create': (query) => (query.has('fromSrc') ? admin('import') : operator('pull')),
  'POST /images/prune': admin('image prune'),
  'POST /images/{name:.*}/tag': admin('tag'),
  'POST /images/{name:.*}/push': admin('push'),
  'DELETE /images/{name:.*}': admin('rmi'),
  'GET /images/get': admin('save'),
  'GET /images/{name:.*}/get': admin('save'),
  'POST /images/load': admin('load'),
  'POST /build': admin('build'),
  'POST /build/prune': admin('builder prune'),
  // networks
  'GET /networks': viewer('network ls'),
  'GET /networks/{id:.*}': viewer('network inspect'),
  'POST /networks/create': admin('network create'),
  'POST /networks/prune': admin('network prune'),
  'DELETE /networks/{id:.*}': admin('network rm'),
  'POST /networks/{id:.*}/connect': admin('network connect'),
  'POST /networks/{id:.*}/disconnect': admin('network disconnect'),
  // volumes
  'GET /volumes': viewer('volume ls'),
  'GET /volumes/{name}': viewer('volume inspect'),
  'POST /volumes/create': admin('volume create'),
  'POST /volumes/prune': admin('volume prune'),
  'DELETE /volumes/{name}': admin('volume rm'),
  // swarm (Berth is never a manager; the routes answer as dockerd outside a swarm)
  'GET /swarm': viewer('swarm inspect'),
  'GET /swarm/unlockkey': admin('swarm unlock-key'),
  'POST /swarm/init': admin('swarm init'),
  'POST /swarm/join': admin('swarm join'),
  'POST /swarm/leave': admin('swarm leave'),
  'POST /swarm/update': admin('swarm update'),
  'POST /swarm/unlock': admin('swarm unlock'),
  'GET /services/{id}/logs': viewer('service logs'),
  'GET /tasks/{id}/logs': viewer('service logs'),
  ...Object.fromEntries(SWARM_OBJECTS.flatMap((o) => [
    [`GET /${o}`, viewer(`${o} ls`)],
    [`GET /${o}/{id}`, viewer(`${o} inspect`)],
    [`POST /${o}/create`, admin(`${o} create`)],
    [`POST /${o}/{id}/update`, admin(`${o} update`)],
    [`DELETE /${o}/{id}`, admin(`${o} rm`)],
  ])),
};

/** The classified routes, as `METHOD /path/{template}`. */
export const CLASSIFIED_ROUTES: readonly string[] = Object.keys(TABLE);

/**
 * What a request to a route does and who may do it. A route not in the table is an admin action
 * (named after the route), so forgetting to classify one never opens it.
 */
export function routeAccess(method: string, path: string, query: URLSearchParams): RouteAccess {
  const entry = TABLE[`${method} ${path}`];
  if (!entry) return admin(`${method} ${path}`);
  return typeof entry === 'function' ? entry(query) : entry;
}
