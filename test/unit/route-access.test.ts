import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../../src/engine/api/server.js';
import { CLASSIFIED_ROUTES, routeAccess } from '../../src/engine/api/route-access.js';
import type { Engine } from '../../src/engine/services/engine.js';

// Every route the engine serves must say which role may call it: a new route without a line in
// src/engine/api/route-access.ts fails here (and is admin-only meanwhile).

const served = RESOURCES.flatMap((r) => r.routes({} as Engine)).map((route) => `${route.method} ${route.path}`);

describe('route access table', () => {
  it('classifies every route of src/engine/api/', () => {
    const missing = served.filter((key) => !CLASSIFIED_ROUTES.includes(key));
    assert.deepEqual(missing, [], `routes without a role in route-access.ts: ${missing.join(', ')}`);
  });

  it('names no route the engine does not serve', () => {
    const stale = CLASSIFIED_ROUTES.filter((key) => !served.includes(key));
    assert.deepEqual(stale, []);
  });

  it('keeps the issue\'s roles: viewer reads, operator drives existing containers, admin creates and removes', () => {
    const q = new URLSearchParams();
    const role = (key: string) => {
      const [method, path] = key.split(' ') as [string, string];
      return routeAccess(method, path, q).role;
    };
    for (const key of ['GET /containers/json', 'GET /containers/{id}/json', 'GET /containers/{id}/logs', 'GET /containers/{id}/stats',
      'GET /containers/{id}/top', 'GET /events', 'GET /images/json', 'GET /info']) assert.equal(role(key), 'viewer', key);
    for (const key of ['POST /containers/{id}/start', 'POST /containers/{id}/stop', 'POST /containers/{id}/restart',
      'POST /containers/{id}/kill', 'POST /containers/{id}/pause', 'POST /containers/{id}/exec', 'POST /exec/{id}/start',
      'POST /containers/{id}/attach', 'POST /images/create']) assert.equal(role(key), 'operator', key);
    for (const key of ['POST /containers/create', 'DELETE /containers/{id:.*}', 'POST /build', 'POST /images/load',
      'POST /volumes/create', 'POST /networks/create', 'GET /containers/{id}/export', 'GET /images/get', 'GET /swarm/unlockkey',
      'POST /containers/{id}/update']) assert.equal(role(key), 'admin', key);
  });
});
