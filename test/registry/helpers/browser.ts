// A real browser for page tests: Debian's chromium (/usr/bin/chromium, `scripts/setup.sh` installs it)
// driven by playwright-core, headless, in a fresh profile that goes with close().
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with one context; `origin` gets the clipboard permissions (for copy buttons). Actions time out after 10 s. */
export async function launchBrowser(origin?: string): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    if (origin) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    context.setDefaultTimeout(10_000);
    return { browser, context, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
