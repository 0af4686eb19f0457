// Paths inside a root directory (a container's or an image's root filesystem, a build context, an
// unpacked archive) resolved as if the process were chrooted there. The content of such a root is not
// trusted: a plain join would follow `/data -> /etc` to the host's /etc. This is the one resolver of
// Berth's code; every "path inside a root" goes through it.
import { lstat, readlink, stat } from 'node:fs/promises';
import type { BigIntStats, Stats } from 'node:fs';
import { posix } from 'node:path';
import { InvalidArgumentError, SystemError } from './errors.js';

/** Linux's MAXSYMLINKS: the symbolic links one path resolution follows before it fails with ELOOP. */
export const MAX_SYMLINKS = 40;

/**
 * Resolves `path` (taken as absolute inside `root`) to a host path under `root`, following every
 * symbolic link as the kernel would after chroot(root): an absolute target starts again at the root,
 * `..` stops at it. The path as given is cleaned first (as Docker's FollowSymlinkInScope does); a `..`
 * reached through a link applies to where the link led. Missing components are accepted as they are,
 * so callers may create them.
 *
 * Failures, each one kind and one message naming the container path (never the host's):
 * more than MAX_SYMLINKS links, or a component that is not a directory, is an InvalidArgumentError;
 * any other file system error a SystemError (see pathInRootError).
 *
 * The answer is true when returned: a process that can write inside the root may swap a component
 * for a link afterwards. Code that writes under the result re-checks what it creates (tar-unpack
 * lstats every parent).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const asked = posix.normalize(`/${path}`);
  if (path.includes('\0')) throw pathInRootError(errno('EINVAL'), asked);
  const base = root.replace(/\/+$/, '');
  let rest = asked.slice(1);
  let done = '';
  let links = 0;
  while (rest !== '') {
    const slash = rest.indexOf('/');
    const part = slash === -1 ? rest : rest.slice(0, slash);
    rest = slash === -1 ? '' : rest.slice(slash + 1);
    if (part === '' || part === '.') continue;
    // `..` is taken on the already resolved prefix, so it can never climb above the root.
    const next = posix.normalize(`/${done}/${part}`);
    if (next === '/') {
      done = '';
      continue;
    }
    const host = base + next;
    let st: Stats;
    try {
      st = await lstat(host);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw pathInRootError(err, next);
      done = next.slice(1);
      continue;
    }
    if (!st.isSymbolicLink()) {
      done = next.slice(1);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw pathInRootError(errno('ELOOP'), asked);
    let target: string;
    try {
      target = await readlink(host);
    } catch (err) {
      throw pathInRootError(err, next, 'readlink');
    }
    if (target.startsWith('/')) done = '';
    rest = rest === '' ? target : `${target}/${rest}`;
  }
  return done === '' ? root : `${base}/${done}`;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  EINVAL: 'invalid argument',
};

/**
 * A file system error met at `containerPath` inside a root, worded with that path (never the host's)
 * as Go words `op path: reason`. A path that cannot be resolved (a file where a directory must be, a
 * link loop, a NUL byte) is the request's fault: InvalidArgumentError; anything else a SystemError.
 */
export function pathInRootError(err: unknown, containerPath: string, op = 'lstat'): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const text = `${op} ${containerPath}: ${ERRNO_WORDS[code] ?? (code || (err as Error).message)}`;
  return code === 'ENOTDIR' || code === 'ELOOP' || code === 'EINVAL' ? new InvalidArgumentError(text) : new SystemError(text);
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/**
 * lstat of a path resolveInRoot answered. The root itself is followed: a running container's root is
 * `/proc/<pid>/root`, a link the kernel resolves to the container's `/`, which is a directory.
 */
export function lstatResolved(root: string, resolved: string): Promise<Stats>;
export function lstatResolved(root: string, resolved: string, options: { bigint: true }): Promise<BigIntStats>;
export function lstatResolved(root: string, resolved: string, options?: { bigint: true }): Promise<Stats | BigIntStats> {
  const same = posix.normalize(resolved).replace(/\/+$/, '') === posix.normalize(root).replace(/\/+$/, '');
  if (options) return same ? stat(resolved, options) : lstat(resolved, options);
  return same ? stat(resolved) : lstat(resolved);
}
