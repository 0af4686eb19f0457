// The hub pages' browser: the shared headless chromium (../../helpers/browser.ts) with one context.
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser as launchChromium } from '../../helpers/browser.js';

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with one context; `origin` gets the clipboard permissions (for copy buttons). Actions time out after 10 s. */
export async function launchBrowser(origin?: string): Promise<TestBrowser> {
  const browser = await launchChromium();
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
