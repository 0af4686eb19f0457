import { lstat, readdir, readlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SystemError, orIfMissing } from '../../lib/errors.js';

const execFileAsync = promisify(execFile);

/**
 * Resolves `path` inside `root` as if `root` were `/`: symlinks (absolute or relative) and `..` can
 * never lead outside it. Image content is untrusted; a plain join would follow `/data -> /etc` to the
 * host's /etc.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const pending = path.split('/').filter(Boolean);
  const current: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current.pop();
      continue;
    }
    const candidate = `${root}/${[...current, part].join('/')}`;
    const st = await orIfMissing(lstat(candidate), undefined);
    if (st?.isSymbolicLink()) {
      if (++links > 255) throw new SystemError(`too many levels of symbolic links resolving ${path}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) current.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    current.push(part);
  }
  return current.length ? `${root}/${current.join('/')}` : root;
}

/**
 * Fills a new, empty volume with what the image has at the mount's destination, as Docker does on
 * first use: contents, ownership and modes (the volume's root takes the image directory's). Does
 * nothing when the volume has content or the image has no directory there.
 */
export async function copyImageContent(rootfs: string, destination: string, volumeDir: string): Promise<void> {
  const source = await resolveInRoot(rootfs, destination);
  const st = await orIfMissing(lstat(source), undefined);
  if (!st?.isDirectory()) return;
  if ((await readdir(volumeDir)).length > 0) return;
  try {
    // -a: recursive, no dereferencing, ownership/modes/times/xattrs kept; `src/.` copies the contents
    // and gives the volume root the attributes of the image's directory.
    await execFileAsync('cp', ['-a', '--', `${source}/.`, `${volumeDir}/`]);
  } catch (err) {
    throw new SystemError(`copying image content of ${destination} into volume: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
}
