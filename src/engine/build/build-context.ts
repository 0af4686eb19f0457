// The build context: the tar the client sends (plain or gzip), unpacked with the safe unpacker into the
// build's scratch directory (an entry that would land outside it is refused and nothing is built), the
// Dockerfile read from it, and .dockerignore applied. Scratch space lives in `<data-root>/build/tmp`;
// what a crash left there is unmounted and removed before the first build of a daemon run.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, orIfMissing } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/root-path.js';
import { unpackLayer } from '../../lib/tar-unpack.js';
import { rootfsDirs, unmountRootfs } from '../containers/rootfs.js';
import { IgnoreMatcher } from '../../lib/dockerignore.js';
import { removeIgnored } from './dockerignore.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';

export interface BuildContext {
  /** The unpacked context, .dockerignore applied. */
  dir: string;
  /** Scratch space of this build (snapshots go here); removed with the context. */
  scratch: string;
  dockerfile: string;
  dockerfileName: string;
  remove(): Promise<void>;
}

/** Where build contexts are unpacked, and where failures to remove them are told. */
export interface ContextArea {
  readonly tmpRoot: string;
  readonly log: WarningSink;
}

/** Unpacks the context; reads `dockerfileName` from it. Removes everything again on failure. */
export async function openContext(area: ContextArea, body: Readable | AsyncIterable<Buffer>, dockerfileName: string): Promise<BuildContext> {
  const { tmpRoot } = area;
  const scratch = join(tmpRoot, randomBytes(8).toString('hex'));
  const dir = join(scratch, 'context');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const remove = () => removeScratch(scratch, area.log);
  try {
    await unpackLayer(body, dir, { mode: 'copy' });
    const { text, name } = await readDockerfile(dir, dockerfileName);
    const ignore = await orIfMissing(readFile(join(dir, '.dockerignore'), 'utf8'), '');
    await removeIgnored(dir, IgnoreMatcher.parse(ignore));
    return { dir, scratch, dockerfile: text, dockerfileName: name, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

async function readDockerfile(dir: string, name: string): Promise<{ text: string; name: string }> {
  const candidates = name === 'Dockerfile' ? ['Dockerfile', 'dockerfile'] : [name];
  for (const candidate of candidates) {
    const cleanedName = posix.normalize(candidate);
    if (cleanedName === '..' || cleanedName.startsWith('../')) break;
    const path = await resolveInRoot(dir, `/${cleanedName}`);
    try {
      return { text: await readFile(path, 'utf8'), name: candidate };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
    }
  }
  throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${name}`);
}

async function removeScratch(scratch: string, log: WarningSink): Promise<void> {
  // Snapshots of a build that was cut short may still be mounted.
  for (const name of await orIfMissing(readdir(scratch), [])) {
    await bestEffort(log, `unmounting build snapshot ${join(scratch, name)}`, unmountRootfs(rootfsDirs(join(scratch, name))));
  }
  await rm(scratch, { recursive: true, force: true });
}

/** Removes the contexts of builds a crash cut short (at daemon start, before any build). */
export async function removeLeftovers(tmpRoot: string, log: WarningSink): Promise<void> {
  for (const name of await orIfMissing(readdir(tmpRoot), [])) {
    log.warn(`removing ${join(tmpRoot, name)}: the context and snapshots of a build that did not finish`);
    await removeScratch(join(tmpRoot, name), log);
  }
}
