// Terminals outlive the network and the page: 30 s offline, then the page is back on the same
// session with nothing lost (output made while it was away included); a new page on the session's URL
// gets the screen back from the server's headless terminal; the end of the process shows its status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { startConsoleSession, typeLine, waitConnected, waitTerminal, type ConsoleSession, type RunningConsole } from './console-harness.js';

let con: RunningConsole;
let context: BrowserContext;
let page: Page;
let session: ConsoleSession | undefined;

before(async () => {
  session = await startConsoleSession('steady', { width: 900, height: 600 });
  ({ con, context, page } = session);
});
after(async () => {
  await session?.close();
});

test('30 s offline, then online: the same session, its earlier output, and what it printed meanwhile', async () => {
  await page.goto(`${con.origin}/containers/steady/terminal`);
  await waitConnected(page, con);
  await waitTerminal(page, /# *$/m);
  const url = page.url();
  await typeLine(page, 'echo before-$((3*3)); (sleep 10; echo during-$((4*4))) &');
  await waitTerminal(page, /^before-9$/m);
  await context.setOffline(true);
  await page.waitForTimeout(30_000);
  await context.setOffline(false);
  await page.waitForFunction(() => window.berthTerminal.connected && window.berthTerminal.connects >= 2, null, { timeout: 20_000 });
  assert.equal(page.url(), url, 'the page is on the same session');
  const screen = await waitTerminal(page, /during-16$/m);
  assert.match(screen, /^before-9$/m, 'the earlier output is still there');
  assert.equal(screen.match(/^before-9$/gm)?.length, 1, 'nothing was replayed twice');
  await typeLine(page, 'echo after-$((5*5))');
  await waitTerminal(page, /^after-25$/m);
});

test('a new page on the session URL gets the screen back, and sees the exit status when the process ends', async () => {
  const p = await context.newPage();
  await p.goto(page.url());
  await waitConnected(p, con);
  const screen = await waitTerminal(p, /^after-25$/m);
  assert.match(screen, /^before-9$/m);
  await typeLine(p, 'exit 3');
  await p.waitForFunction(() => window.berthTerminal.exit !== undefined);
  assert.equal(await p.evaluate(() => window.berthTerminal.exit?.exitCode), 3);
  assert.match(await p.locator('#status').textContent() ?? '', /exited with code 3/);
  await page.waitForFunction(() => window.berthTerminal.exit?.exitCode === 3);
  await p.close();
});
