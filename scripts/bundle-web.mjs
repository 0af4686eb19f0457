// Bundles each page module of the console (src/cli/console/web/*-page.ts) with what it imports,
// xterm.js and its addons included, into one file in dist/cli/console/bundles/: a page loads one
// script, not a graph of a dozen modules over the browser's six connections to the console. tsc
// leaves these entry files out of dist/ (tsconfig.json) and type-checks them with the tests.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'src', 'cli', 'console', 'web');
const pages = readdirSync(web).filter((f) => f.endsWith('-page.ts'));

await build({
  entryPoints: pages.map((f) => join(web, f)),
  outdir: join(root, 'dist', 'cli', 'console', 'bundles'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
