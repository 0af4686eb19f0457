// The catalog: every repository that holds manifests, found by walking the repositories tree.
import { PathNotFoundError } from '../base/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import { layout } from './layout.js';

/**
 * Repository names, sorted: the directories under the repositories root that hold one of `markers`
 * (the catalog lists those with manifests; garbage collection also wants those with only layers or uploads).
 */
export async function listRepositories(driver: StorageDriver, markers: readonly string[] = ['_manifests']): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, name: string): Promise<void> {
    let children: string[];
    try { children = await driver.list(dir); } catch (err) {
      if (err instanceof PathNotFoundError) return;
      throw err;
    }
    const bases = children.map((c) => c.slice(c.lastIndexOf('/') + 1));
    if (name && bases.some((b) => markers.includes(b))) out.push(name);
    for (let i = 0; i < children.length; i++) {
      if (bases[i].startsWith('_')) continue;
      await walk(children[i], name ? `${name}/${bases[i]}` : bases[i]);
    }
  }
  await walk(layout.repositoriesRoot, '');
  return out.sort();
}
