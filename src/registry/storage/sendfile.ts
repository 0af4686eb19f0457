// Blob bodies by sendfile(2) (native/sendfile.c, built by scripts/build-native.sh): the kernel copies
// the page cache into the socket on a thread of libuv's pool, so downloads do no per-chunk work on
// the event loop and several of them use several cores, as distribution's Go server does. Without
// it, every byte is read into a buffer and written again on the one JS thread (filesystem.ts), and
// four concurrent 100 MiB downloads ran at 0.79-0.83 of distribution's rate (docs/benchmarks.md).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { errorMessage, isErrno } from '../../lib/errors.js';
import { registryLog } from '../base/log.js';

interface Addon {
  sendfile(socketFd: number, fileFd: number, offset: number, count: number, waitMs: number): Promise<number>;
}

/** dist/registry/storage or src/registry/storage -> the repository's native/build. */
const ADDON_PATH = resolve(import.meta.dirname, '..', '..', '..', 'native', 'build', 'sendfile.node');
/** Below this a body goes through the event loop alone (its first piece always does, see below). */
const FIRST_PIECE = 64 * 1024;
/** Bytes per call: between calls the response is checked for having been closed. */
const PER_CALL = 64 * 1024 * 1024;
/** How long a pool thread waits for room in the socket before the event loop takes the transfer over. */
const WAIT_MS = 20;

let loaded: Addon | null | undefined;

function addon(): Addon | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (err) {
      loaded = null;
      registryLog.warn(`blob downloads go through the event loop: the sendfile addon ${ADDON_PATH} cannot be loaded` +
        ` (build it with scripts/build-native.sh, which needs gcc): ${errorMessage(err)}`);
    }
  }
  return loaded;
}

/** The plain TCP or unix socket an HTTP response writes to (not TLS), when sendfile can serve it. */
function plainSocket(out: Writable): { socket: Socket; fd: number } | undefined {
  const socket = (out as Writable & { socket?: Socket | null }).socket;
  if (!socket || socket instanceof TLSSocket || process.env.BERTH_REGISTRY_SENDFILE === '0') return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 && addon() ? { socket, fd } : undefined;
}

/**
 * Sends bytes [pos, end) of the open file `fileFd` into the HTTP response `out` by sendfile, as far as
 * it can; returns the position reached (the caller sends the rest through the event loop: a slow
 * client, a TLS connection, no addon). `writeFirst` sends one piece through `out` first: it carries
 * the response's headers, and its completion says Node has nothing left queued on the socket, so
 * the kernel's bytes follow Node's in order. A connection that fails meanwhile is destroyed.
 */
export async function sendFileRange(out: Writable, fileFd: number, pos: number, end: number,
  writeFirst: (pos: number, length: number) => Promise<number>): Promise<number> {
  const target = end - pos > 2 * FIRST_PIECE ? plainSocket(out) : undefined;
  if (!target) return pos;
  pos += await writeFirst(pos, FIRST_PIECE);
  if (out.destroyed || target.socket.writableLength > 0) return pos;
  while (pos < end && !out.destroyed) {
    const want = Math.min(PER_CALL, end - pos);
    let sent: number;
    try {
      sent = await addon()!.sendfile(target.fd, fileFd, pos, want, WAIT_MS);
    } catch (err) {
      // The client went away (EPIPE, ECONNRESET): what a destroyed response means on the other path.
      if (!isErrno(err, 'EPIPE', 'ECONNRESET')) registryLog.warn(`sending a blob by sendfile: ${errorMessage(err)}`);
      out.destroy();
      return pos;
    }
    pos += sent;
    if (sent < want) break;
  }
  return pos;
}
