import { lstat, mkdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidArgumentError, orIfMissing } from '../../lib/errors.js';

/**
 * Resolves `path` inside `root` the way the container will see it: symlinks are followed within the
 * root (an absolute link target starts at the root), so nothing outside the rootfs is ever reached.
 * Returns the host path.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = posix.join(root, ...resolved, part);
    const st = await orIfMissing(lstat(host), undefined);
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new InvalidArgumentError(`too many levels of symbolic links in ${path}`);
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      parts.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    resolved.push(part);
  }
  return posix.join(root, ...resolved);
}

/** Creates the working directory in the rootfs when missing, as Docker does at start. */
export async function ensureWorkingDir(root: string, cwd: string): Promise<void> {
  if (cwd === '/') return;
  const host = await resolveInRoot(root, cwd);
  const st = await orIfMissing(lstat(host), undefined);
  if (st && !st.isDirectory()) throw new InvalidArgumentError(`Cannot mkdir: ${cwd} is not a directory`);
  if (!st) await mkdir(host, { recursive: true, mode: 0o755 });
}
