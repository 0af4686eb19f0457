// The pages over a real store in memory, through HTTP, without a registry: what each page shows, the
// session and CSRF rules of every form, and that paths of the APIs are left alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteHubStore } from '../hub/sqlite-hub-store.js';
import { HubPages, PAGE_SIZE } from './hub-pages.js';
import { CONTENT_SECURITY_POLICY } from './layout.js';
import { SESSION_COOKIE } from './sessions.js';

let store: SqliteHubStore;
const servers: Server[] = [];
/** A registry without auth: open pages, no sign-in. */
let openBase: string;
/** A registry with users: pages for signed-in users. */
let base: string;

const tag = (name: string, i = 0) => ({
  name, digest: `sha256:${String(i).padStart(64, 'a')}`, size: 2_150_000 + i, media_type: 'application/vnd.oci.image.manifest.v1+json',
  platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
});

before(async () => {
  store = new SqliteHubStore({ path: ':memory:' });
  store.recordPush('alice/tool', tag('1.0'));
  store.recordPush('alice/tool', tag('latest', 1));
  store.updateRepository('alice/tool', {
    description: 'A tool <b>for</b> teams',
    full_description: '# Tool\n\nUse it **well**.\n\n<script>window.pwned=1</script><img src=x onerror="window.pwned=1">',
  });
  store.recordPush('busybox', tag('1.36'));
  store.updateRepository('busybox', { description: 'The smallest shell', is_official: true });
  for (let i = 0; i < PAGE_SIZE + 5; i++) store.recordPush('bob/many', tag(`v${i}`, i), new Date(Date.UTC(2025, 0, 1, 0, i)));
  openBase = await serve(new HubPages({ store, secure: false, signInRequired: false, log: () => {} }));
  base = await serve(new HubPages({
    store, secure: false, signInRequired: true, log: () => {},
    users: { verify: async (user, password) => user === 'alice' && password === 'alice-pw' },
  }));
});
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  store.close();
});

/** Serves the pages, and answers every other path as the registry API would (here: a marker). */
async function serve(pages: HubPages): Promise<string> {
  const server = createServer((req, res) => {
    const [path, q = ''] = (req.url ?? '/').split('?');
    void pages.handle(req, res, path!, new URLSearchParams(q)).then((handled) => {
      if (!handled) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"api":true}'); }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(path: string, cookie?: string, at = cookie ? base : openBase): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(at + path, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function post(path: string, fields: Record<string, string>, cookie?: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...(cookie ? { cookie } : {}), ...headers },
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
const cookieOf = (headers: Headers) => headers.get('set-cookie')!.split(';')[0]!;

/** Signs alice in; returns her session cookie and the CSRF token of her pages. */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const form = await get('/login?next=/r/alice/tool', undefined, base);
  const visitor = cookieOf(form.headers);
  const res = await post('/login', { csrf: csrfOf(form.text), username: 'alice', password: 'alice-pw', next: '/r/alice/tool' }, visitor);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/r/alice/tool');
  const cookie = cookieOf(res.headers);
  assert.notEqual(cookie, visitor);
  return { cookie, csrf: csrfOf((await get('/r/alice/tool', cookie)).text) };
}

describe('pages of a registry without auth (open, read-only)', () => {
  it('home shows the search box and the three lists, with the CSP and no-sniff headers', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.text, /<form class="search" method="get" action="\/search"/);
    for (const h of ['Most starred', 'Most pulled', 'Recently pushed']) assert.match(res.text, new RegExp(`<h2>${h}</h2>`));
    assert.match(res.text, /href="\/_\/busybox">busybox<\/a><span class="badge" title="Official image">Official<\/span>/);
    assert.match(res.text, /A tool &lt;b&gt;for&lt;\/b&gt; teams/);
  });

  it('search finds by name and description; the query is escaped back into the page', async () => {
    let res = await get('/search?q=tool');
    assert.match(res.text, /1 repository matches “tool”/);
    assert.match(res.text, /href="\/r\/alice\/tool"/);
    res = await get('/search?q=smallest');
    assert.match(res.text, /href="\/_\/busybox"/);
    res = await get(`/search?q=${encodeURIComponent('"><script>x</script>')}`);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /<script>x/);
    assert.match(res.text, /value="&quot;&gt;&lt;script&gt;x&lt;\/script&gt;"/);
    assert.equal((await get('/search?page=x')).status, 400);
  });

  it('a repository page has the rendered, sanitised description, tags, pull command and stars', async () => {
    const res = await get('/r/alice/tool');
    assert.equal(res.status, 200);
    assert.match(res.text, /<h1>Tool<\/h1>/);
    assert.match(res.text, /Use it <strong>well<\/strong>/);
    assert.doesNotMatch(res.text, /window\.pwned|onerror/);
    assert.match(res.text, new RegExp(`value="docker pull 127.0.0.1:\\d+/alice/tool"`));
    assert.match(res.text, /<td><code>latest<\/code><\/td><td class="mono" title="sha256:a{63}1">sha256:aaaaaaaaaaaa<\/td><td>2.15 MB<\/td><td>linux\/amd64, linux\/arm\/v7<\/td>/);
    assert.match(res.text, /★ 0 stars/);
    assert.doesNotMatch(res.text, /name="csrf"|Sign in/, 'nobody to sign in as: no form, no session');
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('official images live at /_/name; /r/library/name leads there; without latest the pull names a tag', async () => {
    const res = await get('/_/busybox');
    assert.equal(res.status, 200);
    assert.match(res.text, /<h1>busybox<span class="badge"/);
    assert.match(res.text, /docker pull 127.0.0.1:\d+\/busybox:1.36"/);
    const moved = await get('/r/library/busybox');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get('location'), '/_/busybox');
  });

  it('tags are paged, most recent first', async () => {
    let res = await get('/r/bob/many');
    assert.match(res.text, new RegExp(`Tags \\(${PAGE_SIZE + 5}\\)`));
    assert.equal(res.text.match(/<tr><td><code>/g)!.length, PAGE_SIZE);
    assert.match(res.text, /<td><code>v29<\/code>/);
    assert.match(res.text, /href="\/r\/bob\/many\?page=2#tags">Next/);
    res = await get('/r/bob/many?page=2');
    assert.equal(res.text.match(/<tr><td><code>/g)!.length, 5);
    assert.match(res.text, /<td><code>v0<\/code>/);
  });

  it('unknown repositories and bad names are 404 pages; the user page lists repositories and stars', async () => {
    assert.equal((await get('/r/alice/nope')).status, 404);
    assert.equal((await get('/r/Alice/%2e%2e')).status, 404);
    assert.equal((await get('/r/alice/%E0%A4%A')).status, 400);
    const res = await get('/u/alice');
    assert.equal(res.status, 200);
    assert.match(res.text, /Repositories \(1\)/);
    assert.match(res.text, /href="\/r\/alice\/tool"/);
  });

  it('paths of the APIs are not pages', async () => {
    for (const path of ['/v2/', '/v2/alice/tool/tags/list', '/v2/repositories/alice/', '/v1/search', '/token', '/r', '/u/a/b']) {
      const res = await get(path);
      assert.equal(res.text, '{"api":true}', path);
    }
  });
});

describe('pages of a registry with users: sign-in, stars and forms', () => {
  it('a visitor is sent to sign in from every page (the API needs a user too); a post is 403', async () => {
    for (const path of ['/', '/search?q=tool', '/r/alice/tool', '/_/busybox', '/u/alice']) {
      const res = await get(path, undefined, base);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('location'), `/login?next=${encodeURIComponent(path)}`);
    }
    assert.equal((await get('/assets/hub.js', undefined, base)).status, 200);
    const form = await get('/login', undefined, base);
    assert.equal((await post('/r/alice/tool', { csrf: csrfOf(form.text), action: 'star' }, cookieOf(form.headers))).status, 403);
  });

  it('a wrong password is 401 with the form again; the right one signs in with a new HttpOnly SameSite=Strict cookie', async () => {
    const form = await get('/login', undefined, base);
    assert.match(form.headers.get('set-cookie')!, new RegExp(`^${SESSION_COOKIE}=[\\w-]+; Max-Age=3600; Path=/; HttpOnly; SameSite=Strict$`));
    const res = await post('/login', { csrf: csrfOf(form.text), username: 'alice', password: 'nope' }, cookieOf(form.headers));
    assert.equal(res.status, 401);
    assert.match(res.text, /Incorrect user name or password/);
    assert.match(res.text, /name="username" value="alice"/);
    const { cookie } = await signIn();
    assert.match((await get('/', cookie)).text, /<a href="\/u\/alice">alice<\/a>/);
  });

  it('star and unstar change the count; the button follows', async () => {
    const { cookie, csrf } = await signIn();
    assert.match((await get('/r/alice/tool', cookie)).text, /☆ Star/);
    let res = await post('/r/alice/tool', { csrf, action: 'star' }, cookie);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/r/alice/tool');
    let page = (await get('/r/alice/tool', cookie)).text;
    assert.match(page, /★ 1 star</);
    assert.match(page, /★ Unstar/);
    assert.match((await get('/u/alice')).text, /Starred \(1\)/);
    res = await post('/r/alice/tool', { csrf, action: 'unstar' }, cookie);
    assert.equal(res.status, 303);
    page = (await get('/r/alice/tool', cookie)).text;
    assert.match(page, /★ 0 stars/);
  });

  it('a post without the token, with another token or from another origin is refused with 403 and changes nothing', async () => {
    const { cookie, csrf } = await signIn();
    const before = store.getRepository('alice/tool')!.star_count;
    for (const [fields, headers] of [
      [{ action: 'star' }, {}],
      [{ action: 'star', csrf: csrf.slice(1) + 'x' }, {}],
      [{ action: 'star', csrf }, { origin: 'http://evil.example' }],
      [{ action: 'star', csrf }, { origin: 'null' }],
    ] as Array<[Record<string, string>, Record<string, string>]>) {
      const res = await post('/r/alice/tool', fields, cookie, headers);
      assert.equal(res.status, 403, JSON.stringify(fields) + JSON.stringify(headers));
      assert.match(res.text, /<h1>Forbidden<\/h1>/);
    }
    assert.equal((await post('/login', { username: 'alice', password: 'alice-pw' })).status, 403);
    assert.equal((await post('/logout', {}, cookie)).status, 403);
    assert.equal(store.getRepository('alice/tool')!.star_count, before);
  });

  it('sign-out ends the session and clears the cookie; next is never another site', async () => {
    const { cookie, csrf } = await signIn();
    const res = await post('/logout', { csrf }, cookie);
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie')!, new RegExp(`^${SESSION_COOKIE}=; Max-Age=0`));
    assert.equal((await get('/', cookie)).status, 303, 'signed out: sent to sign in again');
    assert.equal((await post('/r/alice/tool', { csrf, action: 'star' }, cookie)).status, 403);
    const form = await get('/login?next=//evil.example/', undefined, base);
    assert.match(form.text, /name="next" value="\/"/);
  });

  it('a page path with another method is 405 with Allow', async () => {
    const res = await fetch(`${base}/search`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    await res.arrayBuffer();
  });
});
