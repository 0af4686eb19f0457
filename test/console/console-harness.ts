// A `berth console` for tests: started against a test daemon on a free port, its login URL read from
// the first line with http:// as a user would, stopped (and its terminals with it) in `after`.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BERTH, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { launchBrowser } from '../helpers/browser.js';

export interface RunningConsole {
  /** The login URL the console printed (one-time token). */
  url: string;
  /** scheme://host:port of the console. */
  origin: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startConsole(daemon: Pick<TestDaemon, 'host'>, args: string[] = ['--listen', '127.0.0.1:0']): Promise<RunningConsole> {
  // -D: the console logs each request it serves (and its API calls), for a failure's report
  const proc = spawn(process.execPath, ['--', BERTH, '-H', daemon.host, '-D', 'console', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth console printed no URL in 15 s:\n${out}${err}`)), 15_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('http://') || l.includes('https://'));
      const m = line && /(https?:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => reject(new Error(`berth console exited with ${code}:\n${out}${err}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    proc,
    output: () => out + err,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Logs a browser context in with a one-time login URL; resolves with the page it landed on. */
export async function login(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const res = await page.goto(url);
  if (!res || !res.ok()) throw new Error(`login at ${url} answered ${res?.status()}`);
  return page;
}

/** The text of the terminal's buffer (window.term), lines trimmed at the end. */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const buffer = window.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').trimEnd();
  });
}

/** Waits until the terminal shows `pattern`; fails with the screen after `ms`. */
export async function waitTerminal(page: Page, pattern: RegExp, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await terminalText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until the terminal page's WebSocket is open (window.berthTerminal.connected). The first
 * terminal of a run loads xterm.js and starts the console's first exec, which a loaded machine can
 * make slow: the bound is generous, and a failure says what the page showed and the console printed.
 */
export async function waitConnected(page: Page, con?: Pick<RunningConsole, 'output'>, ms = 60_000): Promise<void> {
  try {
    await page.waitForFunction(() => window.berthTerminal?.connected, undefined, { timeout: ms });
  } catch (err) {
    const seen = await page.evaluate(() => ({
      url: location.href,
      status: document.getElementById('status')?.textContent ?? null,
      connects: window.berthTerminal?.connects ?? null,
      session: window.berthTerminal?.session ?? null,
      loaded: performance.getEntriesByType('resource').map((e) => e.name.replace(location.origin, '')),
    })).catch((e: unknown) => ({ evaluate: String(e) }));
    throw new Error(`the terminal page did not connect in ${ms} ms: ${(err as Error).message}\n`
      + `page: ${JSON.stringify(seen)}\nconsole output:\n${con?.output() ?? '(not captured)'}`);
  }
}

/** A user's setup: a daemon with busybox and one running `sleep` container, a console, a logged-in browser. */
export interface ConsoleSession {
  daemon: TestDaemon;
  con: RunningConsole;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function startConsoleSession(container: string, viewport: { width: number; height: number }): Promise<ConsoleSession> {
  const daemon = await startDaemon();
  const parts: Partial<ConsoleSession> = { daemon };
  const close = async (): Promise<void> => {
    await parts.browser?.close();
    await parts.con?.stop();
    await daemon.stop();
  };
  try {
    await importBusybox(daemon);
    await daemon.ok(['run', '-d', '--name', container, 'busybox', 'sleep', '600']);
    parts.con = await startConsole(daemon);
    parts.browser = await launchBrowser();
    parts.context = await parts.browser.newContext({ viewport });
    parts.page = await login(parts.context, parts.con.url);
  } catch (err) {
    await close();
    throw err;
  }
  return { ...(parts as Omit<ConsoleSession, 'close'>), close };
}

/** Types a line on the page's terminal as a user does. */
export async function typeLine(p: Page, text: string): Promise<void> {
  await p.keyboard.type(text);
  await p.keyboard.press('Enter');
}
