// A user's session in the console, in a real browser (Debian's chromium through playwright-core):
// the list follows the CLI, a terminal answers, knows its size and renders split UTF-8, a second
// browser shares a terminal, the logs page finds a line among 100,000, a page of another origin is
// refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestDaemon } from '../helpers/daemon.js';
import { login, startConsoleSession, typeLine, terminalText, waitConnected, waitTerminal, type ConsoleSession, type RunningConsole } from './console-harness.js';

let daemon: TestDaemon;
let con: RunningConsole;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let session: ConsoleSession | undefined;

before(async () => {
  session = await startConsoleSession('box', { width: 1000, height: 700 });
  ({ daemon, con, browser, context, page } = session);
});
after(async () => {
  await session?.close();
});

/** Opens a terminal page and waits for the shell's prompt. */
async function openTerminal(p: Page, path = '/containers/box/terminal'): Promise<void> {
  await p.goto(con.origin + path);
  await waitConnected(p, con);
  await waitTerminal(p, /# *$/m);
}

test('the containers list shows a container started from the CLI within a second', async () => {
  await page.goto(`${con.origin}/containers`);
  assert.ok(await page.locator('#containers tr', { hasText: 'box' }).count() > 0, 'the first paint lists the containers');
  await page.waitForTimeout(300); // the page is subscribed to the daemon's events
  const r = await daemon.berth(['run', '-d', '--name', 'fresh', 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
  const started = Date.now();
  await page.locator('#containers tr', { hasText: 'fresh' }).locator('.state-running').waitFor({ timeout: 5000 });
  const ms = Date.now() - started;
  assert.ok(ms < 1500, `the list showed the new container after ${ms} ms (the issue: within a second)`);
});

test('a list left for another page lets go of its event stream, and follows again when the user comes back', async () => {
  const closedStreams = (): number => con.output().match(/GET \/api\/containers\/events: 200, closed before the end/g)?.length ?? 0;
  await page.goto(`${con.origin}/containers`);
  await page.waitForTimeout(300);
  const before = closedStreams();
  await page.goto(`${con.origin}/images`);
  const left = Date.now();
  while (closedStreams() === before) {
    assert.ok(Date.now() - left < 5000, `the event stream of the page left behind is still open after 5 s:\n${con.output()}`);
    await page.waitForTimeout(50);
  }
  await page.goBack();
  await page.waitForTimeout(300);
  const r = await daemon.berth(['run', '-d', '--name', 'back', 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
  await page.locator('#containers tr', { hasText: 'back' }).locator('.state-running').waitFor({ timeout: 5000 });
});

test('a terminal answers echo $((6*7)) with 42, and the page URL names its session', async () => {
  await openTerminal(page);
  assert.match(new URL(page.url()).pathname, /^\/containers\/box\/terminal\/[\w-]+$/);
  await typeLine(page, 'echo $((6*7))');
  await waitTerminal(page, /^42$/m);
});

test('the terminal page runs one script, xterm.js bundled in', async () => {
  const scripts = await page.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname).filter((p) => /\.m?js$/.test(p)));
  assert.deepEqual(scripts, ['/assets/app/terminal-page.js']);
  const css = await page.evaluate(() => [...document.styleSheets].map((s) => (s.href ? new URL(s.href).pathname : '')));
  assert.ok(css.includes('/assets/xterm/xterm.css'), `xterm.js's stylesheet is served: ${css.join(', ')}`);
});

test('stty size typed first matches the viewport, and follows a viewport change', async () => {
  const p = await context.newPage();
  await p.setViewportSize({ width: 900, height: 600 });
  await openTerminal(p);
  const size = async (): Promise<string> => p.evaluate(() => `${window.term.rows} ${window.term.cols}`);
  const first = await size();
  await typeLine(p, 'stty size');
  await waitTerminal(p, new RegExp(`^${first}$`, 'm'));
  assert.notEqual(first, '24 80', 'the terminal took the page size, not a default');
  await p.setViewportSize({ width: 640, height: 420 });
  await p.waitForFunction((old) => `${window.term.rows} ${window.term.cols}` !== old, first);
  const second = await size();
  await p.evaluate(() => window.term.clear());
  await typeLine(p, 'stty size');
  await waitTerminal(p, new RegExp(`^${second}$`, 'm'));
  await p.close();
});

test('UTF-8 split across writes renders as if it was sent whole', async () => {
  await openTerminal(page);
  // the euro sign, a wide emoji and an accented letter, each cut inside its bytes between two writes
  await typeLine(page, "printf '\\342\\202'; sleep 0.2; printf '\\254 \\360\\237'; sleep 0.2; printf '\\230\\200 \\303'; sleep 0.2; printf '\\251!\\n'");
  await waitTerminal(page, /^€ 😀 é!$/m);
});

test('yes in one terminal freezes neither its page nor another tab', async () => {
  await openTerminal(page);
  await typeLine(page, 'yes 0123456789abcdef0123456789abcdef | head -c 20000000; echo flood-$((8*8))');
  await page.waitForFunction(() => window.berthTerminal.written > 1_000_000);
  const other = await context.newPage();
  try {
    await openTerminal(other);
    await typeLine(other, 'echo $((7*8))');
    await waitTerminal(other, /^56$/m);
    const during = await page.evaluate(() => window.berthTerminal.written);
    assert.ok(during < 20_000_000, `the other tab answered while the flood ran (${during} bytes of it shown so far)`);
    await waitTerminal(page, /flood-64$/m, 60_000);
  } finally {
    await other.close();
  }
});

test('a second browser, invited, shares the session: it sees the output, types into it, and the terminal takes the smaller size', async () => {
  await openTerminal(page);
  await typeLine(page, 'echo first-$((1+1))');
  await waitTerminal(page, /^first-2$/m);
  await page.click('#share');
  await page.waitForFunction(() => document.getElementById('share-url')?.textContent);
  const invite = await page.locator('#share-url').textContent();
  assert.match(invite ?? '', /^http:\/\/.*\/login\?token=/);
  const other = await browser.newContext({ viewport: { width: 700, height: 500 } });
  try {
    const p2 = await login(other, invite!);
    assert.equal(new URL(p2.url()).pathname, new URL(page.url()).pathname, 'the invitation leads to the same session');
    await waitConnected(p2, con);
    await waitTerminal(p2, /^first-2$/m);
    await p2.keyboard.type('echo second-$((2+2))');
    await p2.keyboard.press('Enter');
    await waitTerminal(page, /^second-4$/m);
    const sizes = await Promise.all([page, p2].map((p) => p.evaluate(() => [window.term.cols, window.term.rows])));
    assert.deepEqual(sizes[0], sizes[1], 'both pages show the one terminal size');
    const proposed = await p2.evaluate(() => window.term.cols);
    assert.ok(proposed < 1000 / 9, 'sized to the smaller viewport');
  } finally {
    await other.close();
  }
});

test('the logs page paints 100,000 coloured lines in under a second and finds a line by search', async () => {
  await daemon.ok(['run', '--name', 'chatty', 'busybox', 'awk',
    'BEGIN { for (i = 0; i < 100000; i++) printf "\\033[3%dmline %d\\033[0m of the log\\n", i % 7 + 1, i }']);
  const p = await context.newPage();
  await p.goto(`${con.origin}/containers/chatty/logs`);
  await p.waitForFunction(() => window.berthLogs?.done && window.berthLogs.lines >= 100000, null, { timeout: 30_000 });
  const firstPaint = await p.evaluate(() => window.berthLogs.firstPaint!);
  assert.ok(firstPaint < 1500, `first paint after ${Math.round(firstPaint)} ms (the issue: under 1 s)`);
  await p.fill('#search', 'line 73456 of');
  await p.press('#search', 'Enter');
  const row = p.locator('#log .row.current');
  await row.waitFor();
  assert.equal(await row.textContent(), 'line 73456 of the log');
  assert.equal(await row.locator('span').first().evaluate((s) => getComputedStyle(s).color), 'rgb(17, 168, 205)', 'ANSI cyan (36)');
  await p.close();
});

test('a page on another origin (another port of the same host) cannot drive the console', async () => {
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  try {
    const p = await context.newPage();
    await p.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const outcome = await p.evaluate(async (origin) => {
      const results: Record<string, string> = {};
      results.post = await fetch(`${origin}/api/containers/box/stop`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' })
        .then((r) => r.type, () => 'blocked');
      const read = await fetch(`${origin}/containers`, { credentials: 'include' }).then((r) => `read ${r.status}`, () => 'blocked');
      results.read = read;
      results.ws = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws/terminals/anything?ticket=x`);
        ws.onopen = () => resolve('open');
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      });
      return results;
    }, con.origin);
    assert.equal(outcome.read, 'blocked', 'the browser does not let the other origin read a page');
    assert.equal(outcome.ws, 'closed 1006', 'the WebSocket upgrade was refused');
    const state = JSON.parse((await daemon.api('GET', '/containers/box/json')).body) as { State: { Running: boolean } };
    assert.equal(state.State.Running, true, 'the cross-origin POST (which carried the cookie: same site) did not stop the container');
    await p.close();
  } finally {
    evil.close();
  }
});

export { terminalText };
