// Unpacks a layer tar (plain or gzip) into a directory, streaming: the tar is never held whole, and the
// sha256 of the uncompressed stream (the layer's diffID) is computed on the way.
//
// The archive is untrusted. Every entry is confined to the target: names are cleaned (a leading `/` is
// dropped, `..` that leaves the root is refused), no symbolic link is ever followed while creating a
// path (each parent is checked with lstat inside the target), hard links must point inside the
// target, and files are opened with O_NOFOLLOW|O_EXCL. OCI whiteouts become overlayfs whiteouts:
// `.wh.<name>` a 0/0 character device, `.wh..wh..opq` the `trusted.overlay.opaque` attribute.
import { constants } from 'node:fs';
import { lstat, mkdir, open, rm, symlink, link, lchown, chmod, lutimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type tar from 'tar-stream';
import { lazyModule } from './lazy-module.js';
import { InvalidArgumentError, handledLater, orIfMissing } from './errors.js';
import { Digester } from './oci-digest.js';
import { decompress } from './tar-decompress.js';
import { mknod, setXattr } from './fs-special.js';
import type { OwnerShift } from './id-mapping.js';

/** tar-stream loads at the first unpack, not at daemon start. */
const tarStream = lazyModule<typeof tar>('tar-stream');

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/** A tar entry that would write outside the target, or that cannot be represented safely. */
export class UnsafeTarEntryError extends InvalidArgumentError {
  constructor(readonly entry: string, reason: string) {
    super(`refusing tar entry ${JSON.stringify(entry)}: ${reason}`);
  }
}

/**
 * How entries are applied. A layer (the default) turns OCI whiteouts into overlayfs ones and may set the
 * root's attributes. A copy (`docker cp` into a container) writes `.wh.` names as ordinary files,
 * leaves the existing target directory itself alone, and can refuse to replace a directory by a
 * non-directory or the reverse.
 */
export interface UnpackOptions {
  mode?: 'layer' | 'copy';
  /** Copy mode: refuse to replace a directory with a non-directory and vice versa (Docker's flag). */
  noOverwriteDirNonDir?: boolean;
  /** Give every entry this owner instead of the one in its header. */
  owner?: { uid: number; gid: number };
  /**
   * Owners in the archive are the container's; write the host's (`--userns-remap`: container root is
   * the first subordinate id). An id the maps do not cover is refused, as dockerd refuses it.
   */
  shift?: OwnerShift;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream: `sha256:<hex>`. */
  diffId: string;
  /** Bytes of regular file content written (hard links counted once). */
  size: number;
}

/**
 * Unpacks `source` into `target` (an existing, empty directory the caller owns). On error the target
 * holds a partial tree: the caller discards it. Throws UnsafeTarEntryError for hostile entries and
 * InvalidArgumentError for archives that are not tar.
 */
export async function unpackLayer(
  source: Readable | AsyncIterable<Buffer> | Iterable<Buffer>, target: string, options: UnpackOptions = {},
): Promise<UnpackResult> {
  const digester = new Digester('sha256');
  const extract = tarStream().extract();
  const feeding = pipeline(source, decompress, async function* hash(chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      digester.update(chunk);
      yield chunk;
    }
  }, extract);
  handledLater(feeding); // awaited below; this only keeps an early failure from going unhandled
  // tar-stream does not end the entry being read when the source fails (a download that met a full
  // disk): fail it here, or writing that entry would wait for its next bytes forever.
  let current: { destroy(err?: Error): void } | undefined;
  feeding.then(undefined, (err: Error) => current?.destroy(err));
  const unpacker = new LayerWriter(target, options);
  try {
    for await (const entry of extract) {
      current = entry;
      await unpacker.apply(entry.header, entry as AsyncIterable<Buffer>);
      entry.resume();
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    if (err instanceof InvalidArgumentError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined || !/^E[A-Z]+$/.test(code)) {
      throw new InvalidArgumentError(`Error processing tar file(exit status 1): ${goTarMessage((err as Error).message)}`, { cause: err });
    }
    throw err;
  }
  await unpacker.finish();
  return { diffId: digester.digest(), size: unpacker.size };
}

/** tar-stream's wording of a broken archive in Go's, which dockerd reports and clients expect. */
function goTarMessage(message: string): string {
  if (/^Unexpected end of data/.test(message)) return 'unexpected EOF';
  if (/^Invalid tar header/.test(message)) return 'archive/tar: invalid tar header';
  return message;
}

/**
 * Cleans a tar entry name into a path relative to the root ('' for the root itself), as Docker does:
 * rooted names are taken relative to the root, names that climb above it are refused.
 */
export function cleanEntryName(name: string): string {
  const cleaned = posix.normalize(name).replace(/^\/+/, '').replace(/\/+$/, '');
  if (cleaned === '..' || cleaned.startsWith('../')) throw new UnsafeTarEntryError(name, 'path escapes the layer root');
  return cleaned === '.' ? '' : cleaned;
}

class LayerWriter {
  size = 0;
  /** Relative paths known to be real directories (not symlinks) inside the target. */
  private readonly dirs = new Set<string>(['']);
  /** Directory times are set last: creating children changes them. */
  private readonly dirTimes: [string, Date][] = [];

  private readonly copy: boolean;

  constructor(private readonly root: string, private readonly options: UnpackOptions) {
    this.copy = options.mode === 'copy';
  }

  async apply(h: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
    const rel = cleanEntryName(h.name);
    const base = posix.basename(rel);
    if (!this.copy && base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(h, rel, base);
    if (this.copy && rel === '' && h.type === 'directory') return;
    if (this.copy && this.options.noOverwriteDirNonDir && rel !== '') await this.checkDirNonDir(h, rel);
    if (rel === '' && h.type !== 'directory') throw new UnsafeTarEntryError(h.name, 'only a directory may name the root');
    switch (h.type) {
      case 'directory': return this.directory(h, rel);
      case 'file':
      case 'contiguous-file': return this.file(h, rel, body);
      case 'symlink': return this.symlink(h, rel);
      case 'link': return this.hardlink(h, rel);
      case 'character-device':
      case 'block-device':
      case 'fifo': return this.node(h, rel);
      // tar-stream consumes pax and GNU long-name headers itself; what is left here (sparse files,
      // volume labels) it cannot decode.
      default: throw new UnsafeTarEntryError(h.name, 'unsupported tar entry type');
    }
  }

  async finish(): Promise<void> {
    for (const [rel, time] of this.dirTimes) await lutimes(this.abs(rel), time, time);
  }

  /** Docker's noOverwriteDirNonDir: a directory and a non-directory never replace each other. */
  private async checkDirNonDir(h: tar.Header, rel: string): Promise<void> {
    const st = await orIfMissing(lstat(this.abs(rel)), undefined);
    if (!st) return;
    const isDir = h.type === 'directory';
    if (st.isDirectory() && !isDir) throw new InvalidArgumentError(`cannot overwrite directory "${rel}" with non-directory "${h.name}"`);
    if (!st.isDirectory() && isDir) throw new InvalidArgumentError(`cannot overwrite non-directory "${rel}" with directory "${h.name}"`);
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  /** Makes sure every parent of `rel` is a real directory inside the root, creating missing ones. */
  private async parents(entry: string, rel: string, create = true): Promise<void> {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const part of parts) {
      cur = cur ? `${cur}/${part}` : part;
      if (this.dirs.has(cur)) continue;
      const st = await lstat(this.abs(cur)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (!st) {
        if (!create) throw new UnsafeTarEntryError(entry, `${cur} does not exist in the layer`);
        await mkdir(this.abs(cur), 0o755);
      } else if (st.isSymbolicLink()) {
        throw new UnsafeTarEntryError(entry, `parent ${cur} is a symbolic link`);
      } else if (!st.isDirectory()) {
        throw new UnsafeTarEntryError(entry, `parent ${cur} is not a directory`);
      }
      this.dirs.add(cur);
    }
  }

  /** Removes what is at `rel` unless it is a directory and `keepDir` is set; returns whether one was kept. */
  private async clear(rel: string, keepDir: boolean): Promise<boolean> {
    const st = await orIfMissing(lstat(this.abs(rel)), undefined);
    if (!st) return false;
    if (keepDir && st.isDirectory()) return true;
    await rm(this.abs(rel), { recursive: true, force: true });
    this.forget(rel);
    return false;
  }

  private forget(rel: string): void {
    for (const d of this.dirs) if (d === rel || d.startsWith(rel + '/')) this.dirs.delete(d);
  }

  private async attributes(h: tar.Header, rel: string, isLink = false): Promise<void> {
    const path = this.abs(rel);
    const { uid, gid } = this.hostOwner(this.options.owner ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 }, h.name);
    await lchown(path, uid, gid);
    // After chown, which clears setuid/setgid bits.
    if (!isLink) await chmod(path, (h.mode ?? 0o644) & 0o7777);
  }

  private async directory(h: tar.Header, rel: string): Promise<void> {
    if (rel !== '') {
      await this.parents(h.name, rel);
      if (!(await this.clear(rel, true))) await mkdir(this.abs(rel), 0o700);
      this.dirs.add(rel);
    }
    await this.attributes(h, rel);
    this.dirTimes.push([rel, h.mtime ?? new Date(0)]);
  }

  private async file(h: tar.Header, rel: string, body: AsyncIterable<Buffer>): Promise<void> {
    await this.parents(h.name, rel);
    await this.clear(rel, false);
    const fh = await open(this.abs(rel), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    // Iterated, not piped: node's pipeline never settles on a tar-stream entry that was destroyed
    // before it started (the source failed meanwhile), and a file left open holds its space.
    try {
      for await (const chunk of body) {
        for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten;
      }
    } finally {
      await fh.close();
    }
    this.size += h.size ?? 0;
    await this.attributes(h, rel);
    await this.times(h, rel);
  }

  private async symlink(h: tar.Header, rel: string): Promise<void> {
    if (!h.linkname) throw new UnsafeTarEntryError(h.name, 'symbolic link without a target');
    await this.parents(h.name, rel);
    await this.clear(rel, false);
    // The link's text is data: it is only resolved inside the container's root, never while unpacking.
    await symlink(h.linkname, this.abs(rel));
    await this.attributes(h, rel, true);
    await this.times(h, rel);
  }

  private async hardlink(h: tar.Header, rel: string): Promise<void> {
    const target = cleanEntryName(h.linkname ?? '');
    if (target === '') throw new UnsafeTarEntryError(h.name, 'hard link to the layer root');
    await this.parents(h.name, target, false);
    const st = await orIfMissing(lstat(this.abs(target)), undefined);
    if (!st) throw new UnsafeTarEntryError(h.name, `hard link target ${target} does not exist in the layer`);
    if (st.isDirectory()) throw new UnsafeTarEntryError(h.name, `hard link target ${target} is a directory`);
    await this.parents(h.name, rel);
    if (target === rel) return;
    await this.clear(rel, false);
    await link(this.abs(target), this.abs(rel));
  }

  private async node(h: tar.Header, rel: string): Promise<void> {
    await this.parents(h.name, rel);
    await this.clear(rel, false);
    const type = h.type === 'fifo' ? 'fifo' : h.type === 'block-device' ? 'block' : 'char';
    await mknod(this.abs(rel), type, h.mode ?? 0o600, h.devmajor ?? 0, h.devminor ?? 0);
    await this.attributes(h, rel);
    await this.times(h, rel);
  }

  private async whiteout(h: tar.Header, rel: string, base: string): Promise<void> {
    await this.parents(h.name, rel);
    const dir = posix.dirname(rel);
    if (base === WHITEOUT_OPAQUE) {
      await setXattr(this.abs(dir === '.' ? '' : dir), 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return; // aufs bookkeeping (hard link dirs): nothing to apply
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw new UnsafeTarEntryError(h.name, 'invalid whiteout name');
    const victimRel = dir === '.' ? victim : `${dir}/${victim}`;
    await this.clear(victimRel, false);
    await mknod(this.abs(victimRel), 'char', 0, 0, 0);
    const { uid, gid } = this.hostOwner({ uid: h.uid ?? 0, gid: h.gid ?? 0 }, h.name);
    await lchown(this.abs(victimRel), uid, gid);
  }

  private hostOwner(owner: { uid: number; gid: number }, entry: string): { uid: number; gid: number } {
    const { shift } = this.options;
    if (!shift) return owner;
    try {
      return shift.toHost(owner.uid, owner.gid);
    } catch (err) {
      throw new UnsafeTarEntryError(entry, (err as Error).message);
    }
  }

  private async times(h: tar.Header, rel: string): Promise<void> {
    const time = h.mtime ?? new Date(0);
    await lutimes(this.abs(rel), time, time);
  }
}
