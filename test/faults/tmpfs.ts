// A small tmpfs for full-disk tests: mounted on a test's own directory, filled to the last byte (or to
// a given number of free bytes) with filler files, emptied again, unmounted in cleanup.
import { mkdir, readdir, rm, statfs } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { run } from '../helpers/daemon.js';

const FILLERS = ['.faults-filler', '.faults-filler-rest'];

/** Mounts a tmpfs of `size` (mount's syntax: `48m`) on `dir` (made if missing). */
export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const r = await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'berth-faults', dir]);
  if (r.code !== 0) throw new Error(`mount tmpfs on ${dir}: ${r.stderr}`);
}

/** Unmounts `dir` if something is mounted there (cleanup, also after a failure). */
export async function unmountTmpfs(dir: string): Promise<void> {
  await run('umount', ['-l', dir]);
}

/** Free bytes for root on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bfree * fs.bsize;
}

/**
 * Fills the filesystem of `dir` until `leave` bytes are free (0: to the last byte, then whatever a
 * write can still squeeze in is taken too, until ENOSPC).
 */
export async function fillUp(dir: string, leave = 0): Promise<void> {
  const bytes = (await freeBytes(dir)) - leave;
  if (bytes > 0) {
    const r = await run('fallocate', ['-l', String(bytes), join(dir, FILLERS[0])]);
    if (r.code !== 0) throw new Error(`fallocate: ${r.stderr}`);
  }
  if (leave === 0) {
    // dd ends with ENOSPC (exit 1): that is the point.
    await run('dd', ['if=/dev/zero', `of=${join(dir, FILLERS[1])}`, 'bs=4k']);
    const left = await freeBytes(dir);
    if (left !== 0) throw new Error(`${dir} still has ${left} bytes free`);
  }
}

/** Gives the space back. */
export async function emptyOut(dir: string): Promise<void> {
  for (const f of FILLERS) await rm(join(dir, f), { force: true });
}

/** Every path under `dir` (relative, directories with a trailing /), fillers and `skip` prefixes left out. */
export async function listTree(dir: string, skip: string[] = []): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const path = relative(dir, join(d, e.name));
      if (FILLERS.includes(path) || skip.some((s) => path === s || path.startsWith(`${s}/`))) continue;
      out.push(e.isDirectory() ? `${path}/` : path);
      if (e.isDirectory()) await walk(join(d, e.name));
    }
  }
  await walk(dir);
  return out.sort();
}
