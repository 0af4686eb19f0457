// Tar streams of container files: `docker cp` out (one file or a tree, renamed as the CLI expects),
// `docker export` (the whole root filesystem) and `docker commit` (the container's layer, with
// overlayfs whiteouts turned back into OCI ones). Entries come in lexical order; hard links are
// archived once; symbolic links are archived as links, never followed; sockets are skipped, as dockerd
// does. A file that changes size while read is cut or zero-padded to the size its header announced.
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import type tar from 'tar-stream';
import { lazyModule } from '../../lib/lazy-module.js';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from '../../lib/tar-unpack.js';
import { handledLater } from '../../lib/errors.js';
import type { OwnerShift } from '../../lib/id-mapping.js';

/** tar-stream loads at the first archive, not at daemon start. */
const tarStream = lazyModule<typeof tar>('tar-stream');

const execFileAsync = promisify(execFile);
const CHUNK = 1 << 20;

export interface PackOptions {
  /** The entry name of `source` itself ('' leaves it out: its content goes at the top of the tar). */
  name: string;
  /** overlayfs whiteouts (0/0 character devices, opaque directories) become OCI `.wh.` entries. */
  ociWhiteouts?: boolean;
  /** Paths relative to `source` to leave out (no descendants are visited either). */
  skip?: (rel: string, st: Stats) => boolean | Promise<boolean>;
  /** `--userns-remap`: files on disk have the host's owners; the archive gets the container's. */
  shift?: OwnerShift;
}

type Header = Partial<tar.Header> & { name: string };

/** A tar stream of `source` (a file, link or directory tree); errors end the stream with that error. */
export function packPath(source: string, options: PackOptions): Readable {
  const out = new PassThrough({ highWaterMark: CHUNK });
  const pack = tarStream().pack();
  pack.on('error', (err: Error) => out.destroy(err));
  // A reader that goes away early (a client hanging up) ends the packing too.
  out.on('close', () => {
    if (!out.writableFinished) pack.destroy(new Error('archive reader closed'));
  });
  pack.pipe(out);
  void new Packer(pack, options).run(source).then(
    () => pack.finalize(),
    (err) => out.destroy(err as Error),
  );
  return out;
}

class Packer {
  private readonly links = new Map<string, string>();
  private opaque = new Set<string>();

  constructor(private readonly pack: tar.Pack, private readonly options: PackOptions) {}

  async run(source: string): Promise<void> {
    if (this.options.ociWhiteouts) this.opaque = await opaqueDirs(source);
    const st = await lstat(source);
    if (this.options.name === '') {
      if (!st.isDirectory()) throw new Error(`${source} is not a directory`);
      await this.children(source, '');
    } else {
      await this.add(source, this.options.name, st);
    }
  }

  private async children(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined; // removed while we walk
        throw err;
      });
      if (!st) continue;
      if (this.options.skip && (await this.options.skip(relPath, st))) continue;
      await this.add(path, relPath, st);
    }
  }

  private async add(path: string, name: string, st: Stats): Promise<void> {
    const owner = this.options.shift ? this.options.shift.toContainer(st.uid, st.gid) : { uid: st.uid, gid: st.gid };
    const base = { name, mode: st.mode & 0o7777, uid: owner.uid, gid: owner.gid, mtime: st.mtime };
    if (this.options.ociWhiteouts && st.isCharacterDevice() && st.rdev === 0) {
      const cut = name.lastIndexOf('/') + 1;
      await this.entry({ ...base, name: `${name.slice(0, cut)}${WHITEOUT_PREFIX}${name.slice(cut)}`, type: 'file', size: 0, mode: 0o600 });
    } else if (st.isDirectory()) {
      await this.entry({ ...base, name: `${name}/`, type: 'directory' });
      if (this.opaque.has(path)) {
        await this.entry({ ...base, name: `${name}/${WHITEOUT_OPAQUE}`, type: 'file', size: 0, mode: st.mode & 0o777 });
      }
      await this.children(path, name);
    } else if (st.isSymbolicLink()) {
      await this.entry({ ...base, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.links.get(key) : undefined;
      if (first) return this.entry({ ...base, type: 'link', linkname: first });
      if (st.nlink > 1) this.links.set(key, name);
      await this.file(path, { ...base, type: 'file', size: st.size });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      await this.entry({ ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
    } else if (st.isFIFO()) {
      await this.entry({ ...base, type: 'fifo' });
    }
  }

  /** An entry without content (an empty file gets an empty body, else tar-stream waits for one). */
  private entry(header: Header): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (header.type === 'file') this.pack.entry(header, Buffer.alloc(0), done);
      else this.pack.entry(header, done);
    });
  }

  /** Writes exactly `header.size` bytes: what the file holds, cut or zero-padded if it changed. */
  private async file(path: string, header: Header): Promise<void> {
    let sink!: NodeJS.WritableStream;
    const written = new Promise<void>((resolve, reject) => {
      // tar-stream's sinks are streamx writables: the node-compatible part is all this needs.
      sink = this.pack.entry(header, (err) => (err ? reject(err) : resolve())) as unknown as NodeJS.WritableStream;
      // A destroyed pack errors its open entry: that ends this file, it must not become an uncaught error.
      sink.on('error', reject);
    });
    handledLater(written); // awaited below, or raced against the drain
    const write = async (chunk: Buffer) => {
      // Waiting for 'drain' alone would wait forever on an entry that was destroyed meanwhile.
      if (!sink.write(chunk)) await Promise.race([new Promise<void>((r) => sink.once('drain', () => r())), written]);
    };
    const fh = await open(path, 'r');
    try {
      let left = header.size ?? 0;
      while (left > 0) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) {
          await write(Buffer.alloc(left));
          break;
        }
        await write(buf.subarray(0, bytesRead));
        left -= bytesRead;
      }
    } finally {
      await fh.close();
    }
    sink.end();
    await written;
  }
}

/** Directories under `root` carrying trusted.overlay.opaque=y, found with one getfattr run. */
export async function opaqueDirs(root: string): Promise<Set<string>> {
  const { stdout } = await execFileAsync('getfattr', ['-R', '-h', '--absolute-names', '-d', '-m', '^trusted\\.overlay\\.opaque$', root], { maxBuffer: 64 * 1024 * 1024 });
  const out = new Set<string>();
  let file: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice('# file: '.length);
    else if (file && line === 'trusted.overlay.opaque="y"') out.add(file);
  }
  return out;
}

/** Linux's dev_t encoding (glibc gnu_dev_major/minor). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00);
  return { major, minor };
}
