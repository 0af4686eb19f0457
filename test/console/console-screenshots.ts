// Not a test: regenerates the screenshots of docs/console.md (docs/console-*.png) from a real berthd,
// console and chromium. Run by hand: node --import tsx test/console/console-screenshots.ts
import { join } from 'node:path';
import { startDaemon, ROOT } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { launchBrowser } from '../helpers/browser.js';
import { login, startConsole, waitConnected, waitTerminal } from './console-harness.js';

const daemon = await startDaemon();
const browser = await launchBrowser();
const con = await startConsole(daemon).catch(async (err: unknown) => {
  await browser.close();
  await daemon.stop();
  throw err;
});
try {
  await importBusybox(daemon);
  await daemon.ok(['volume', 'create', 'site-data']);
  await daemon.ok(['network', 'create', 'backend']);
  await daemon.ok(['run', '-d', '--name', 'web', '-p', '8081:80', '-v', 'site-data:/www', '--network', 'backend',
    '--health-cmd', 'true', '--health-interval', '1s', 'busybox', 'httpd', '-f', '-h', '/www']);
  await daemon.ok(['run', '-dti', '--name', 'shell', '--network', 'none', 'busybox', 'sh']);
  await daemon.ok(['run', '--name', 'job', '--network', 'none', 'busybox', 'awk',
    'BEGIN { for (i = 1; i <= 2000; i++) printf "%s \\033[3%dm%-5s\\033[0m request %d served in %d ms\\n", "2026-12-07T10:00:00Z", (i % 5 ? 2 : 1), (i % 5 ? "INFO" : "WARN"), i, i % 97 }']);
  const context = await browser.newContext({ viewport: { width: 1100, height: 640 } });
  const page = await login(context, con.url);
  const shot = (name: string) => page.screenshot({ path: join(ROOT, 'docs', `console-${name}.png`) });
  await page.waitForTimeout(1500);
  await page.goto(`${con.origin}/containers`);
  await shot('containers');
  await page.goto(`${con.origin}/containers/web`);
  await page.locator('[data-stat="pids"]').filter({ hasNotText: '-' }).waitFor();
  await shot('container');
  await page.goto(`${con.origin}/containers/job/logs`);
  await page.waitForFunction(() => window.berthLogs?.done);
  await page.fill('#search', 'request 1234 ');
  await page.press('#search', 'Enter');
  await shot('logs');
  await page.goto(`${con.origin}/containers/web/terminal`);
  await waitConnected(page, con);
  await waitTerminal(page, /# *$/m);
  await page.keyboard.type("ls --color=always /; echo $((6*7)); stty size; printf '\\342\\202\\254 \\360\\237\\230\\200 d\\303\\251j\\303\\240 vu\\n'\n");
  await waitTerminal(page, /vu$/m);
  await shot('terminal');
  await page.goto(`${con.origin}/containers/shell/attach`);
  await waitConnected(page, con);
  await page.keyboard.type('echo attached to the own shell of the container\n');
  await waitTerminal(page, /^attached to/m);
  await shot('attach');
  for (const section of ['images', 'volumes', 'networks']) {
    await page.goto(`${con.origin}/${section}`);
    await shot(section);
  }
} finally {
  await browser.close();
  await con.stop();
  await daemon.stop();
}
