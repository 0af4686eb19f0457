// A real browser for tests: Debian's chromium driven by playwright-core (no browser download).
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches headless chromium; the caller closes it (in `after`). Its back/forward cache stays on, as
 * in a user's browser (playwright turns it off by default): a page left behind may live on there.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true, ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
}
