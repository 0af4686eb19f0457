// `docker cp`: stat, read and write paths inside a container (GET/HEAD/PUT /containers/{id}/archive).
// Every path is resolved inside the container's root (lib/root-path.ts); writing unpacks with the
// shared safe unpacker confined to the target directory.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerServices } from './container-services.js';
import type { Container } from './container.js';
import { ForbiddenError, InvalidArgumentError } from '../../lib/errors.js';
import { unpackLayer } from '../../lib/tar-unpack.js';
import { withContainerFs } from './archive-rootfs.js';
import { lstatResolved, pathInRootError, resolveInRoot } from '../../lib/root-path.js';
import { containerPathOf, fileNotFound, preserveTrailing, resolvePath, statPath, type PathStat } from './archive-path.js';
import { packPath } from '../layers/archive-pack.js';
import { resolveUser } from './user-lookup.js';

/** HEAD /containers/{id}/archive: what is at `path` (a symlink itself, not its target). */
export async function statContainerPath(engine: ContainerServices, c: Container, ref: string, path: string): Promise<PathStat> {
  checkPath(path);
  return withContainerFs(engine, c, async (fs) => statPath(fs.root, await resolvePath(fs.root, path), path, ref));
}

/**
 * GET /containers/{id}/archive: the stat and a tar of `path`, entries named after the last element of
 * the path as given (the CLI renames them on extraction). `send` runs while the file system is
 * available and must finish consuming the stream before it returns.
 */
export async function readContainerPath(
  engine: ContainerServices, c: Container, ref: string, path: string,
  send: (stat: PathStat, tar: Readable) => Promise<void>,
): Promise<void> {
  checkPath(path);
  await withContainerFs(engine, c, async (fs) => {
    const p = await resolvePath(fs.root, path);
    const stat = await statPath(fs.root, p, path, ref);
    const name = posix.basename(p.absPath);
    // A trailing `/.` means "the content": entries start with `./`, as in Docker.
    const source = p.resolved.replace(/\/\.$/, '').replace(/\/+$/, '') || fs.root;
    await send(stat, packPath(source, { name, shift: engine.images.ownerShift }));
  });
  engine.containers.events.action(c, 'archive-path');
}

export interface WriteOptions {
  noOverwriteDirNonDir: boolean;
  /** Docker's copyUIDGID: files get the container user's uid/gid instead of the archive's. */
  copyUIDGID: boolean;
}

/**
 * PUT /containers/{id}/archive: unpacks `tar` into the directory `path` (its symlinks followed inside
 * the container). Entries that would leave the directory are refused, nothing is written outside it.
 */
export async function writeContainerPath(
  engine: ContainerServices, c: Container, ref: string, path: string, tar: Readable | AsyncIterable<Buffer>, options: WriteOptions,
): Promise<void> {
  checkPath(path);
  await withContainerFs(engine, c, async (fs) => {
    const absPath = preserveTrailing(posix.join('/', path), path);
    const target = await resolveInRoot(fs.root, absPath);
    const st = await lstatResolved(fs.root, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw fileNotFound(path, ref);
      throw pathInRootError(err, absPath);
    });
    if (!st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
    const inContainer = containerPathOf(fs.root, target);
    const mount = mountAt(c, inContainer);
    if (mount && !mount.RW) throw new ForbiddenError('mounted volume is marked read-only');
    if (!mount && c.record.hostConfig.ReadonlyRootfs) throw new ForbiddenError('container rootfs is marked read-only');
    let owner: { uid: number; gid: number } | undefined;
    if (options.copyUIDGID && c.record.config.User) {
      const user = await resolveUser(fs.root, c.record.config.User);
      owner = { uid: user.uid, gid: user.gid };
    }
    await unpackLayer(tar, target, { mode: 'copy', noOverwriteDirNonDir: options.noOverwriteDirNonDir, owner, shift: engine.images.ownerShift });
  });
  engine.containers.events.action(c, 'extract-to-dir');
}

/** The container's mount that holds `containerPath`, if any (the deepest one). */
function mountAt(c: Container, containerPath: string) {
  let best: Container['record']['mounts'][number] | undefined;
  for (const m of c.record.mounts) {
    const d = m.Destination.replace(/\/+$/, '') || '/';
    if (containerPath === d || containerPath.startsWith(d === '/' ? '/' : `${d}/`)) {
      if (!best || d.length > best.Destination.length) best = m;
    }
  }
  return best;
}

function checkPath(path: string): void {
  if (path === '') throw new InvalidArgumentError('bad parameter: path cannot be empty');
}
