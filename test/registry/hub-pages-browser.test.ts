// The hub's web pages in a real browser (chromium through playwright-core) against a berth-registry
// with htpasswd users: a visitor is sent to sign in, alice signs in, searches from the home page, opens
// a repository, stars it, sees the count change and signs out; the description's script does not run;
// a form post without the CSRF token, or from another origin, is refused. Screenshots: docs/hub-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../src/registry/base/config.js';
import { Registry, createDriver } from '../../src/registry/content/registry.js';
import type { HubStore } from '../../src/registry/hub/hub-store.js';
import { startServer, type RunningServer } from '../../src/registry/server.js';
import { pushImage, req, type Client } from './helpers/client.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { ROOT, tempDir } from './helpers/registry.js';

const exec = promisify(execFile);
// The screenshots of docs/hub.md are taken on every run; they go to docs/ only when asked
// (BERTH_HUB_SCREENSHOTS=1), so that a test run leaves the tree as it was.
const SHOTS = process.env.BERTH_HUB_SCREENSHOTS ? join(ROOT, 'docs') : undefined;
const HOSTILE = '# Tool\n\nA *small* tool.\n\n<script>window.pwned=1</script>\n\n<img src=x onerror="window.pwned=2">\n\n[click](javascript:window.pwned=3)';

let dir: string;
let store: HubStore;
let running: RunningServer;
let registry: Registry;
let browser: TestBrowser;
let evil: Server;
let base: string;
const pushed = new Map<string, string>();

const basic = (user: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}` });

before(async () => {
  dir = tempDir('berth-hub-pages-');
  await exec('htpasswd', ['-Bbc', join(dir, 'htpasswd'), 'alice', 'alice-pw']);
  await exec('htpasswd', ['-Bb', join(dir, 'htpasswd'), 'admin', 'admin-pw']);
  const config = loadConfig(undefined, {
    REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'storage'),
    REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Berth', REGISTRY_AUTH_HTPASSWD_PATH: join(dir, 'htpasswd'),
    REGISTRY_HUB_ADMINS: 'admin',
  });
  registry = new Registry(config, await createDriver(config));
  running = await startServer(registry, { accessLog: () => {} });
  store = running.hub!.store;
  base = running.url;
  // Pushes, pulls, descriptions and the official flag through the registry and the Hub API, as users do.
  const alice: Client = { url: base, headers: basic('alice') };
  const admin: Client = { url: base, headers: basic('admin') };
  for (const [client, repository, tags] of [[alice, 'alice/tool', ['1.0', 'latest']], [admin, 'busybox', ['1.36', 'latest']]] as const) {
    for (const tag of tags) pushed.set(`${repository}:${tag}`, (await pushImage(client, repository, tag)).digest);
  }
  const call = async (client: Client, method: string, path: string, body?: unknown) => {
    const res = await req(client, method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  };
  await call(alice, 'PATCH', '/v2/repositories/alice/tool/', { description: 'A small tool for the team', full_description: HOSTILE });
  await call(admin, 'PATCH', '/v2/repositories/library/busybox/', { description: 'Busybox base image', is_official: true });
  await call(admin, 'POST', '/v2/repositories/library/busybox/stars/');
  for (let i = 0; i < 3; i++) await call(admin, 'GET', '/v2/busybox/manifests/latest');
  await call(alice, 'GET', '/v2/alice/tool/manifests/latest');
  // A page of another origin (same host, another port) that posts a form to the hub.
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<form id="f" method="post" action="${base}/r/alice/tool"><input name="action" value="star"></form>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  browser = await launchBrowser(base);
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  if (evil) { evil.closeAllConnections(); await new Promise((r) => evil.close(r)); }
  await running?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS ?? dir, `hub-${name}.png`), fullPage: true });
const starCount = async (page: Page) => Number(await page.locator('.stars-count').getAttribute('data-stars'));

/** Signs alice in on the sign-in page the browser is at, and waits to be sent on. */
async function signIn(page: Page): Promise<void> {
  await page.locator('input[name=username]').fill('alice');
  await page.locator('input[name=password]').fill('alice-pw');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

describe('the hub in a browser', { timeout: 120_000 }, () => {
  it('a visitor is sent to sign in; alice signs in, searches from the home page and opens a repository: the description renders, its script does not run', async () => {
    const page = await browser.context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
    await page.goto(`${base}/`);
    // The registry has users, so its pages are for signed-in users, as its API is.
    assert.equal(page.url(), `${base}/login?next=%2F`);
    await page.locator('input[name=username]').fill('alice');
    await page.locator('input[name=password]').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await page.locator('[role=alert]').textContent(), 'Incorrect user name or password.');
    await signIn(page);
    assert.equal(page.url(), `${base}/`);
    assert.equal(await page.locator('header .who a').textContent(), 'alice');
    const cookie = (await browser.context.cookies(base)).find((c) => c.name === 'berth_hub_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is out of reach of scripts');
    assert.equal(await page.locator('main h2').allTextContents().then((t) => t.join('|')), 'Most starred|Most pulled|Recently pushed');
    assert.deepEqual(await page.locator('main section:nth-child(2) .name').allTextContents(), ['busybox', 'alice/tool'], 'most pulled');
    await shot(page, 'home');
    await page.locator('main input[name=q]').fill('tool');
    await page.locator('main button[type=submit]').click();
    await page.waitForURL(/\/search\?q=tool$/);
    assert.match(await page.locator('main h1').textContent() ?? '', /1 repository matches “tool”/);
    await shot(page, 'search');
    await page.getByRole('link', { name: 'alice/tool' }).click();
    await page.waitForURL(`${base}/r/alice/tool`);
    assert.equal(await page.locator('main h1').first().textContent(), 'alice/tool');
    assert.equal(await page.locator('.markdown h1').textContent(), 'Tool');
    assert.equal(await page.locator('.markdown em').textContent(), 'small');
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    assert.equal(await page.locator('.markdown script, .markdown [onerror]').count(), 0);
    assert.equal(await page.locator('.markdown a[href^="javascript"]').count(), 0);
    const rows = await page.locator('#tags ~ .table tbody tr').allTextContents();
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, new RegExp(`^latest${pushed.get('alice/tool:latest')!.slice(0, 19)}2\\.1\\d kBlinux/amd64(just now|1 minute ago)$`));
    // The copy button is the pages' only script: it is there and answers a click.
    const pull = await page.locator('#pull').inputValue();
    assert.equal(pull, `docker pull ${new URL(base).host}/alice/tool`);
    await page.bringToFront();
    await page.locator('[data-copy] button').click();
    await page.locator('[data-copy] button', { hasText: 'Copied' }).waitFor();
    await shot(page, 'repository');
    assert.deepEqual(cspViolations, []);
    await page.close();
  });

  it('alice stars the repository, sees the count change, and signs out', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/r/alice/tool`);
    if (page.url().includes('/login')) await signIn(page);
    assert.equal(await starCount(page), 0);
    await page.getByRole('button', { name: '☆ Star' }).click();
    await page.waitForURL(`${base}/r/alice/tool`);
    assert.equal(await starCount(page), 1);
    assert.equal(await page.getByRole('button', { name: '★ Unstar' }).count(), 1);
    await shot(page, 'star');
    await page.goto(`${base}/u/alice`);
    assert.match(await page.locator('main').textContent() ?? '', /Starred \(1\)/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login?next=%2F`);
    assert.equal((await browser.context.cookies(base)).some((c) => c.name === 'berth_hub_session' && c.value !== ''), true, 'a visitor session for the sign-in form');
    await page.goto(`${base}/r/alice/tool`);
    assert.match(page.url(), /\/login\?next=%2Fr%2Falice%2Ftool$/);
    assert.equal(store.getRepository('alice/tool')!.star_count, 1);
    await page.close();
  });

  it('a post without the CSRF token, or from a page of another origin, is refused with 403', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/login`);
    await signIn(page);
    const before = store.getRepository('alice/tool')!.star_count;
    // The signed-in browser's own cookies, but no token.
    const res = await page.request.post(`${base}/r/alice/tool`, { form: { action: 'unstar' }, headers: { Origin: base }, maxRedirects: 0 });
    assert.equal(res.status(), 403);
    // Another origin's page submits a form to the hub.
    const port = (evil.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/`);
    const [answer] = await Promise.all([page.waitForResponse(`${base}/r/alice/tool`), page.locator('#f').evaluate((f: HTMLFormElement) => f.submit())]);
    assert.equal(answer.status(), 403);
    await page.waitForURL(`${base}/r/alice/tool`);
    assert.equal(await page.locator('main h1').textContent(), 'Forbidden');
    assert.equal(store.getRepository('alice/tool')!.star_count, before);
    await page.close();
  });
});
