// The console's gate, checked with plain HTTP and WebSocket requests as an attacker would send them:
// the one-time login token, the session cookie, the Host allowlist (DNS rebinding), the exact Origin
// on state-changing requests and WebSocket upgrades, single-use tickets, the CSP, and --listen's rule
// that an address beyond loopback needs TLS or --insecure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startDaemon, type TestDaemon, BERTH, run } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { startConsole, type RunningConsole } from './console-harness.js';

let daemon: TestDaemon;
let con: RunningConsole;
let cookie = '';
let host = '';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const url = new URL(con.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { Host: host, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a terminal WebSocket; resolves with the HTTP status of a refusal, or 101 when it opened. */
function wsStatus(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${con.origin.replace('http', 'ws')}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    ws.on('error', reject);
  });
}

before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  await daemon.ok(['run', '-d', '--name', 'guarded', 'busybox', 'sleep', '600']);
  con = await startConsole(daemon);
  host = new URL(con.origin).host;
});
after(async () => {
  await con?.stop();
  await daemon?.stop();
});

test('the printed URL logs in once: a session cookie that is HttpOnly and SameSite=Strict, and the token is spent', async () => {
  const path = new URL(con.url).pathname + new URL(con.url).search;
  const first = await http('GET', path);
  assert.equal(first.status, 303);
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  cookie = setCookie.split(';')[0]!;
  const again = await http('GET', path);
  assert.equal(again.status, 401, 'a login token works once');
  assert.equal((await http('GET', '/containers')).status, 401, 'no page without the cookie');
  const page = await http('GET', '/containers', { Cookie: cookie });
  assert.equal(page.status, 200);
  assert.match(page.body, /guarded/);
});

test('every reply carries a CSP whose connect-src is the console itself', async () => {
  for (const path of ['/containers', '/assets/app/terminal-page.js', '/nowhere']) {
    const r = await http('GET', path, { Cookie: cookie });
    assert.match(String(r.headers['content-security-policy']), /connect-src 'self'/, path);
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/, path);
  }
});

test('a request for another host name gets 403 (DNS rebinding), even with a valid cookie', async () => {
  const port = new URL(con.origin).port;
  for (const h of [`evil.example:${port}`, 'evil.example', `127.0.0.1.nip.io:${port}`]) {
    const r = await http('GET', '/containers', { Host: h, Cookie: cookie });
    assert.equal(r.status, 403, h);
  }
  assert.equal((await http('GET', '/containers', { Host: `localhost:${port}`, Cookie: cookie })).status, 200);
});

test('a state-changing request needs the exact Origin of the console: none, another site or another port gets 403', async () => {
  const path = '/api/containers/guarded/pause';
  const port = Number(new URL(con.origin).port);
  for (const origin of [undefined, 'http://evil.example', `http://127.0.0.1:${port + 1}`, `https://${host}`, 'null']) {
    const headers: Record<string, string> = { Cookie: cookie, 'Content-Type': 'application/json' };
    if (origin) headers.Origin = origin;
    assert.equal((await http('POST', path, headers, '{}')).status, 403, `Origin ${origin}`);
  }
  const inspect = JSON.parse((await daemon.api('GET', '/containers/guarded/json')).body) as { State: { Paused: boolean } };
  assert.equal(inspect.State.Paused, false, 'no refused request reached the daemon');
  const ok = await http('POST', path, { Cookie: cookie, Origin: con.origin, 'Content-Type': 'application/json' }, '{}');
  assert.equal(ok.status, 200, ok.body);
  await http('POST', '/api/containers/guarded/unpause', { Cookie: cookie, Origin: con.origin }, '{}');
});

test('a terminal WebSocket needs our Origin and a fresh single-use ticket: the cookie alone is not enough', async () => {
  const created = await http('POST', '/api/containers/guarded/terminals',
    { Cookie: cookie, Origin: con.origin, 'Content-Type': 'application/json' }, JSON.stringify({ cols: 80, rows: 24 }));
  assert.equal(created.status, 201, created.body);
  const { id, ticket } = JSON.parse(created.body) as { id: string; ticket: string };
  const path = `/ws/terminals/${id}`;
  assert.equal(await wsStatus(`${path}?ticket=${ticket}`, { Cookie: cookie, Origin: 'http://evil.example' }), 403);
  assert.equal(await wsStatus(path, { Cookie: cookie, Origin: con.origin }), 401, 'cookie without ticket');
  const fresh = JSON.parse((await http('POST', `/api/terminals/${id}/tickets`, { Cookie: cookie, Origin: con.origin })).body) as { ticket: string };
  assert.equal(await wsStatus(`${path}?ticket=${fresh.ticket}`, { Origin: con.origin }), 401, 'ticket without the cookie it was issued to');
  const another = JSON.parse((await http('POST', `/api/terminals/${id}/tickets`, { Cookie: cookie, Origin: con.origin })).body) as { ticket: string };
  assert.equal(await wsStatus(`${path}?ticket=${another.ticket}`, { Cookie: cookie, Origin: con.origin }), 101);
  assert.equal(await wsStatus(`${path}?ticket=${another.ticket}`, { Cookie: cookie, Origin: con.origin }), 401, 'a ticket works once');
});

test('--listen beyond loopback is refused without TLS, served with --insecure (warned) or with a certificate', async () => {
  const refused = await run(process.execPath, ['--', BERTH, '-H', daemon.host, 'console', '--listen', '0.0.0.0:0']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--listen 0\.0\.0\.0:0 can be reached from other machines: give --tlscert and --tlskey, or --insecure/);
  const insecure = await startConsole(daemon, ['--listen', '0.0.0.0:0', '--insecure']);
  try {
    assert.match(insecure.output(), /WARNING: the console on 0\.0\.0\.0:0 is served without TLS/);
  } finally {
    await insecure.stop();
  }
  const dir = await mkdtemp(join(tmpdir(), 'berth-console-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const secure = await startConsole(daemon, ['--listen', '0.0.0.0:0', '--tlscert', join(dir, 'cert.pem'), '--tlskey', join(dir, 'key.pem')]);
    try {
      assert.match(secure.url, /^https:\/\//);
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        httpsGet(secure.url, { rejectUnauthorized: false }, resolve).on('error', reject);
      });
      res.resume();
      assert.equal(res.statusCode, 303);
      assert.match(String(res.headers['set-cookie']), /; Secure/, 'the cookie of an https console is Secure');
    } finally {
      await secure.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
