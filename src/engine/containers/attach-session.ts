import type { Duplex, Writable } from 'node:stream';
import type { Logger } from '../base/log.js';
import { followOutput, type OutputRecord } from '../runtime/attach-log.js';
import { StdinRelay } from '../runtime/attach-stdin.js';
import { DetachScanner } from '../../lib/detach-keys.js';

/**
 * One client connected to a running process (a container's run or an exec): output from conmon's log
 * file from `offset` on, until the process has ended and its output is drained; input (when wanted)
 * through conmon's attach socket; Docker's detach keys cut the connection without touching the process.
 * Used by the hijacked attach, the WebSocket attach and exec start alike.
 */
export interface SessionOptions {
  conn: Duplex;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  logPath: string;
  offset: number;
  /** Settles when the process has ended (its exit recorded). */
  ended: Promise<unknown>;
  /** conmon's attach socket, when the client's input goes to the process. */
  stdinSocket?: string;
  /** The detach sequence (empty: none). Only scanned when input is attached. */
  detachKeys: Buffer;
  log: Logger;
  /** Framing of output: Docker's 8-byte headers without a TTY (hijacked streams), or raw. */
  framed?: boolean;
}

export type SessionEnd = 'ended' | 'detached' | 'gone';

export async function runSession(o: SessionOptions): Promise<SessionEnd> {
  const { conn } = o;
  const ac = new AbortController();
  let detached = false;
  const gone = () => ac.abort();
  conn.on('close', gone);
  conn.on('error', gone);
  let relay: StdinRelay | undefined;
  if (o.stdinSocket) {
    relay = new StdinRelay(o.stdinSocket, o.log);
    const scanner = new DetachScanner(o.detachKeys);
    const input = relay.input;
    conn.on('data', (chunk: Buffer) => {
      const { pass, detach } = scanner.push(chunk);
      if (pass.length && !relay!.write(pass)) {
        conn.pause();
        input.once('drain', () => conn.resume());
        input.once('close', () => conn.resume());
      }
      if (detach) {
        detached = true;
        ac.abort();
      }
    });
    // The client closed its side (end of piped input): the process's stdin ends, output goes on.
    conn.on('end', () => relay?.end());
  } else {
    // Input nobody reads is consumed, so the client never blocks on it.
    conn.on('data', () => {});
  }
  const framed = o.framed ?? !o.tty;
  try {
    for await (const batch of followOutput(o.logPath, { offset: o.offset, ended: o.ended, signal: ac.signal })) {
      const out = render(batch, o, framed);
      if (out.length && !(await put(conn, out))) break;
    }
  } finally {
    relay?.close();
    conn.off('close', gone);
    conn.off('error', gone);
    if (!conn.destroyed) conn.end();
  }
  return detached ? 'detached' : ac.signal.aborted ? 'gone' : 'ended';
}

/** One buffer for a batch of records: Docker's frames ([stream, 0, 0, 0, size BE32] + bytes) or raw. */
function render(batch: OutputRecord[], o: SessionOptions, framed: boolean): Buffer {
  const wanted = batch.filter((r) => (r.stream === 1 ? o.stdout : o.stderr) && r.data.length);
  if (!framed) return wanted.length === 1 ? wanted[0]!.data : Buffer.concat(wanted.map((r) => r.data));
  let size = 0;
  for (const r of wanted) size += 8 + r.data.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of wanted) {
    out.writeUInt32BE(r.stream << 24, at);
    out.writeUInt32BE(r.data.length, at + 4);
    r.data.copy(out, at + 8);
    at += 8 + r.data.length;
  }
  return out;
}

/** Writes with backpressure; false once the peer is gone. */
export async function put(out: Writable, data: Buffer): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return false;
  if (out.write(data)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}
