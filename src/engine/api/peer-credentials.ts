import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import { errorMessage } from '../../lib/errors.js';

/**
 * The kernel's credentials of a unix-socket peer, through berthd's one native addon
 * (native/peercred.c, built by scripts/build-native.sh): SO_PEERCRED for pid, uid and primary gid,
 * SO_PEERGROUPS for the supplementary groups, as they were when the client called connect(). Node has
 * no API for either. Why an addon and not a `ss -xp` lookup or one socket per role: docs/security.md.
 */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  groups: number[];
}

interface Addon {
  peercred(fd: number): PeerCredentials;
}

/** dist/engine/api or src/engine/api -> the repository's native/build. */
export const ADDON_PATH = resolve(import.meta.dirname, '..', '..', '..', 'native', 'build', 'peercred.node');

let loaded: Addon | Error | undefined;

/** The addon, or the reason it cannot be loaded (not built: run scripts/build-native.sh). */
export function peerCredentialsAddon(): Addon | Error {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (err) {
      loaded = new Error(`the peer-credentials addon ${ADDON_PATH} cannot be loaded (build it with scripts/build-native.sh, which needs gcc): ${errorMessage(err)}`);
    }
  }
  return loaded;
}

/** The peer of an accepted unix-socket connection. Throws when the addon is missing or the socket has no fd. */
export function peerCredentials(socket: Socket): PeerCredentials {
  const addon = peerCredentialsAddon();
  if (addon instanceof Error) throw addon;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no file descriptor to read peer credentials from');
  return addon.peercred(fd);
}
