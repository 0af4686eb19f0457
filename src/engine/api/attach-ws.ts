import type * as Ws from 'ws';
import type { RequestContext } from './router.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { Container } from '../containers/container.js';
import { attachContainer, type AttachOptions } from '../containers/attach-stream.js';
import { lazyModule } from '../../lib/lazy-module.js';
import { CorsPolicy } from './cors.js';

/** ws loads with the first WebSocket attach, not at daemon start. */
const ws = lazyModule<typeof Ws>('ws');
let server: Ws.WebSocketServer | undefined;

/** One WebSocket server without a listener of its own: the API server hands it upgraded requests. */
function webSocketServer(): Ws.WebSocketServer {
  server ??= new (ws().WebSocketServer)({ noServer: true, perMessageDeflate: false });
  return server;
}

/**
 * GET /containers/{id}/attach/ws: the attach over a WebSocket, for the browser console. Output goes
 * out raw as binary messages (no stream headers, as Docker's), text or binary messages are input.
 * Several viewers may attach to one container at once: each reads the log on its own, and each one's
 * keystrokes reach the same terminal. A page of another origin is refused unless --api-cors-header
 * admits it (cors.ts).
 */
export async function attachWebSocket(ctx: RequestContext, c: Container, opts: Omit<AttachOptions, 'framed'>): Promise<void> {
  const up = ctx.upgrade;
  if (!up || String(ctx.req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw new InvalidArgumentError('this endpoint needs a WebSocket upgrade (Upgrade: websocket)');
  }
  new CorsPolicy(ctx.engine.config.corsHeaders).checkWebSocketOrigin(ctx.req);
  const socket = await new Promise<Ws.WebSocket>((resolve) => {
    webSocketServer().handleUpgrade(ctx.req, up.socket, up.head, resolve);
  });
  const conn = ws().createWebSocketStream(socket, { decodeStrings: false });
  conn.on('error', () => conn.destroy());
  await attachContainer(ctx.engine, c, conn, { ...opts, framed: false });
  socket.close(1000);
}
