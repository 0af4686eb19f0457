/**
 * The client side of `cp`, following moby's pkg/archive copy rules: which directory a tar is
 * extracted to and how its top entry is renamed, from what the source is and whether the
 * destination exists (PrepareArchiveCopy); tars of local paths (TarResource); renaming entries
 * (RebaseArchiveEntries).
 */
import { lstat, opendir, readlink, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { CliError } from '../base/errors.js';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
}

/** moby SplitPathDirEntry: "a/b/." -> ["a/b", "."], "a/b/" -> ["a", "b"]. */
export function splitPathDirEntry(path: string): [string, string] {
  let cleaned = posix.normalize(path);
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '');
  if (posix.basename(path) === '.' || path.endsWith('/.')) cleaned += '/.';
  return [posix.dirname(cleaned), posix.basename(cleaned)];
}

/** A path that says it is a directory: a trailing "/" or "/.". */
export function assertsDirectory(path: string): boolean {
  return path === '' || path === '.' || path.endsWith('/') || path.endsWith('/.');
}

/**
 * moby PrepareArchiveCopy: where to extract the source's tar, and which name its top entry takes
 * (undefined: keep names as they are).
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dir: string; rebase?: [string, string] } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const [, srcBase] = splitPathDirEntry(src.path);
  if (dst.exists && dst.isDir) return { dir: dst.path };
  if (dst.exists && src.isDir) throw new CliError('cannot copy directory');
  if (dst.exists) return { dir: dstDir, rebase: [srcBase, dstBase] };
  if (src.isDir) return { dir: dstDir, rebase: [srcBase, dstBase] };
  if (assertsDirectory(dst.path)) throw new CliError('no such directory');
  return { dir: dstDir, rebase: [srcBase, dstBase] };
}

/** Renames entries "old" and "old/..." (also "./..." for a "." base) to start with "new". */
export function rebaseName(name: string, oldBase: string, newBase: string): string {
  if (oldBase === '.') {
    if (name === '.' || name === './') return `${newBase}/`;
    if (name.startsWith('./')) return `${newBase}/${name.slice(2)}`;
    return `${newBase}/${name}`;
  }
  if (name === oldBase || name === `${oldBase}/`) return name.replace(oldBase, newBase);
  if (name.startsWith(`${oldBase}/`)) return newBase + name.slice(oldBase.length);
  return name;
}

/** Rewrites a tar stream, renaming entries (and hard-link targets) from one base to another. */
export function rebaseArchive(source: AsyncIterable<Buffer> | Readable, oldBase: string, newBase: string): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, body, next) => {
    header.name = rebaseName(header.name, oldBase, newBase);
    if (header.type === 'link' && header.linkname) header.linkname = rebaseName(header.linkname, oldBase, newBase);
    body.pipe(pack.entry(header, (err) => (err ? extract.destroy(err) : next())));
  });
  extract.on('finish', () => pack.finalize());
  pipeline(Readable.from(source), extract).catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

/** moby TarResource: a tar of a local path, its top entry named after the path's base ("." for "dir/."). */
export function tarLocalPath(path: string): Readable {
  const [dir, base] = splitPathDirEntry(path);
  const pack = tar.pack();
  const add = async (rel: string): Promise<void> => {
    const abs = posix.join(dir, rel);
    const st = await lstat(abs);
    const common = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await new Promise<void>((res, rej) => pack.entry({ ...common, name: `${rel}/`, type: 'directory' }, (e) => (e ? rej(e) : res())));
      const entries: string[] = [];
      for await (const d of await opendir(abs)) entries.push(d.name);
      for (const name of entries.sort()) await add(rel === '.' ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      const linkname = await readlink(abs);
      await new Promise<void>((res, rej) => pack.entry({ ...common, name: rel, type: 'symlink', linkname }, (e) => (e ? rej(e) : res())));
    } else if (st.isFile()) {
      const entry = pack.entry({ ...common, name: rel, type: 'file', size: st.size });
      await pipeline(createReadStream(abs), entry);
    }
    // sockets, devices and fifos are left out, as a copy of them means nothing inside a container
  };
  add(base).then(() => pack.finalize(), (err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

/** moby CopyInfoSourcePath for a local source: it must exist (symlinks followed with -L). */
export async function localSourceInfo(path: string, followLink: boolean): Promise<CopyInfo> {
  try {
    const st = followLink ? await stat(path) : await lstat(path);
    return { path, exists: true, isDir: st.isDirectory() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`lstat ${posix.resolve(path)}: no such file or directory`);
    throw err;
  }
}

/** moby CopyInfoDestinationPath for a local destination (symlinks at the destination are followed). */
export async function localDestinationInfo(path: string): Promise<CopyInfo> {
  const st = await stat(path).catch(() => undefined);
  if (st) return { path, exists: true, isDir: st.isDirectory() };
  return { path, exists: false, isDir: false };
}
