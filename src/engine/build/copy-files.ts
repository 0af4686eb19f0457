// COPY and ADD: which sources a step names (paths and wildcards inside the build context or another
// stage's root, never outside it), a digest of their content for the layer cache, and the copy itself
// into the new layer's root with Docker's rules (a directory's content is copied, not the directory; a
// destination ending in `/` or existing as a directory receives files by their names; ADD unpacks
// local tar archives). Writing goes through the safe unpacker, so nothing lands outside the root.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { gunzipSync, constants as zlib } from 'node:zlib';
import { InvalidArgumentError, orIfMissing } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/root-path.js';
import { unpackLayer } from '../../lib/tar-unpack.js';
import { packPath } from '../layers/archive-pack.js';
import { globRegExp } from '../../lib/dockerignore.js';

export interface CopySource {
  /** As the Dockerfile names it, after wildcard expansion (relative to the source root). */
  rel: string;
  /** Host path, resolved inside the source root. */
  host: string;
  st: Stats;
}

export interface CopyRequest {
  /** `COPY` or `ADD`, for messages. */
  name: string;
  sources: string[];
  /** Absolute path in the image (the working directory already applied); a trailing `/` kept. */
  dest: string;
  /** The build context or another stage's mounted root. */
  srcRoot: string;
  fromContext: boolean;
  owner: { uid: number; gid: number };
  /** ADD: local tar archives are unpacked at the destination. */
  unpackArchives: boolean;
}

/** A failed COPY/ADD, worded as Docker's classic builder does: `COPY failed: ...`. */
function copyFailed(name: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${name} failed: ${message}`);
}

/** Finds the sources; refuses paths outside the root, missing files and empty wildcard matches. */
export async function selectSources(req: CopyRequest): Promise<CopySource[]> {
  const out: CopySource[] = [];
  for (const source of req.sources) {
    const cleaned = posix.normalize(source);
    if (cleaned === '..' || cleaned.startsWith('../')) {
      throw copyFailed(req.name, `forbidden path outside the build context: ${source} ()`);
    }
    const rel = posix.normalize(`/${cleaned}`).slice(1) || '.';
    if (/[*?[]/.test(rel)) {
      const re = globRegExp(rel);
      const matches = (await walk(req.srcRoot)).filter((p) => re.test(p));
      for (const m of matches) out.push(await sourceAt(req, m, m));
      continue;
    }
    out.push(await sourceAt(req, rel, source));
  }
  if (out.length === 0) throw copyFailed(req.name, 'no source files were specified');
  return out;
}

async function sourceAt(req: CopyRequest, rel: string, asWritten: string): Promise<CopySource> {
  const host = await resolveInRoot(req.srcRoot, `/${rel === '.' ? '' : rel}`);
  try {
    return { rel, host, st: await lstat(host) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw copyFailed(req.name, req.fromContext
      ? `file not found in build context or excluded by .dockerignore: stat ${asWritten}: file does not exist`
      : `stat ${asWritten}: file does not exist`);
  }
}

/** Every path under `root`, relative, parents before children (symbolic links not followed). */
async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(rel ? `${root}/${rel}` : root)).sort()) {
    const child = rel ? `${rel}/${name}` : name;
    out.push(child);
    if ((await lstat(`${root}/${child}`)).isDirectory()) out.push(...(await walk(root, child)));
  }
  return out;
}

/**
 * A digest of the sources' names, modes and content: the cache key part of the step, and what the
 * history shows (`file:<hex>`, `dir:<hex>`, `multi:<hex>`, as Docker writes them).
 */
export async function sourcesDigest(sources: CopySource[]): Promise<string> {
  const hash = createHash('sha256');
  const add = async (host: string, rel: string, st: Stats) => {
    hash.update(`${rel}\0${st.mode}\0${st.uid}:${st.gid}\0`);
    if (st.isSymbolicLink()) hash.update(`link:${await readlink(host)}\0`);
    else if (st.isFile()) for await (const chunk of createReadStream(host)) hash.update(chunk as Buffer);
    else if (st.isDirectory()) for (const p of await walk(host)) await add(`${host}/${p}`, `${rel}/${p}`, await lstat(`${host}/${p}`));
    hash.update('\0');
  };
  for (const s of sources) await add(s.host, s.rel, s.st);
  const kind = sources.length > 1 ? 'multi' : sources[0].st.isDirectory() ? 'dir' : 'file';
  return `${kind}:${hash.digest('hex')}`;
}

/** Copies the sources into `root` (the new layer's mounted root filesystem). */
export async function copyInto(root: string, req: CopyRequest, sources: CopySource[]): Promise<void> {
  const destIsDir = req.dest.endsWith('/') || sources.length > 1 || (await isDirIn(root, req.dest));
  if (sources.length > 1 && !req.dest.endsWith('/')) {
    throw copyFailed(req.name, `When using ${req.name} with more than one source file, the destination must be a directory and end with a /`);
  }
  for (const s of sources) {
    if (s.st.isDirectory()) {
      await writeTree(root, req.dest, req, (target) => unpack(packPath(s.host, { name: '' }), target, req));
    } else if (req.unpackArchives && s.st.isFile() && (await isTarArchive(s.host))) {
      await writeTree(root, req.dest, req, (target) => unpack(createReadStream(s.host), target, req));
    } else if (destIsDir) {
      await writeTree(root, req.dest, req, (target) => unpack(packPath(s.host, { name: posix.basename(s.rel) }), target, req));
    } else {
      const dir = posix.dirname(req.dest);
      await writeTree(root, dir, req, (target) => unpack(packPath(s.host, { name: posix.basename(req.dest) }), target, req));
    }
  }
}

async function unpack(tar: AsyncIterable<Buffer> | NodeJS.ReadableStream, target: string, req: CopyRequest): Promise<void> {
  await unpackLayer(tar as AsyncIterable<Buffer>, target, { mode: 'copy', owner: req.owner });
}

/** Makes `dir` (absolute in the image) and its missing parents inside `root`, then runs `write` there. */
async function writeTree(root: string, dir: string, req: CopyRequest, write: (target: string) => Promise<void>): Promise<void> {
  try {
    await makeDirIn(root, dir, req.owner);
  } catch (err) {
    throw copyFailed(req.name, (err as Error).message);
  }
  await write(await resolveInRoot(root, dir || '/'));
}

/**
 * Makes `dir` (absolute in the image) and its missing parents inside `root` (symbolic links followed
 * within it), new ones owned by `owner`. Returns whether anything was made.
 */
export async function makeDirIn(root: string, dir: string, owner = { uid: 0, gid: 0 }): Promise<boolean> {
  let prefix = '';
  let made = false;
  for (const part of dir.split('/').filter(Boolean)) {
    prefix += `/${part}`;
    const host = await resolveInRoot(root, prefix);
    const st = await orIfMissing(lstat(host), undefined);
    if (st && !st.isDirectory()) throw new InvalidArgumentError(`mkdir ${prefix}: not a directory`);
    if (!st) {
      await mkdir(host, { mode: 0o755 });
      await chown(host, owner.uid, owner.gid);
      made = true;
    }
  }
  return made;
}

async function isDirIn(root: string, path: string): Promise<boolean> {
  const st = await orIfMissing(lstat(await resolveInRoot(root, path)), undefined);
  return Boolean(st?.isDirectory());
}

/** A plain or gzip-compressed tar archive (by its first bytes), which ADD unpacks. */
async function isTarArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}
