/**
 * The files the pages load: each page's script, bundled with what it imports (xterm.js and its
 * addons for the terminal) by scripts/bundle-web.mjs into ./bundles/, xterm.js's stylesheet from
 * node_modules, and the console's stylesheet. Read once, kept in memory; nothing outside these names
 * is served.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSS } from './console-style.js';

const require = createRequire(import.meta.url);
const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'bundles');

/** The page bundles (`npm run build` writes them). */
const PAGE_BUNDLE = /^[a-z][a-z0-9-]*-page\.js$/;

export interface Asset {
  contentType: string;
  body: Buffer;
}

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

const cache = new Map<string, Promise<Asset | undefined>>();

function typeOf(name: string): string {
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'text/javascript; charset=utf-8';
}

async function load(path: string): Promise<Asset | undefined> {
  if (path === '/assets/console.css') return { contentType: typeOf(path), body: Buffer.from(CONSOLE_CSS) };
  let file: string | undefined;
  if (path === '/assets/xterm/xterm.css') file = join(packageDir('@xterm/xterm'), 'css', 'xterm.css');
  const app = /^\/assets\/app\/([^/]+)$/.exec(path);
  if (app && PAGE_BUNDLE.test(app[1]!)) file = join(BUNDLE_DIR, app[1]!);
  if (!file) return undefined;
  try {
    return { contentType: typeOf(file), body: await readFile(file) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The asset at a URL path, or undefined when there is none of that name. */
export function asset(path: string): Promise<Asset | undefined> {
  let entry = cache.get(path);
  if (!entry) {
    entry = load(path);
    cache.set(path, entry);
    entry.then((a) => { if (!a) cache.delete(path); }, () => cache.delete(path));
  }
  return entry;
}
