/**
 * The console's terminals: created by an authenticated request (exec or attach, at the page's
 * size), found again by id when a page (re)connects, and ended when nobody has looked at them for a
 * while. Each WebSocket is one Viewer of one session, speaking ./web/protocol.ts.
 */
import { randomBytes } from 'node:crypto';
import type * as Ws from 'ws';
import type { ApiClient } from '../client/api-client.js';
import { lazyModule } from '../../lib/lazy-module.js';
import { errorMessage } from '../../lib/errors.js';
import { openAttach, openExec } from './daemon-terminal.js';
import { TerminalSession, type Viewer } from './terminal-session.js';
import { Channel, MAX_DIMENSION, decode, encodeBytes, parseHello, type Size } from './web/protocol.js';

const ws = lazyModule<typeof Ws>('ws');
/** A session nobody views is ended after this long (its process keeps the daemon's rules). */
const ORPHAN_MS = 10 * 60 * 1000;
/** An ended session stays to show its screen and exit status to pages that come back. */
const EXITED_MS = 5 * 60 * 1000;
/** Heartbeats: a page hears one this often; a page that does not answer two pings is dropped. */
const HEARTBEAT_MS = 5000;
const HELLO_MS = 10_000;

export function validSize(size: Size): boolean {
  return [size.cols, size.rows].every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_DIMENSION);
}

export class TerminalSessions {
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly sweeper: NodeJS.Timeout;
  private server: Ws.WebSocketServer | undefined;

  constructor(private readonly client: ApiClient, private readonly warn: (message: string) => void) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** Opens a terminal on the daemon: an exec of `cmd` (a shell by default), or an attach. */
  async create(container: string, kind: 'exec' | 'attach', cmd: string[] | undefined, size: Size): Promise<TerminalSession> {
    const daemon = kind === 'exec' ? await openExec(this.client, container, cmd, size) : await openAttach(this.client, container, size);
    const id = randomBytes(12).toString('base64url');
    const session = TerminalSession.start({ id, container, kind }, daemon, size, this.warn);
    this.sessions.set(id, session);
    return session;
  }

  get(id: string): TerminalSession | undefined {
    return this.sessions.get(id);
  }

  /** The WebSocket server (no listener of its own: the console hands it upgraded requests). */
  webSocketServer(): Ws.WebSocketServer {
    this.server ??= new (ws().WebSocketServer)({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024 });
    return this.server;
  }

  /** Serves one page on a WebSocket: its Hello first, then input, resizes and acknowledgements. */
  serve(socket: Ws.WebSocket, session: TerminalSession): void {
    let joined = false;
    let alive = true;
    const viewer: Viewer = {
      send: (message) => {
        if (socket.readyState === socket.OPEN) socket.send(message);
      },
      buffered: () => socket.bufferedAmount,
      close: (code, reason) => socket.close(code, reason),
    };
    const helloTimer = setTimeout(() => socket.close(1008, 'no hello'), HELLO_MS);
    const heartbeat = setInterval(() => {
      if (!alive) {
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
      viewer.send(encodeBytes(Channel.Heartbeat, new Uint8Array(0)));
    }, HEARTBEAT_MS);
    socket.on('pong', () => (alive = true));
    socket.on('message', (data, isBinary) => {
      alive = true;
      try {
        if (!isBinary) throw new Error('the terminal protocol is binary');
        const message = decode(new Uint8Array(data as Buffer));
        if (!joined) {
          if (message.channel !== Channel.Hello) throw new Error('the first message must be a hello');
          joined = true;
          clearTimeout(helloTimer);
          session.join(viewer, parseHello(message.json));
          return;
        }
        switch (message.channel) {
          case Channel.Stdin: session.input(message.bytes); break;
          case Channel.Resize:
            if (!validSize(message.size)) throw new Error('a terminal is 1 to 65535 columns and rows');
            session.resized(viewer, message.size);
            break;
          case Channel.Ack: session.ack(viewer, message.offset); break;
          default: throw new Error(`channel ${message.channel} is not for pages to send`);
        }
      } catch (err) {
        socket.close(1008, errorMessage(err).slice(0, 120));
      }
    });
    socket.on('error', (err) => this.warn(`console: terminal ${session.info.id}: ${errorMessage(err)}`));
    socket.on('close', () => {
      clearTimeout(helloTimer);
      clearInterval(heartbeat);
      session.leave(viewer);
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const session of this.sessions.values()) session.close('the console is shutting down');
    this.sessions.clear();
    this.server?.close();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (s.lonelySince === undefined) continue;
      if (now - s.lonelySince > (s.exited ? EXITED_MS : ORPHAN_MS)) {
        s.close('session expired');
        this.sessions.delete(id);
      }
    }
  }
}
