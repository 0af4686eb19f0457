import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

// The shape of src/ that docs/architecture.md describes, checked: folders depend one way only (a
// folder imports folders below it in ORDER, never one beside or above it), no two files import each
// other even through others, and every file stays small enough to read in one sitting.

const SRC = resolve(import.meta.dirname, '..', '..', 'src');
const MAX_LINES = 400;

/**
 * Folders from the bottom up. A file may import its own folder and any folder of an earlier rank;
 * folders of one rank are independent of each other. Each program (berthd, berth, berth-registry)
 * stands on lib/ only.
 */
const ORDER: string[][] = [
  ['lib'],
  ['engine/base'],
  ['engine/store'],
  ['engine/events'],
  ['engine/runtime', 'engine/volumes', 'engine/network', 'engine/layers', 'engine/progress'],
  ['engine/images'],
  ['engine/distribution', 'engine/containers'],
  ['engine/build'],
  ['engine/services'],
  ['engine/api'],
  ['engine'],
  ['registry/base'],
  ['registry/storage'],
  ['registry/content', 'registry/auth'],
  ['registry/proxy'],
  ['registry/hub'],
  ['registry/handlers'],
  ['registry/web'],
  ['registry'],
  ['cli/base'],
  ['cli/render/template'],
  ['cli/render'],
  ['cli/client'],
  ['cli/console/web'],
  ['cli/console'],
  ['cli/commands'],
  ['cli'],
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Every relative import and re-export of a file, type-only ones included, as absolute .ts paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name).replace(/\.js$/, '.ts'));
}

function folderOf(file: string): string {
  return relative(SRC, dirname(file));
}

function rankOf(folder: string): number {
  // A folder not listed takes the rank of its nearest listed parent.
  for (let f = folder; f; f = dirname(f) === '.' ? '' : dirname(f)) {
    const rank = ORDER.findIndex((group) => group.includes(f));
    if (rank >= 0) return rank;
  }
  return -1;
}

function programOf(folder: string): string {
  return folder.split('/')[0]!;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('every folder of src/ has its place in the one-way order', () => {
  const unplaced = [...new Set(files.map(folderOf))].filter((f) => rankOf(f) < 0);
  assert.deepEqual(unplaced, []);
});

test('folders import only folders below them: lib <- engine parts <- api <- composition root', () => {
  const wrong: string[] = [];
  for (const [file, deps] of graph) {
    const from = folderOf(file);
    for (const dep of deps) {
      const to = folderOf(dep);
      if (to === from) continue;
      const crossProgram = programOf(to) !== programOf(from) && programOf(to) !== 'lib';
      if (crossProgram || rankOf(to) >= rankOf(from)) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, dep)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import circle among the files of src/', () => {
  // Tarjan's strongly connected components: any component of more than one file is a circle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(relative(SRC, w)); } while (w !== v);
    if (component.length > 1) circles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  assert.deepEqual(circles, []);
});

test(`no file in src/ is over ${MAX_LINES} lines`, () => {
  const long = files.map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES).map((f) => `${f.file}: ${f.lines}`);
  assert.deepEqual(long, []);
});

test('the import check sees imports: the composition root imports the container manager', () => {
  // Guards the checks above against passing because the parser found nothing.
  const engine = graph.get(join(SRC, 'engine', 'services', 'engine.ts')) ?? [];
  assert.ok(engine.includes(join(SRC, 'engine', 'containers', 'container-manager.ts')), 'services/engine.ts imports the container manager');
});
