/**
 * One interactive session over a hijacked connection (attach, exec start): output to our stdout and
 * stderr, our stdin to the container, and docker's detach keys. `done` settles when the output ends
 * or the user detached; `close` tears everything down early (a failed start).
 */
import type { Hijacked } from './api-client.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../lib/detach-keys.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { copyRaw, demultiplex, relayStdin } from './streams.js';

export interface SessionOptions {
  tty: boolean;
  /** Relay our stdin (the daemon was asked for it). */
  stdin: boolean;
  /** The user's --detach-keys; the default applies when absent or unreadable. */
  detachKeys?: string;
}

export interface Session {
  done: Promise<'ended' | 'detached'>;
  close(): void;
}

/**
 * The keys the client watches for. Keys the daemon would refuse fall back to the default, as docker's
 * hijack does (the daemon, asked with the same keys, has refused the attach before this matters).
 */
function escapeKeysOf(detachKeys: string | undefined): Buffer {
  try {
    return parseDetachKeys(detachKeys || DEFAULT_DETACH_KEYS);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    return parseDetachKeys(DEFAULT_DETACH_KEYS);
  }
}

export function startSession(hijacked: Hijacked, opts: SessionOptions): Session {
  const { socket } = hijacked;
  let detach!: () => void;
  const detached = new Promise<'detached'>((resolve) => {
    detach = () => resolve('detached');
  });
  let closing = false;
  const output = (opts.tty
    ? copyRaw(socket, process.stdout, hijacked.head)
    : demultiplex(socket, process.stdout, process.stderr, hijacked.head)
  ).then(() => 'ended' as const, (err: unknown) => {
    if (closing) return 'ended' as const;
    throw err;
  });
  let stopStdin = (): void => {};
  if (opts.stdin && hijacked.upgraded) {
    // like docker, the client watches for the detach keys only with a TTY
    const escapeKeys = opts.tty ? escapeKeysOf(opts.detachKeys) : undefined;
    stopStdin = relayStdin(socket, process.stdin, { escapeKeys, onDetach: detach });
  }
  const close = (): void => {
    closing = true;
    stopStdin();
    socket.destroy();
  };
  const done = Promise.race([output, detached]).then((result) => {
    if (result === 'detached') close();
    else stopStdin();
    return result;
  }, (err: unknown) => {
    close();
    throw err;
  });
  return { done, close };
}
