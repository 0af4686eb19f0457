/**
 * A process's terminal on the daemon, as the console's sessions use it: an exec (a shell by default)
 * or an attach to the container's own TTY, over the Engine API's hijacked stream, whichever daemon
 * that is. The exec is created at the browser's size (ConsoleSize, API 1.42+; an older daemon is
 * resized as soon as the exec starts), so the first prompt already knows its width.
 */
import type { Duplex } from 'node:stream';
import { compareVersions, type ApiClient } from '../client/api-client.js';
import { FrameDecoder } from '../client/streams.js';
import { ConflictError } from '../../lib/errors.js';
import type { Size } from './web/protocol.js';

const enc = encodeURIComponent;
/** bash when the container has it, else sh (the rule for the terminal page). */
export const DEFAULT_SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];

export interface ExitStatus {
  exitCode: number | null;
  /** Set when the stream ended but the process did not (an attach that was detached). */
  running?: boolean;
}

export interface DaemonTerminal {
  /** Output as it comes: stream 1 is stdout, 2 stderr. */
  onOutput(fn: (stream: 1 | 2, bytes: Buffer) => void): void;
  /** Settles when the output has ended (the process exited, or the connection was lost). */
  readonly ended: Promise<Error | undefined>;
  write(bytes: Uint8Array): void;
  resize(size: Size): Promise<void>;
  /** Flow control: stop and restart reading from the daemon. */
  pause(): void;
  resume(): void;
  exitStatus(): Promise<ExitStatus>;
  close(): void;
}

function wrap(socket: Duplex, head: Buffer, tty: boolean, ops: Pick<DaemonTerminal, 'resize' | 'exitStatus'>): DaemonTerminal {
  let listener: (stream: 1 | 2, bytes: Buffer) => void = () => undefined;
  const decoder = tty ? undefined : new FrameDecoder();
  const deliver = (chunk: Buffer): void => {
    if (!decoder) {
      listener(1, chunk);
      return;
    }
    for (const [stream, payload] of decoder.push(chunk)) listener(stream === 2 ? 2 : 1, Buffer.from(payload));
  };
  const ended = new Promise<Error | undefined>((resolve) => {
    socket.on('close', () => resolve(undefined));
    socket.on('end', () => resolve(undefined));
    socket.on('error', (err) => resolve(err));
  });
  let pending: Buffer | undefined = head.length ? head : undefined;
  return {
    onOutput(fn) {
      listener = fn;
      if (pending) deliver(pending);
      pending = undefined;
      socket.on('data', deliver);
    },
    ended,
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => socket.destroy(),
    ...ops,
  };
}

/** Starts `cmd` (default: bash or sh) in a running container with a terminal of `size`. */
export async function openExec(client: ApiClient, container: string, cmd: string[] | undefined, size: Size): Promise<DaemonTerminal> {
  const sized = compareVersions(await client.apiVersion(), '1.42') >= 0;
  const consoleSize = sized ? { ConsoleSize: [size.rows, size.cols] } : {};
  const { Id: id } = await client.json<{ Id: string }>('POST', `/containers/${enc(container)}/exec`, {
    body: { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Cmd: cmd ?? DEFAULT_SHELL, ...consoleSize },
  });
  const hijacked = await client.hijack(`/exec/${enc(id)}/start`, { body: { Detach: false, Tty: true, ...consoleSize } });
  const resize = async (s: Size): Promise<void> => {
    await client.request('POST', `/exec/${enc(id)}/resize`, { query: { h: s.rows, w: s.cols } });
  };
  if (!sized) await resize(size);
  return wrap(hijacked.socket, hijacked.head, true, {
    resize,
    async exitStatus() {
      // the stream ends as the process does; the daemon may record the exit a moment later
      for (let i = 0; ; i++) {
        const info = await client.json<{ Running: boolean; ExitCode: number | null }>('GET', `/exec/${enc(id)}/json`);
        if (!info.Running || i === 50) return { exitCode: info.Running ? null : info.ExitCode, running: info.Running || undefined };
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  });
}

interface ContainerInfo {
  Id: string;
  State: { Running: boolean; Paused: boolean; ExitCode: number };
  Config: { Tty: boolean; OpenStdin: boolean };
}

/** Attaches to the container's own process (its TTY when it has one), as `docker attach` does. */
export async function openAttach(client: ApiClient, container: string, size: Size): Promise<DaemonTerminal> {
  const path = `/containers/${enc(container)}`;
  const info = await client.json<ContainerInfo>('GET', `${path}/json`);
  if (!info.State.Running) throw new ConflictError('You cannot attach to a stopped container, start it first');
  if (info.State.Paused) throw new ConflictError('You cannot attach to a paused container, unpause it first');
  const tty = info.Config.Tty;
  const hijacked = await client.hijack(`${path}/attach`, {
    query: { stream: true, stdin: info.Config.OpenStdin || undefined, stdout: true, stderr: true },
  });
  const resize = async (s: Size): Promise<void> => {
    if (tty) await client.request('POST', `${path}/resize`, { query: { h: s.rows, w: s.cols } });
  };
  await resize(size);
  return wrap(hijacked.socket, hijacked.head, tty, {
    resize,
    async exitStatus() {
      const now = await client.json<ContainerInfo>('GET', `${path}/json`);
      return now.State.Running ? { exitCode: null, running: true } : { exitCode: now.State.ExitCode };
    },
  });
}
