import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SystemError } from '../../lib/errors.js';
import { mountOverlay, unmountAt } from '../runtime/host-process.js';

/** A container's writable layer: `upper` and `work` persist, `merged` is the mount point. */
export interface RootfsDirs {
  upper: string;
  work: string;
  merged: string;
}

export function rootfsDirs(containerDir: string): RootfsDirs {
  return { upper: join(containerDir, 'diff'), work: join(containerDir, 'work'), merged: join(containerDir, 'merged') };
}

/**
 * Mounts the container's root filesystem: the image's layers read-only below, the container's own
 * layer above, so changes never reach the image. Idempotent (an existing mount is kept: a container
 * that kept running across a daemon restart still uses it).
 */
export async function mountRootfs(dirs: RootfsDirs, lowerDirs: string[]): Promise<void> {
  if (await isMounted(dirs.merged)) return;
  await mkdir(dirs.upper, { recursive: true, mode: 0o755 });
  await mkdir(dirs.work, { recursive: true, mode: 0o700 });
  await mkdir(dirs.merged, { recursive: true, mode: 0o755 });
  const options = `lowerdir=${lowerDirs.join(':')},upperdir=${dirs.upper},workdir=${dirs.work}`;
  try {
    await mountOverlay(dirs.merged, options);
  } catch (err) {
    throw new SystemError(`error mounting the container's root filesystem: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
}

/** Unmounts the root filesystem if mounted (lazily when something still holds it). */
export function unmountRootfs(dirs: RootfsDirs): Promise<void> {
  return unmountPath(dirs.merged);
}

/** Unmounts whatever is mounted at `path`, if anything (lazily when something still holds it). */
export function unmountPath(path: string): Promise<void> {
  return unmountAt(path, isMounted);
}

export async function isMounted(path: string): Promise<boolean> {
  return (await mountPoints()).has(path);
}

/** Every mount point of this mount namespace (mountinfo's octal escapes undone). */
export async function mountPoints(): Promise<Set<string>> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.add(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}
