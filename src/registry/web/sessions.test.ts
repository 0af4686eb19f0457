import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { checkFormPost, localPath, readForm } from './form-guard.js';
import { parseCookies, SESSION_COOKIE, sessionCookie, SessionStore } from './sessions.js';

test('a session has a random id and CSRF token; signing in replaces the visitor session with a new one', () => {
  const store = new SessionStore();
  const visitor = store.create();
  assert.equal(visitor.user, undefined);
  assert.match(visitor.id, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(visitor.id, visitor.csrf);
  const alice = store.signIn(visitor, 'alice');
  assert.equal(alice.user, 'alice');
  assert.notEqual(alice.id, visitor.id);
  assert.notEqual(alice.csrf, visitor.csrf);
  assert.equal(store.get(visitor.id), undefined, 'the id from before sign-in is worth nothing');
  assert.equal(store.get(alice.id), alice);
  store.destroy(alice.id);
  assert.equal(store.get(alice.id), undefined);
});

test('sessions expire: visitors after an hour, signed-in users after twelve', () => {
  let now = 0;
  const store = new SessionStore({ now: () => now });
  const visitor = store.create();
  const alice = store.create('alice');
  now = 3600_000;
  assert.equal(store.get(visitor.id), undefined);
  assert.equal(store.get(alice.id), alice);
  now = 12 * 3600_000;
  assert.equal(store.get(alice.id), undefined);
  assert.equal(store.size, 0);
});

test('a flood of visitors cannot push a signed-in user out', () => {
  const store = new SessionStore({ max: 3 });
  const alice = store.create('alice');
  for (let i = 0; i < 10; i++) store.create();
  assert.equal(store.size, 3);
  assert.equal(store.get(alice.id), alice);
});

test('the cookie is HttpOnly and SameSite=Strict, Secure over TLS, and a sign-out cookie clears it', () => {
  const store = new SessionStore();
  const s = store.create('alice');
  // Max-Age counts from the moment the cookie is made: at the session's start it is the whole 12 h.
  const plain = sessionCookie(s, false, s.expires - 43_200_000);
  assert.match(plain, new RegExp(`^${SESSION_COOKIE}=${s.id}; Max-Age=43200; Path=/; HttpOnly; SameSite=Strict$`));
  assert.match(sessionCookie(s, true), /; Secure$/);
  assert.equal(sessionCookie(undefined, false), `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`);
  assert.deepEqual([...parseCookies(`a=1; ${SESSION_COOKIE}="xyz"; a=2; junk`)], [['a', '1'], [SESSION_COOKIE, 'xyz']]);
});

function post(headers: Record<string, string>, body = ''): IncomingMessage {
  const req = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage;
  req.headers = { host: 'hub.test:5000', 'content-type': 'application/x-www-form-urlencoded', ...headers };
  req.method = 'POST';
  return req;
}

test('a form post needs the session CSRF token and, when the browser names one, this site as origin', async () => {
  const session = new SessionStore().create('alice');
  const form = await readForm(post({}, `csrf=${session.csrf}&action=star`));
  assert.equal(form.get('action'), 'star');
  assert.doesNotThrow(() => checkFormPost(post({ origin: 'http://hub.test:5000' }), form, session, false));
  assert.doesNotThrow(() => checkFormPost(post({}), form, session, false));
  const refused = (headers: Record<string, string>, f: URLSearchParams, secure = false, s: typeof session | undefined = session) =>
    assert.throws(() => checkFormPost(post(headers), f, s, secure), (e: Error & { code?: string }) => e.code === 'FORBIDDEN');
  refused({ origin: 'https://evil.example' }, form);
  refused({ origin: 'null' }, form);
  refused({ origin: 'http://hub.test:5000' }, form, true); // served over TLS: the origin must be https
  refused({ 'sec-fetch-site': 'cross-site' }, form);
  refused({}, new URLSearchParams('action=star'));
  refused({}, new URLSearchParams(`csrf=${session.csrf}x`));
  assert.throws(() => checkFormPost(post({}), form, undefined, false), /expired/);
  refused({}, new URLSearchParams(`csrf=${new SessionStore().create('alice').csrf}`));
});

test('forms are read only as urlencoded and with a size cap', async () => {
  await assert.rejects(readForm(post({ 'content-type': 'application/json' }, '{}')), /x-www-form-urlencoded/);
  await assert.rejects(readForm(post({}, 'a='.padEnd(20_000, 'x'))), /too large/);
});

test('after sign-in only a path of this site is followed', () => {
  assert.equal(localPath('/r/alice/tool?page=2'), '/r/alice/tool?page=2');
  for (const bad of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', '', null, '/a\nb']) {
    assert.equal(localPath(bad), '/');
  }
});
