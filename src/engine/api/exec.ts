import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { bodyTooLarge, hijack, readJson, sendJson } from './http.js';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../lib/detach-keys.js';
import { parseTtySize } from '../containers/attach-resize.js';
import { runSession } from '../containers/attach-session.js';
import { streamType } from './container-logs.js';

export function routes(_engine: Engine): Route[] {
  return [
    { method: 'POST', path: '/containers/{id}/exec', handler: postContainersExec },
    { method: 'POST', path: '/exec/{id}/start', handler: postExecStart },
    { method: 'POST', path: '/exec/{id}/resize', handler: postExecResize },
    { method: 'GET', path: '/exec/{id}/json', handler: getExecInspect },
  ];
}

async function postContainersExec(ctx: RequestContext): Promise<void> {
  const body = await readJson(ctx);
  sendJson(ctx, 201, ctx.engine.execs.create(ctx.params.id, body));
}

/**
 * POST /exec/{id}/start. Detached: 200 once the process runs. Otherwise the connection is taken over
 * (101 with `Upgrade: tcp`) and carries the process's output, and its input when it was created with
 * AttachStdin, until the process ends; a process that cannot start leaves runc's reason in the stream
 * (exit code 126 in inspect), as dockerd does.
 */
async function postExecStart(ctx: RequestContext): Promise<void> {
  const body = ((await readStartBody(ctx)) ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('json: cannot unmarshal into Go value of type container.ExecStartOptions');
  const size = Array.isArray(body.ConsoleSize) && body.ConsoleSize.length === 2 && body.ConsoleSize.every((n) => Number.isInteger(n) && n > 0 && n <= 0xffff)
    ? { height: body.ConsoleSize[0] as number, width: body.ConsoleSize[1] as number } : undefined;
  const execs = ctx.engine.execs;
  const e = execs.claim(ctx.params.id);
  if (body.Detach === true) {
    await execs.start(e, size);
    void execs.cleanup(e);
    sendJson(ctx, 200, undefined);
    return;
  }
  // Framing follows the start request's Tty, as dockerd's does (the process's TTY follows the create's).
  const framed = body.Tty !== true;
  const conn = hijack(ctx, streamType(ctx, !framed));
  try {
    await execs.start(e, size);
  } catch (err) {
    const text = Buffer.from(`${errorMessage(err)}\r\n`);
    conn.end(framed ? Buffer.concat([streamHeader(1, text.length), text]) : text);
    return;
  }
  const detachKeys = parseDetachKeys(e.config.DetachKeys || DEFAULT_DETACH_KEYS);
  await runSession({
    conn, tty: e.config.Tty, framed, stdout: e.config.AttachStdout, stderr: e.config.AttachStderr,
    logPath: execs.runtime.logPath(e.id), offset: 0, ended: e.ended!,
    stdinSocket: e.config.AttachStdin ? execs.runtime.attachSocketPath(e.id) : undefined,
    detachKeys, log: ctx.engine.log,
  }).catch(() => conn.destroy());
  void execs.cleanup(e);
}

/**
 * The JSON body of an exec start. On an upgraded connection Node leaves the body on the socket: it is
 * read from there (Content-Length bytes), so that it does not reach the process as input.
 */
async function readStartBody(ctx: RequestContext): Promise<unknown> {
  const up = ctx.upgrade;
  if (!up) return readJson(ctx);
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length <= 0) return undefined;
  if (length > MAX_START_BODY) throw bodyTooLarge(MAX_START_BODY);
  const chunks = [up.head];
  let have = up.head.length;
  while (have < length) {
    const chunk = up.socket.read() as Buffer | null;
    if (chunk) {
      chunks.push(chunk);
      have += chunk.length;
      continue;
    }
    const more = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        up.socket.off('readable', onReadable);
        up.socket.off('close', onClose);
        resolve(ok);
      };
      const onReadable = () => done(true);
      const onClose = () => done(false);
      up.socket.on('readable', onReadable);
      up.socket.on('close', onClose);
    });
    if (!more) throw new InvalidArgumentError('the connection closed before the request body was complete');
  }
  const all = Buffer.concat(chunks);
  up.head = all.subarray(length);
  try {
    return JSON.parse(all.subarray(0, length).toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON: ${errorMessage(err)}`);
  }
}

const MAX_START_BODY = 64 * 1024;

function streamHeader(stream: 1 | 2, size: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(size, 4);
  return h;
}

async function postExecResize(ctx: RequestContext): Promise<void> {
  const size = parseTtySize(ctx.query);
  await ctx.engine.execs.resize(ctx.params.id, size);
  sendJson(ctx, 200, undefined);
}

async function getExecInspect(ctx: RequestContext): Promise<void> {
  sendJson(ctx, 200, ctx.engine.execs.inspect(ctx.params.id));
}
