/**
 * One terminal of the console, held on the server so that it outlives the pages that show it: the
 * process's output is mirrored into a headless xterm.js (the screen a page gets back when it has
 * nothing) and kept in a replay buffer (the bytes a page that reconnects has missed, by offset). Every
 * page viewing it is a Viewer; the terminal is sized to the smallest of them.
 *
 * Flow control: reading from the daemon stops while any viewer has more than WINDOW bytes sent but
 * not acknowledged (or buffered in its socket), or while the mirror is that far behind, and starts
 * again when all are under LOW. A fast producer (`yes`) then runs at the pace of its slowest viewer
 * and no page or process is flooded.
 */
import type * as Headless from '@xterm/headless';
import type * as Serialize from '@xterm/addon-serialize';
import { Channel, encodeAtOffset, encodeJson, encodeSize, type Hello, type Size } from './web/protocol.js';
import type { DaemonTerminal, ExitStatus } from './daemon-terminal.js';
import { errorMessage } from '../../lib/errors.js';
import { lazyModule } from '../../lib/lazy-module.js';

export const WINDOW = 1024 * 1024;
const LOW = 256 * 1024;
/** Output kept for pages that reconnect; older bytes are recovered from the mirror's screen. */
const REPLAY_MAX = 4 * 1024 * 1024;
const SCROLLBACK = 1000;

export interface Viewer {
  send(message: Uint8Array): void;
  /** Bytes queued in the viewer's socket, not yet on the wire. */
  buffered(): number;
  close(code: number, reason: string): void;
}

interface ViewerState {
  size: Size;
  /** Offset of the output sent so far, and of what the page acknowledged. */
  sent: number;
  acked: number;
}

type HeadlessTerminal = Headless.Terminal;
type SerializeAddon = Serialize.SerializeAddon;
/** xterm.js headless loads with the first terminal, not at console start (it costs memory). */
const headless = lazyModule<typeof Headless>('@xterm/headless');
const serialize = lazyModule<typeof Serialize>('@xterm/addon-serialize');

export interface SessionInfo {
  id: string;
  container: string;
  kind: 'exec' | 'attach';
}

export class TerminalSession {
  private readonly viewers = new Map<Viewer, ViewerState>();
  private readonly replay: { offset: number; bytes: Buffer; channel: number }[] = [];
  private replayBytes = 0;
  /** Bytes of output so far, and how many of them the mirror has parsed. */
  private total = 0;
  private parsed = 0;
  private paused = false;
  private exit: (ExitStatus & { error?: string }) | undefined;
  /** When the last viewer left (for expiry); undefined while one is connected. */
  lonelySince: number | undefined = Date.now();
  size: Size;

  private constructor(
    readonly info: SessionInfo,
    private readonly daemon: DaemonTerminal,
    private readonly mirror: HeadlessTerminal,
    private readonly serializer: SerializeAddon,
    size: Size,
    private readonly warn: (message: string) => void,
  ) {
    this.size = size;
    daemon.onOutput((stream, bytes) => this.output(stream, bytes));
    void daemon.ended.then((err) => this.ended(err));
  }

  static start(info: SessionInfo, daemon: DaemonTerminal, size: Size, warn: (message: string) => void): TerminalSession {
    const mirror = new (headless().Terminal)({ cols: size.cols, rows: size.rows, scrollback: SCROLLBACK, allowProposedApi: true });
    const serializer = new (serialize().SerializeAddon)();
    mirror.loadAddon(serializer);
    return new TerminalSession(info, daemon, mirror, serializer, size, warn);
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** A page joined: it gets the session's size, then what it lacks (bytes from its offset, or the screen). */
  join(viewer: Viewer, hello: Hello): void {
    const state: ViewerState = { size: { cols: hello.cols, rows: hello.rows }, sent: this.total, acked: this.total };
    this.viewers.set(viewer, state);
    this.lonelySince = undefined;
    if (!this.fitToViewers()) viewer.send(encodeSize(Channel.Resize, this.size));
    const start = this.replay[0]?.offset ?? this.total;
    if (hello.offset > 0 && hello.offset >= start && hello.offset <= this.total) {
      state.sent = state.acked = hello.offset;
      this.sendFrom(viewer, state, hello.offset);
    } else if (this.parsed > 0 || this.total > 0) {
      const screen = this.serializer.serialize({ scrollback: SCROLLBACK });
      viewer.send(encodeAtOffset(Channel.Snapshot, this.parsed, Buffer.from(screen)));
      state.sent = state.acked = this.parsed;
      this.sendFrom(viewer, state, this.parsed);
    }
    if (this.exit) viewer.send(encodeJson(Channel.Exit, this.exit));
  }

  leave(viewer: Viewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size === 0) this.lonelySince = Date.now();
    else this.fitToViewers();
    this.flow();
  }

  input(bytes: Uint8Array): void {
    if (!this.exit) this.daemon.write(bytes);
  }

  resized(viewer: Viewer, size: Size): void {
    const state = this.viewers.get(viewer);
    if (!state || (state.size.cols === size.cols && state.size.rows === size.rows)) return;
    state.size = size;
    this.fitToViewers();
  }

  ack(viewer: Viewer, offset: number): void {
    const state = this.viewers.get(viewer);
    if (!state || offset > state.sent || offset < state.acked) return;
    state.acked = offset;
    this.flow();
  }

  /** Ends the session: the daemon connection closes, every page is told. */
  close(reason: string): void {
    this.daemon.close();
    for (const viewer of this.viewers.keys()) viewer.close(1001, reason);
    this.viewers.clear();
    this.mirror.dispose();
  }

  /** Sizes the terminal to the smallest viewport; true when the size changed (and every page was told). */
  private fitToViewers(): boolean {
    if (this.viewers.size === 0) return false;
    let cols = Infinity;
    let rows = Infinity;
    for (const { size } of this.viewers.values()) {
      cols = Math.min(cols, size.cols);
      rows = Math.min(rows, size.rows);
    }
    if (cols === this.size.cols && rows === this.size.rows) return false;
    this.size = { cols, rows };
    this.mirror.resize(cols, rows);
    if (!this.exit) {
      this.daemon.resize(this.size).catch((err: unknown) => this.warn(`console: resizing terminal ${this.info.id}: ${errorMessage(err)}`));
    }
    const message = encodeSize(Channel.Resize, this.size);
    for (const viewer of this.viewers.keys()) viewer.send(message);
    return true;
  }

  private output(stream: 1 | 2, bytes: Buffer): void {
    const offset = this.total;
    const channel = stream === 2 ? Channel.Stderr : Channel.Stdout;
    this.total += bytes.length;
    this.replay.push({ offset, bytes, channel });
    this.replayBytes += bytes.length;
    this.mirror.write(bytes, () => {
      this.parsed = offset + bytes.length;
      this.flow();
    });
    this.trimReplay();
    const message = encodeAtOffset(channel, offset, bytes);
    for (const [viewer, state] of this.viewers) {
      if (state.sent !== offset) continue;
      viewer.send(message);
      state.sent = this.total;
    }
    this.flow();
  }

  /** Sends a viewer the output from `offset` on, out of the replay buffer. */
  private sendFrom(viewer: Viewer, state: ViewerState, offset: number): void {
    for (const chunk of this.replay) {
      const end = chunk.offset + chunk.bytes.length;
      if (end <= offset) continue;
      const from = Math.max(offset, chunk.offset);
      viewer.send(encodeAtOffset(chunk.channel, from, chunk.bytes.subarray(from - chunk.offset)));
    }
    state.sent = this.total;
  }

  /** Drops replay bytes past REPLAY_MAX, but never bytes the mirror has not parsed (a snapshot needs them). */
  private trimReplay(): void {
    while (this.replayBytes > REPLAY_MAX && this.replay.length > 1) {
      const first = this.replay[0]!;
      if (first.offset + first.bytes.length > this.parsed) break;
      this.replay.shift();
      this.replayBytes -= first.bytes.length;
    }
  }

  private lag(): number {
    let lag = this.total - this.parsed;
    for (const [viewer, state] of this.viewers) lag = Math.max(lag, state.sent - state.acked, viewer.buffered());
    return lag;
  }

  private flow(): void {
    if (this.exit) return;
    const lag = this.lag();
    if (!this.paused && lag > WINDOW) {
      this.paused = true;
      this.daemon.pause();
    } else if (this.paused && lag < LOW) {
      this.paused = false;
      this.daemon.resume();
    }
  }

  private async ended(err: Error | undefined): Promise<void> {
    let status: ExitStatus & { error?: string };
    try {
      status = await this.daemon.exitStatus();
    } catch (e) {
      status = { exitCode: null, error: errorMessage(e) };
    }
    if (err) status.error = errorMessage(err);
    this.exit = status;
    const message = encodeJson(Channel.Exit, status);
    for (const viewer of this.viewers.keys()) viewer.send(message);
  }
}
