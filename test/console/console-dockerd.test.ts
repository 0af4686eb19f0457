// The console drives a stock dockerd as it drives berthd (Debian's dockerd 20.10, API 1.41: no exec
// ConsoleSize, so the exec is resized as it starts): the list, and a terminal at the browser's size.
// Uses the shared reference dockerd; its objects carry the prefix console15- and are removed after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { DOCKER } from '../helpers/daemon.js';
import { launchBrowser } from '../helpers/browser.js';
import { login, startConsole, waitConnected, waitTerminal, type RunningConsole } from './console-harness.js';

const TOOL = '/work/shared/tools/reference-dockerd';
const available = existsSync(TOOL);
const NAME = `console15-${process.pid}`;
let host = '';
let con: RunningConsole | undefined;
let browser: Browser | undefined;

before(async () => {
  if (!available) return;
  host = execFileSync(TOOL, ['start'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  execFileSync(TOOL, ['busybox'], { stdio: 'ignore' });
  execFileSync(DOCKER, ['-H', host, 'run', '-d', '--network', 'none', '--name', NAME, 'busybox', 'sleep', '300'], { stdio: 'ignore' });
  con = await startConsole({ host });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await con?.stop();
  if (host) execFileSync(DOCKER, ['-H', host, 'rm', '-f', NAME], { stdio: 'ignore' });
});

test('against dockerd: the list shows its container, and a terminal answers at the browser size', { skip: !available && 'no reference dockerd here' }, async () => {
  const context = await browser!.newContext({ viewport: { width: 800, height: 500 } });
  const page = await login(context, con!.url);
  assert.ok(await page.locator('#containers tr', { hasText: NAME }).count() > 0);
  await page.goto(`${con!.origin}/containers/${NAME}/terminal`);
  await waitConnected(page, con);
  await waitTerminal(page, /# *$/m);
  const size = await page.evaluate(() => `${window.term.rows} ${window.term.cols}`);
  await page.keyboard.type('echo $((6*7)); stty size');
  await page.keyboard.press('Enter');
  await waitTerminal(page, new RegExp(`^42\\n${size}$`, 'm'));
  await context.close();
});
