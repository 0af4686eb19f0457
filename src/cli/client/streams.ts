/**
 * Container output streams: Docker's multiplexed framing (8-byte header: stream type, three zero
 * bytes, big-endian uint32 size) for non-TTY containers, a raw byte stream for TTY ones; and the
 * interactive side of attach (stdin relay with half-close, raw mode, terminal resize).
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ApiClient } from './api-client.js';
import { ignoreDaemonRefusal } from '../base/errors.js';
import { DetachScanner } from '../../lib/detach-keys.js';

async function write(out: Writable, data: Buffer): Promise<void> {
  if (data.length === 0) return;
  if (!out.write(data)) await once(out, 'drain');
}

/** Splits a multiplexed stream into frames; unknown stream types go to stdout, as docker's stdcopy. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete frames as [stream, payload]. */
  push(chunk: Buffer): [number, Buffer][] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: [number, Buffer][] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      frames.push([this.pending[0]!, this.pending.subarray(8, 8 + size)]);
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes left over that did not make a complete frame. */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Copies a multiplexed stream to stdout/stderr until it ends; the first bytes may be `head`. */
export async function demultiplex(source: Readable, stdout: Writable, stderr: Writable, head?: Buffer): Promise<void> {
  const decoder = new FrameDecoder();
  const handle = async (chunk: Buffer): Promise<void> => {
    for (const [stream, payload] of decoder.push(chunk)) {
      await write(stream === 2 || stream === 3 ? stderr : stdout, payload);
    }
  };
  if (head && head.length) await handle(head);
  try {
    for await (const chunk of source) await handle(chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
  }
}

/** Copies a raw (TTY) stream to stdout until it ends. */
export async function copyRaw(source: Readable, stdout: Writable, head?: Buffer): Promise<void> {
  if (head && head.length) await write(stdout, head);
  try {
    for await (const chunk of source) await write(stdout, chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
  }
}

export interface StdinRelayOptions {
  /** Watch for these keys (docker's detach keys); seen in full, `onDetach` runs and input stops. */
  escapeKeys?: Buffer;
  onDetach?: () => void;
}

/**
 * Relays our stdin into the hijacked connection and half-closes it at end of input. A terminal is put
 * in raw mode (the container's TTY does the line editing) and restored by the returned function.
 */
export function relayStdin(socket: Duplex, stdin: NodeJS.ReadStream = process.stdin, opts: StdinRelayOptions = {}): () => void {
  const raw = stdin.isTTY === true;
  if (raw) setRaw(stdin, true);
  const scanner = opts.escapeKeys ? new DetachScanner(opts.escapeKeys) : undefined;
  let detached = false;
  const onData = (chunk: Buffer): void => {
    if (detached || socket.destroyed) return;
    let data = chunk;
    let detach = false;
    if (scanner) ({ pass: data, detach } = scanner.push(chunk));
    if (data.length && !socket.write(data)) {
      stdin.pause();
      socket.once('drain', () => stdin.resume());
    }
    if (detach) {
      detached = true;
      opts.onDetach?.();
    }
  };
  const onEnd = (): void => {
    if (!socket.destroyed && !detached) socket.end();
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    if (raw) setRaw(stdin, false);
    stdin.pause();
  };
}

/**
 * Raw mode as docker sets it: libuv's raw mode keeps output post-processing (ONLCR), which would turn
 * the container TTY's "\r\n" into "\r\r\n"; stty turns that off too.
 */
function setRaw(stdin: NodeJS.ReadStream, on: boolean): void {
  stdin.setRawMode(on);
  spawnSync('stty', [on ? '-opost' : 'opost'], { stdio: [stdin === process.stdin ? 'inherit' : 'ignore', 'ignore', 'ignore'] });
}

/** Sends the terminal size now and on every SIGWINCH; returns a function that stops watching. */
export function watchTerminalSize(client: ApiClient, path: string): () => void {
  const out = process.stdout;
  if (!out.isTTY) return () => {};
  const resize = (): void => {
    const h = out.rows ?? 0;
    const w = out.columns ?? 0;
    if (h === 0 && w === 0) return;
    // a container that already exited cannot be resized; docker tells the user nothing either
    client.request('POST', path, { query: { h, w } }).catch(ignoreDaemonRefusal);
  };
  resize();
  process.on('SIGWINCH', resize);
  return () => process.off('SIGWINCH', resize);
}
