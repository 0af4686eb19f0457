// Packs an unpacked layer directory back into a tar stream for push when its original blob was not kept:
// entries in lexical order (as Go's filepath.Walk gives them to dockerd's archiver), hard links once,
// overlayfs whiteouts turned back into OCI ones (a 0/0 character device becomes `.wh.<name>`, the
// trusted.overlay.opaque attribute becomes `<dir>/.wh..wh..opq`). Whether the result is byte for byte
// the layer's diffID is for the caller to check: tar headers written elsewhere may differ.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PassThrough, type Readable } from 'node:stream';
import type tar from 'tar-stream';
import { lazyModule } from '../../lib/lazy-module.js';

/** tar-stream loads at the first layer packed, not at daemon start. */
const tarStream = lazyModule<typeof tar>('tar-stream');

const execFileAsync = promisify(execFile);
const WHITEOUT_PREFIX = '.wh.';
const WHITEOUT_OPAQUE = '.wh..wh..opq';

/** A tar stream of the directory `root`; errors end the stream with that error. */
export function packLayer(root: string): Readable {
  const pack = tarStream().pack();
  void (async () => {
    const opaque = await opaqueDirs(root);
    const links = new Map<string, string>();
    type Header = Partial<tar.Header> & { name: string };
    const entry = (header: Header) =>
      new Promise<void>((resolve, reject) => { pack.entry(header, (err) => (err ? reject(err) : resolve())); });

    async function walk(dir: string, rel: string): Promise<void> {
      for (const name of (await readdir(dir)).sort()) {
        const path = join(dir, name);
        const relPath = rel ? `${rel}/${name}` : name;
        const st = await lstat(path);
        const base = { name: relPath, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
        if (st.isCharacterDevice() && st.rdev === 0) {
          const parent = rel ? `${rel}/` : '';
          await entry({ ...base, name: `${parent}${WHITEOUT_PREFIX}${name}`, type: 'file', size: 0, mode: 0 });
        } else if (st.isDirectory()) {
          await entry({ ...base, name: `${relPath}/`, type: 'directory' });
          if (opaque.has(path)) await entry({ ...base, name: `${relPath}/${WHITEOUT_OPAQUE}`, type: 'file', size: 0, mode: 0 });
          await walk(path, relPath);
        } else if (st.isSymbolicLink()) {
          await entry({ ...base, type: 'symlink', linkname: await readlink(path) });
        } else if (st.isFile()) {
          const key = `${st.dev}:${st.ino}`;
          const first = st.nlink > 1 ? links.get(key) : undefined;
          if (first) {
            await entry({ ...base, type: 'link', linkname: first });
            continue;
          }
          if (st.nlink > 1) links.set(key, relPath);
          let sink!: NodeJS.WritableStream;
          const written = new Promise<void>((resolve, reject) => {
            // tar-stream's sinks are streamx writables: the node-compatible part is all this needs.
            sink = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve())) as unknown as NodeJS.WritableStream;
          });
          for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
            if (!sink.write(chunk as Buffer)) await new Promise<void>((r) => sink.once('drain', () => r()));
          }
          sink.end();
          await written;
        } else if (st.isCharacterDevice() || st.isBlockDevice()) {
          const { major, minor } = splitDev(st.rdev);
          await entry({ ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
        } else if (st.isFIFO()) {
          await entry({ ...base, type: 'fifo' });
        }
        // Sockets are not archived (dockerd skips them too).
      }
    }
    if (opaque.has(root)) await entry({ name: WHITEOUT_OPAQUE, type: 'file', size: 0, mode: 0 });
    await walk(root, '');
    pack.finalize();
  })().catch((err) => out.destroy(err));
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pack.on('error', (err: Error) => out.destroy(err));
  pack.pipe(out);
  return out;
}

/** Directories under `root` carrying trusted.overlay.opaque=y, found with one getfattr run. */
async function opaqueDirs(root: string): Promise<Set<string>> {
  const { stdout } = await execFileAsync('getfattr', ['-R', '-h', '--absolute-names', '-d', '-m', '^trusted\\.overlay\\.opaque$', root], { maxBuffer: 64 * 1024 * 1024 });
  const out = new Set<string>();
  let file: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice('# file: '.length);
    else if (file && /^trusted\.overlay\.opaque="y"$/.test(line)) out.add(file);
  }
  return out;
}

/** Linux's dev_t encoding (glibc gnu_dev_major/minor). */
function splitDev(rdev: number): { major: number; minor: number } {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00);
  return { major, minor };
}
