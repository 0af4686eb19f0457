import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => { daemon = await startDaemon(); });
after(async () => { await daemon.stop(); });

function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: daemon.socket, path, method }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the real docker CLI reports the server version', async () => {
  const r = await daemon.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0.1.0 1.47');
});

test('docker info shows the data root and the engine counts', async () => {
  const r = await daemon.docker(['info', '--format', '{{.DockerRootDir}} {{.Containers}} {{.Images}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${daemon.dataRoot} 0 0`);
});

test('_ping answers GET and HEAD with the API version', async () => {
  const g = await get('/_ping');
  assert.equal(g.status, 200);
  assert.equal(g.body, 'OK');
  assert.equal(g.headers['api-version'], '1.47');
  const h = await get('/_ping', 'HEAD');
  assert.equal(h.status, 200);
  assert.equal(h.body, '');
});

test('version prefixes from 1.24 to 1.47 are served; others are refused in Docker\'s words', async () => {
  assert.equal((await get('/v1.24/version')).status, 200);
  assert.equal((await get('/v1.47/info')).status, 200);
  const tooNew = await get('/v1.99/version');
  assert.equal(tooNew.status, 400);
  assert.match(JSON.parse(tooNew.body).message, /client version 1.99 is too new. Maximum supported API version is 1.47/);
  const tooOld = await get('/v1.12/version');
  assert.equal(tooOld.status, 400);
  assert.match(JSON.parse(tooOld.body).message, /too old/);
});

test('an unknown path is a 404 with a JSON message', async () => {
  const r = await get('/v1.47/nothing/here');
  assert.equal(r.status, 404);
  assert.deepEqual(JSON.parse(r.body), { message: 'page not found' });
});

test('berth -D and --log-level: debug mode shows in info, the debug log shows the API calls, an unknown level is refused as docker refuses it', async () => {
  const info = await daemon.berth(['-D', 'info']);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^ Debug Mode: true$/m);
  assert.match((await daemon.berth(['info'])).stdout, /^ Debug Mode: false$/m);
  const ps = await daemon.berth(['--log-level', 'DEBUG', 'ps']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stderr, /^time="[\dT:-]+Z" level=debug msg="GET \/v1\.47\/containers\/json: 200 after \d+ ms"$/m);
  const quiet = await daemon.berth(['--log-level', 'warn', 'ps']);
  assert.equal(quiet.stderr, '', 'nothing is logged below the level');
  const bad = await daemon.berth(['--log-level', 'loud', 'ps']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'Unable to parse logging level: loud\n');
  assert.equal(bad.stdout, '', 'the command did not run');
  const docker = await daemon.docker(['--log-level', 'loud', 'ps']);
  assert.equal(docker.code, bad.code, "docker's exit code is the same");
  assert.match(docker.stderr, /Unable to parse logging level: loud/);
});
