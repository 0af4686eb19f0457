import { lstat, readdir, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { unlinkDurable, writeFileAtomic } from '../../lib/atomic-file.js';
import type { WarningSink } from '../../lib/best-effort.js';
import { errorMessage, NoSpaceError, SystemError, orIfMissing } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/root-path.js';

const execFileAsync = promisify(execFile);

/**
 * Beside a volume's data directory (`<volumes>/<name>/`) while image content is being copied into it:
 * a copy cut short (the daemon killed, the disk full) is taken out again, so the volume is never left
 * half filled. Holds the destination the copy was for, for a person reading the directory.
 */
export const COPY_UP_MARKER = 'copy-up.incomplete';

/**
 * Fills a new, empty volume with what the image has at the mount's destination, as Docker does on
 * first use: contents, ownership and modes (the volume's root takes the image directory's). Does
 * nothing when the volume has content or the image has no directory there.
 *
 * Where Docker leaves a copy it could not finish in the volume (which, no longer empty, is never
 * filled again), here a failed copy empties the volume before the error is thrown, and one the daemon
 * did not live to finish is emptied at the next start (`undoInterruptedCopies`): either way the next
 * start copies again, and the volume holds the image's content whole or not at all.
 */
export async function copyImageContent(rootfs: string, destination: string, volumeDir: string): Promise<void> {
  // Image content is untrusted: `/data -> /etc` must lead to the image's /etc, not the host's.
  const source = await resolveInRoot(rootfs, destination).catch((err) => {
    throw new SystemError(`copying image content of ${destination} into volume: ${errorMessage(err)}`);
  });
  const st = await orIfMissing(lstat(source), undefined);
  if (!st?.isDirectory()) return;
  if ((await readdir(volumeDir)).length > 0) return;
  const marker = join(dirname(volumeDir), COPY_UP_MARKER);
  await writeFileAtomic(marker, `${destination}\n`, { mode: 0o600 });
  try {
    // -a: recursive, no dereferencing, ownership/modes/times/xattrs kept; `src/.` copies the contents
    // and gives the volume root the attributes of the image's directory. setpriv (util-linux) has the
    // kernel kill cp when the daemon dies: a cp that outlived a kill -9 would go on filling the volume
    // while the next daemon empties it.
    await execFileAsync('setpriv', ['--pdeathsig', 'KILL', '--', 'cp', '-a', '--', `${source}/.`, `${volumeDir}/`]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    // cp says `cp: error writing '<path>': No space left on device`: Docker's words name the path.
    const full = stderr && /^cp: (?:error writing|cannot create [^']*) '(.*)': No space left on device$/m.exec(stderr);
    const failure = full
      ? new NoSpaceError('write', full[1], { cause: err })
      : new SystemError(`copying image content of ${destination} into volume: ${stderr || (err as Error).message}`, { cause: err });
    // Half a copy would stay for good (a volume with content is never filled again): back to empty.
    try {
      await emptyDir(volumeDir);
      await unlinkDurable(marker);
    } catch (undo) {
      // The marker stays: the next daemon start empties the volume.
      throw new SystemError(`${failure.message}; emptying the volume again failed too: ${errorMessage(undo)}`, { cause: failure });
    }
    throw failure;
  }
  await unlinkDurable(marker);
}

/**
 * At daemon start, before any container starts: empties the data of each volume (`<root>/<name>`)
 * whose copy-up was cut short, telling `log`. Returns the names of those volumes.
 */
export async function undoInterruptedCopies(root: string, names: Iterable<string>, dataDir: string, log: WarningSink): Promise<string[]> {
  const undone: string[] = [];
  for (const name of names) {
    const marker = join(root, name, COPY_UP_MARKER);
    if (!(await orIfMissing(lstat(marker), undefined))) continue;
    log.warn(`volume ${name}: removing the part of the image's content a start that did not finish copied in; the next start copies it again`);
    await emptyDir(join(root, name, dataDir));
    await unlinkDurable(marker);
    undone.push(name);
  }
  return undone;
}

/** Removes what a directory holds, not the directory (it may be a mount point). */
async function emptyDir(dir: string): Promise<void> {
  for (const name of await orIfMissing(readdir(dir), [])) await rm(join(dir, name), { recursive: true, force: true });
}
