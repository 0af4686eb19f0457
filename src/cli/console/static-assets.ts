/**
 * The files the pages load: xterm.js and its addons as published in node_modules (their ES module
 * builds, which import nothing), the console's own browser modules (compiled from ./web/), and its
 * stylesheet. Read once, kept in memory; nothing outside these names is served.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSS } from './console-style.js';

const require = createRequire(import.meta.url);
const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

const XTERM_FILES: Record<string, [string, string]> = {
  'xterm.mjs': ['@xterm/xterm', 'lib/xterm.mjs'],
  'xterm.css': ['@xterm/xterm', 'css/xterm.css'],
  ...Object.fromEntries(['fit', 'web-links', 'search', 'clipboard', 'unicode11', 'serialize']
    .map((a) => [`addon-${a}.mjs`, [`@xterm/addon-${a}`, `lib/addon-${a}.mjs`]])),
};

/** The browser modules of ./web/ (compiled to .js beside this file). */
const APP_MODULE = /^[a-z][a-z0-9-]*\.js$/;

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
  const xterm = /^\/assets\/xterm\/([^/]+)$/.exec(path);
  if (xterm && Object.hasOwn(XTERM_FILES, xterm[1]!)) {
    const [pkg, rel] = XTERM_FILES[xterm[1]!]!;
    file = join(packageDir(pkg), rel);
  }
  const app = /^\/assets\/app\/([^/]+)$/.exec(path);
  if (app && APP_MODULE.test(app[1]!)) file = join(WEB_DIR, app[1]!);
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
