import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ContainerServices } from './container-services.js';
import { readK8sLog } from '../runtime/k8s-log.js';
import { logSize } from '../runtime/attach-log.js';
import type { Container } from './container.js';
import { put, runSession, type SessionEnd } from './attach-session.js';
import { frame } from './stream-frame.js';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
  stream: boolean;
  /** Parsed detach sequence. */
  detachKeys: Buffer;
  /** Docker's 8-byte stream headers without a TTY (false for the WebSocket attach, which is raw). */
  framed: boolean;
}

/**
 * POST /containers/{id}/attach (and its WebSocket twin) once the connection is taken over: with
 * `logs`, what the container wrote so far; with `stream`, the current run (or, when the container is
 * not running, its next run: the docker CLI attaches before it starts the container) until that run
 * ends and its output is drained. The connection then closes, which tells `docker run` the output is
 * complete. Input goes to the container when it was created with OpenStdin and the client asked for it.
 */
export async function attachContainer(engine: ContainerServices, c: Container, conn: Duplex, opts: AttachOptions): Promise<SessionEnd> {
  const tty = c.record.config.Tty;
  const framed = opts.framed && !tty;
  engine.containers.events.action(c, 'attach');
  if (opts.logs) {
    const ac = new AbortController();
    const stop = () => ac.abort();
    conn.once('close', stop);
    for await (const e of readK8sLog(c.record.logPath, { signal: ac.signal, rotated: true })) {
      if (e.stream === 'stdout' ? !opts.stdout : !opts.stderr) continue;
      const data = framed ? frame(e.stream, e.data) : e.data;
      if (!(await put(conn, data))) return 'gone';
    }
    conn.off('close', stop);
  }
  if (!opts.stream) {
    conn.end();
    return 'ended';
  }
  const run = await currentOrNextRun(c, conn);
  if (!run) {
    if (!conn.destroyed) conn.end();
    return 'gone';
  }
  const stdinSocket = opts.stdin && c.record.config.OpenStdin
    ? join(engine.containers.bundleDir(c.id), 'attach') : undefined;
  const end = await runSession({
    conn, tty, stdout: opts.stdout, stderr: opts.stderr, logPath: c.record.logPath, offset: run.offset,
    ended: runEnded(c, run.runId, conn), stdinSocket, detachKeys: opts.detachKeys, log: engine.log, framed,
  });
  if (end === 'detached') engine.containers.events.action(c, 'detach');
  return end;
}

/**
 * The run to follow and where its output begins in the log: the running one from the log's current
 * end, or the next one from the log's size at its start (taken when the `start` event fires, after
 * `runc create` and before the process runs, so not a byte is missed).
 */
async function currentOrNextRun(c: Container, conn: Duplex): Promise<{ runId: number; offset: number } | undefined> {
  if (c.state.running && !c.state.restarting) return { runId: c.runId, offset: await logSize(c.record.logPath) };
  return new Promise((resolve) => {
    const onStart = () => finish({ runId: c.runId, offset: sizeNow(c.record.logPath) });
    const onGone = () => finish(undefined);
    const finish = (v: { runId: number; offset: number } | undefined) => {
      c.off('start', onStart);
      c.off('removed', onGone);
      conn.off('close', onGone);
      resolve(v);
    };
    c.on('start', onStart);
    c.on('removed', onGone);
    conn.on('close', onGone);
  });
}

function sizeNow(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Settles when run `runId` is over (its exit handled, or a failed start), the container or the client is gone. */
function runEnded(c: Container, runId: number, conn: Duplex): Promise<void> {
  if (c.lastEndedRun >= runId || c.removed) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (c.lastEndedRun < runId && !c.removed && !conn.destroyed) return;
      c.off('exit', check);
      c.off('removed', check);
      conn.off('close', check);
      resolve();
    };
    c.on('exit', check);
    c.on('removed', check);
    conn.on('close', check);
  });
}
