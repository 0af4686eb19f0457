// The swarm endpoints, answered as dockerd answers them on an engine that is not part of a swarm:
// clients probe them (`docker info`, compose, SDKs that clean up with `swarm leave`) and accept only
// these answers. berthd has no swarm mode, so `swarm init` and `swarm join` are refused.
import type { Engine } from '../services/engine.js';
import type { Route, Method } from './router.js';
import { NotImplementedError, UnavailableError } from '../../lib/errors.js';

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

function notManager(): never {
  throw new UnavailableError(NOT_MANAGER);
}

function postSwarmLeave(): never {
  throw new UnavailableError('This node is not part of a swarm');
}

function postSwarmJoinOrInit(): never {
  throw new NotImplementedError('berthd does not offer swarm mode');
}

/** Each swarm resource: list, create, inspect, update, delete (dockerd routes them all to its cluster). */
const OBJECTS: [Method, string][] = ['nodes', 'services', 'tasks', 'secrets', 'configs'].flatMap((o): [Method, string][] => [
  ['GET', `/${o}`], ['POST', `/${o}/create`], ['GET', `/${o}/{id}`], ['POST', `/${o}/{id}/update`], ['DELETE', `/${o}/{id}`],
]);

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/swarm', handler: notManager },
    { method: 'POST', path: '/swarm/init', handler: postSwarmJoinOrInit },
    { method: 'POST', path: '/swarm/join', handler: postSwarmJoinOrInit },
    { method: 'POST', path: '/swarm/leave', handler: postSwarmLeave },
    { method: 'POST', path: '/swarm/update', handler: notManager },
    { method: 'GET', path: '/swarm/unlockkey', handler: notManager },
    { method: 'POST', path: '/swarm/unlock', handler: notManager },
    { method: 'GET', path: '/services/{id}/logs', handler: notManager },
    { method: 'GET', path: '/tasks/{id}/logs', handler: notManager },
    ...OBJECTS.map(([method, path]) => ({ method, path, handler: notManager })),
  ];
}
