// `docker diff`: what the container changed, read from its overlay layer (the upper dir) against the
// image's layers, with Docker's rules (daemon's overlay changes): a 0/0 character device or an opaque
// directory is a deletion, a path that exists in a lower layer is a modification, anything else is an
// addition; a directory whose mode and mtime equal the lower one's is not reported by itself, but the
// parent of an addition or deletion always is.
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { opaqueDirs } from '../layers/archive-pack.js';
import { orIfMissing } from '../../lib/errors.js';

export const enum ChangeKind { Modify = 0, Add = 1, Delete = 2 }

export interface Change {
  Path: string;
  Kind: ChangeKind;
}

/**
 * Mount points the runtime creates in the container's own layer when the image lacks them. Docker
 * keeps these in a separate init layer, so they never show in diff or commit; here they are skipped
 * while they are still the empty placeholders.
 */
const MOUNT_STUBS = new Set([
  '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv',
  '/dev', '/dev/pts', '/dev/shm', '/dev/console', '/proc', '/sys',
]);

/**
 * True when `path` (container path; `hostPath` where it lies in the layer) is a runtime mount point
 * placeholder, not a change of the user: a listed path, absent below, an empty file or directory.
 */
export async function isMountStub(hostPath: string, path: string, st: Stats, lowerDirs: string[]): Promise<boolean> {
  if (!MOUNT_STUBS.has(path)) return false;
  if (st.isFile()) {
    if (st.size !== 0) return false;
  } else if (!st.isDirectory() || (await readdir(hostPath)).length > 0) {
    return false;
  }
  return !(await existsInLower(path, lowerDirs));
}

async function existsInLower(path: string, lowerDirs: string[]): Promise<Stats | undefined> {
  for (const lower of lowerDirs) {
    const st = await orIfMissing(lstat(join(lower, path)), undefined);
    if (st) return st;
  }
  return undefined;
}

/** The changes of the container whose layer is `upper`, in lexical path order. */
export async function containerChanges(upper: string, lowerDirs: string[]): Promise<Change[]> {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const opaque = await opaqueDirs(upper).catch(() => new Set<string>());

  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const hostPath = join(dir, name);
      const path = `${rel}/${name}`;
      const st = await orIfMissing(lstat(hostPath), undefined);
      if (!st) continue;
      if (await isMountStub(hostPath, path, st, lowerDirs)) continue;
      const deleted = (st.isCharacterDevice() && st.rdev === 0) || (st.isDirectory() && opaque.has(hostPath));
      let kind = ChangeKind.Add;
      let report = true;
      if (deleted) {
        kind = ChangeKind.Delete;
      } else {
        const below = await existsInLower(path, lowerDirs);
        if (below) {
          kind = ChangeKind.Modify;
          // A directory copied up only because something under it changed is not a change itself.
          if (st.isDirectory() && below.isDirectory() && st.mode === below.mode
            && (st.mtimeMs === below.mtimeMs || await holdsStub(hostPath, path, lowerDirs))) report = false;
        }
      }
      if (report) {
        if (st.isDirectory()) changedDirs.add(path);
        if (kind !== ChangeKind.Modify) {
          const parent = posix.dirname(path);
          if (parent !== '/' && !changedDirs.has(parent)) {
            changes.push({ Path: parent, Kind: ChangeKind.Modify });
            changedDirs.add(parent);
          }
        }
        changes.push({ Path: path, Kind: kind });
      }
      if (st.isDirectory()) await walk(hostPath, path);
    }
  };
  await walk(upper, '');
  return changes;
}

/** Whether the directory holds a runtime mount point placeholder (which changed its mtime). */
async function holdsStub(hostDir: string, path: string, lowerDirs: string[]): Promise<boolean> {
  for (const name of await orIfMissing(readdir(hostDir), [])) {
    const st = await orIfMissing(lstat(join(hostDir, name)), undefined);
    if (st && (await isMountStub(join(hostDir, name), `${path}/${name}`, st, lowerDirs))) return true;
  }
  return false;
}
