import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { errorMessage, NoSpaceError, SystemError, orIfMissing } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/root-path.js';

const execFileAsync = promisify(execFile);

/**
 * Fills a new, empty volume with what the image has at the mount's destination, as Docker does on
 * first use: contents, ownership and modes (the volume's root takes the image directory's). Does
 * nothing when the volume has content or the image has no directory there.
 */
export async function copyImageContent(rootfs: string, destination: string, volumeDir: string): Promise<void> {
  // Image content is untrusted: `/data -> /etc` must lead to the image's /etc, not the host's.
  const source = await resolveInRoot(rootfs, destination).catch((err) => {
    throw new SystemError(`copying image content of ${destination} into volume: ${errorMessage(err)}`);
  });
  const st = await orIfMissing(lstat(source), undefined);
  if (!st?.isDirectory()) return;
  if ((await readdir(volumeDir)).length > 0) return;
  try {
    // -a: recursive, no dereferencing, ownership/modes/times/xattrs kept; `src/.` copies the contents
    // and gives the volume root the attributes of the image's directory.
    await execFileAsync('cp', ['-a', '--', `${source}/.`, `${volumeDir}/`]);
  } catch (err) {
    // Half a copy would stay for good (a volume with content is never filled again): back to empty.
    for (const name of await readdir(volumeDir)) await rm(join(volumeDir, name), { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr?.trim();
    // cp says `cp: error writing '<path>': No space left on device`: Docker's words name the path.
    const full = stderr && /^cp: (?:error writing|cannot create [^']*) '(.*)': No space left on device$/m.exec(stderr);
    if (full) throw new NoSpaceError('write', full[1], { cause: err });
    throw new SystemError(`copying image content of ${destination} into volume: ${stderr || (err as Error).message}`);
  }
}
