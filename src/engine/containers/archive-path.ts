// `docker cp`'s paths: Docker's ResolvePath (the parent resolved inside the container's root by
// lib/root-path.ts, the last element kept as given), StatPath and the Go file modes and times that
// X-Docker-Container-Path-Stat carries.
import type { BigIntStats, Stats } from 'node:fs';
import { posix } from 'node:path';
import { NotFoundError } from '../../lib/errors.js';
import { lstatResolved, pathInRootError, resolveInRoot } from '../../lib/root-path.js';

export interface ResolvedPath {
  /** The path as the container sees it, absolute, trailing `/` or `/.` kept. */
  absPath: string;
  /** Host path: the parent resolved in scope, the last element as given (a symlink is not followed). */
  resolved: string;
}

/** Docker's Container.ResolvePath: the parent is resolved in scope, the last element is not. */
export async function resolvePath(root: string, path: string): Promise<ResolvedPath> {
  const absPath = preserveTrailing(posix.join('/', path), path);
  const cut = absPath.lastIndexOf('/');
  const dir = absPath.slice(0, cut + 1);
  const base = absPath.slice(cut + 1);
  const resolvedDir = await resolveInRoot(root, dir);
  return { absPath, resolved: `${resolvedDir}/${base}` };
}

/** Keeps the `/` or `/.` the caller ended the path with: for cp it means "the directory's content". */
export function preserveTrailing(cleaned: string, original: string): string {
  if (original.endsWith('/.') && !cleaned.endsWith('/.')) return cleaned === '/' ? '/.' : `${cleaned}/.`;
  if (original.endsWith('/') && !cleaned.endsWith('/')) return `${cleaned}/`;
  return cleaned;
}

/** The container path of a host path under `root` (`/` for the root itself). */
export function containerPathOf(root: string, host: string): string {
  const rel = posix.relative(root, host);
  return rel === '' ? '/' : `/${rel}`;
}

/** What `X-Docker-Container-Path-Stat` carries (Docker's ContainerPathStat). */
export interface PathStat {
  name: string;
  size: number;
  /** A Go os.FileMode: permission bits plus Go's type bits, which the docker CLI decodes. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

/**
 * Docker's StatPath: lstat of the resolved path; for a symlink, `linkTarget` is where it leads inside
 * the container, fully resolved. NotFoundError in Docker's words when nothing is there.
 */
export async function statPath(root: string, p: ResolvedPath, userPath: string, containerName: string): Promise<PathStat> {
  let st: BigIntStats;
  try {
    st = await lstatResolved(root, p.resolved, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw fileNotFound(userPath, containerName);
    throw pathInRootError(err, p.absPath);
  }
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = containerPathOf(root, await resolveInRoot(root, p.absPath));
  const name = posix.basename(p.absPath) || '/';
  return { name, size: Number(st.size), mode: goFileMode(st), mtime: goTimeOf(st.mtimeNs), linkTarget };
}

export function fileNotFound(path: string, containerName: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${path} in container ${containerName}`);
}

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;
const GO_MODE_NAMED_PIPE = 2 ** 25;
const GO_MODE_SOCKET = 2 ** 24;
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_CHAR_DEVICE = 2 ** 21;
const GO_MODE_STICKY = 2 ** 20;

/** Unix st_mode to Go's os.FileMode (the type bits are high bits there, not S_IFMT). */
export function goFileMode(st: Stats | BigIntStats): number {
  const unix = Number(st.mode);
  let mode = unix & 0o777;
  if (st.isDirectory()) mode += GO_MODE_DIR;
  else if (st.isSymbolicLink()) mode += GO_MODE_SYMLINK;
  else if (st.isBlockDevice()) mode += GO_MODE_DEVICE;
  else if (st.isCharacterDevice()) mode += GO_MODE_DEVICE + GO_MODE_CHAR_DEVICE;
  else if (st.isFIFO()) mode += GO_MODE_NAMED_PIPE;
  else if (st.isSocket()) mode += GO_MODE_SOCKET;
  if (unix & 0o4000) mode += GO_MODE_SETUID;
  if (unix & 0o2000) mode += GO_MODE_SETGID;
  if (unix & 0o1000) mode += GO_MODE_STICKY;
  return mode;
}

export function goModeIsDir(mode: number): boolean {
  return mode >= GO_MODE_DIR;
}

/** RFC 3339 with nanoseconds and no trailing zeros, as Go's time.Time marshals. */
export function goTimeOf(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(secs) * 1000).toISOString().replace(/\.\d+Z$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}
