import { lstat, mkdir } from 'node:fs/promises';
import { InvalidArgumentError } from '../../lib/errors.js';
import { pathInRootError, resolveInRoot } from '../../lib/root-path.js';

/** Creates the working directory in the rootfs when missing, as Docker does at start. */
export async function ensureWorkingDir(root: string, cwd: string): Promise<void> {
  if (cwd === '/') return;
  const host = await resolveInRoot(root, cwd);
  const st = await lstat(host).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw pathInRootError(err, cwd);
  });
  if (st && !st.isDirectory()) throw new InvalidArgumentError(`Cannot mkdir: ${cwd} is not a directory`);
  if (!st) await mkdir(host, { recursive: true, mode: 0o755 });
}
