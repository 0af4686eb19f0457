// berthd's --api-cors-header, with plain HTTP requests as a browser would send them: dockerd 26's
// headers for one value ("*" or an origin, sent as it is), an allowlist of origins answered exactly
// with Vary: Origin, dockerd's loud warning, OPTIONS preflights answered 200 as dockerd does; and the
// WebSocket attach, which refuses a page of another origin unless the flag admits it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.stop();
});

async function daemonWith(args: string[], config?: Record<string, unknown>): Promise<TestDaemon> {
  const d = await startDaemon({ args, config });
  daemons.push(d);
  return d;
}

function http(d: TestDaemon, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket attach from a page of `origin`: 101 when it opened, else the refusal's status and body. */
function attachWs(d: TestDaemon, id: string, origin?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${d.socket}:/v1.47/containers/${id}/attach/ws?stream=1&stdout=1`,
      { headers: origin ? { Origin: origin } : {} });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    ws.on('error', reject);
  });
}

async function runningContainer(d: TestDaemon): Promise<string> {
  await importBusybox(d);
  return (await d.ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
}

test('without the flag: no CORS headers, OPTIONS answers 200, and a WebSocket attach from another origin is refused', async () => {
  const d = await daemonWith([]);
  const r = await http(d, 'GET', '/v1.47/containers/json', { Origin: 'http://page.example' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  assert.equal((await http(d, 'OPTIONS', '/v1.47/containers/json')).status, 200, 'as dockerd');
  const id = await runningContainer(d);
  const refused = await attachWs(d, id, 'http://page.example');
  assert.equal(refused.status, 403);
  assert.match(JSON.parse(refused.body).message, /WebSocket attach from origin http:\/\/page\.example refused: start berthd with --api-cors-header/);
  assert.equal((await attachWs(d, id)).status, 101, 'a client that is not a browser page sends no Origin');
  assert.equal((await attachWs(d, id, 'http://localhost')).status, 101, "a page of the daemon's own host");
  const info = JSON.parse((await http(d, 'GET', '/v1.47/info')).body) as { Warnings: string[] };
  assert.deepEqual(info.Warnings, []);
});

test('--api-cors-header "*": dockerd\'s headers on every reply, its warning, and attach/ws open to any page', async () => {
  const d = await daemonWith(['--api-cors-header', '*']);
  const r = await http(d, 'GET', '/v1.47/containers/json', { Origin: 'http://page.example' });
  assert.equal(r.headers['access-control-allow-origin'], '*');
  assert.equal(r.headers['access-control-allow-headers'], 'Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth');
  assert.equal(r.headers['access-control-allow-methods'], 'HEAD, GET, POST, DELETE, PUT, OPTIONS');
  const preflight = await http(d, 'OPTIONS', '/v1.47/containers/create', { Origin: 'http://page.example', 'Access-Control-Request-Method': 'POST' });
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers['access-control-allow-origin'], '*');
  assert.match(d.output, /level=warn msg="WARNING: API CORS headers are enabled \(--api-cors-header \\"\*\\"\)/);
  const info = JSON.parse((await http(d, 'GET', '/v1.47/info')).body) as { Warnings: string[] };
  assert.match(info.Warnings.join('\n'), /API CORS headers are enabled/);
  const id = await runningContainer(d);
  assert.equal((await attachWs(d, id, 'http://page.example')).status, 101, "the chapter's technique works unchanged");
});

test('an allowlist answers only its origins, each with its own name and Vary: Origin (also from daemon.json)', async () => {
  const d = await daemonWith([], { 'api-cors-header': 'https://a.example,https://b.example' });
  const a = await http(d, 'GET', '/v1.47/version', { Origin: 'https://b.example' });
  assert.equal(a.headers['access-control-allow-origin'], 'https://b.example');
  assert.equal(a.headers.vary, 'Origin');
  const other = await http(d, 'GET', '/v1.47/version', { Origin: 'https://c.example' });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  assert.equal(other.headers.vary, 'Origin');
  const id = await runningContainer(d);
  assert.equal((await attachWs(d, id, 'https://a.example')).status, 101);
  assert.equal((await attachWs(d, id, 'https://c.example')).status, 403);
});
