// The daemon's side of .dockerignore (the patterns themselves: src/lib/dockerignore.ts). The docker CLI
// leaves excluded files out of the context already; the daemon applies the file again so that any API
// client gets the same result.
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IgnoreMatcher } from '../../lib/dockerignore.js';

/** An excluded directory that still holds re-included files stays; any other failure is one. */
function keepWhenNotEmpty(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOTEMPTY') throw err;
}

/**
 * Removes what `matcher` excludes from the unpacked context at `root`. A directory that is excluded
 * but holds re-included files keeps those files.
 */
export async function removeIgnored(root: string, matcher: IgnoreMatcher): Promise<void> {
  if (matcher.empty) return;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(root, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, child));
      if (st.isDirectory()) {
        await walk(child);
        if (matcher.excludes(child)) await rmdir(join(root, child)).catch(keepWhenNotEmpty);
      } else if (matcher.excludes(child)) {
        await rm(join(root, child), { force: true });
      }
    }
  };
  await walk('');
}
