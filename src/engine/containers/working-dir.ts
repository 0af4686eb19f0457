import { chown, lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { rootPair, type IdMapping } from '../../lib/id-mapping.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { pathInRootError, resolveInRoot } from '../../lib/root-path.js';

/** Creates the working directory in the rootfs when missing, as Docker does at start. */
export async function ensureWorkingDir(root: string, cwd: string, idMapping?: IdMapping): Promise<void> {
  if (cwd === '/') return;
  const host = await resolveInRoot(root, cwd);
  const st = await lstat(host).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw pathInRootError(err, cwd);
  });
  if (st && !st.isDirectory()) throw new InvalidArgumentError(`Cannot mkdir: ${cwd} is not a directory`);
  if (st) return;
  // Owned by the container's root, as dockerd makes it (under --userns-remap the remapped root).
  const first = await mkdir(host, { recursive: true, mode: 0o755 });
  if (first && idMapping) {
    const { uid, gid } = rootPair(idMapping);
    for (let p = host; p.length >= first.length; p = dirname(p)) await chown(p, uid, gid);
  }
}
