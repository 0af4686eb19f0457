import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { orIfMissing } from '../../lib/errors.js';

/**
 * Bytes used by the files under `dir` (hard links counted once, symlinks not followed), as Docker
 * reports for prune's SpaceReclaimed. Entries that vanish while walking are skipped.
 */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        await walk(child);
        continue;
      }
      const st = await orIfMissing(lstat(child), undefined);
      if (!st) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
