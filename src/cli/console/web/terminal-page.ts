/**
 * The terminal page (exec or attach): xterm.js with its addons, connected to a server-side session
 * over the console's protocol (./protocol.ts). The page asks for the session at its own size, names
 * the session in its URL, and reconnects to it after a network loss: it tells the server how much
 * output it has, and gets the rest (or the whole screen) back. Exposed as window.term.
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { SearchAddon } from '@xterm/addon-search';
import { ClipboardAddon } from '@xterm/addon-clipboard';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { Channel, decode, encodeAck, encodeBytes, encodeJson, encodeSize, type Size } from './protocol.js';
import { postJson } from './page-fetch.js';

/** What the page knows of its session, for people and tests looking at it. */
interface TerminalState {
  session: string;
  /** Output bytes written to the terminal, by offset. */
  written: number;
  connected: boolean;
  connects: number;
  exit?: { exitCode: number | null; running?: boolean; error?: string };
  search: SearchAddon;
}

declare global {
  interface Window {
    term: Terminal;
    berthTerminal: TerminalState;
  }
}

const ACK_EVERY = 64 * 1024;
/** The server sends a heartbeat every 5 s: this long without a word means the connection is gone. */
const SILENCE_MS = 15_000;

const el = document.getElementById('terminal')!;
const status = document.getElementById('status')!;
const container = el.dataset.container!;
const kind = el.dataset.kind === 'attach' ? 'attach' : 'exec';
const utf8 = new TextEncoder();

const term = new Terminal({ allowProposedApi: true, cursorBlink: true, scrollback: 5000, fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', fontSize: 14 });
const fit = new FitAddon();
const search = new SearchAddon();
term.loadAddon(fit);
term.loadAddon(search);
term.loadAddon(new WebLinksAddon());
term.loadAddon(new ClipboardAddon());
term.loadAddon(new Unicode11Addon());
term.unicode.activeVersion = '11';
term.open(el);
window.term = term;

function viewport(): Size {
  const d = fit.proposeDimensions();
  return { cols: Math.max(2, d?.cols ?? 80), rows: Math.max(1, d?.rows ?? 24) };
}

const state: TerminalState = { session: el.dataset.session ?? '', written: 0, connected: false, connects: 0, search };
window.berthTerminal = state;
let received = 0;
let acked = 0;
let ws: WebSocket | undefined;
let lastSent: Size | undefined;
let lastHeard = Date.now();

function say(text: string): void {
  status.textContent = text;
}

function send(message: Uint8Array): void {
  if (ws?.readyState === WebSocket.OPEN) ws.send(message);
}

function sendSizeIfChanged(): void {
  const size = viewport();
  if (lastSent && lastSent.cols === size.cols && lastSent.rows === size.rows) return;
  lastSent = size;
  send(encodeSize(Channel.Resize, size));
}

/** Writes output at `offset`; what the page already has is skipped, so a replay never doubles. */
function output(offset: number, bytes: Uint8Array): void {
  if (offset > received) {
    // a gap cannot be filled from here: start over with the server's screen
    received = 0;
    ws?.close();
    return;
  }
  const fresh = bytes.subarray(received - offset);
  if (fresh.length === 0) return;
  received += fresh.length;
  term.write(fresh, () => {
    state.written += fresh.length;
    if (state.written - acked >= ACK_EVERY || state.written === received) {
      acked = state.written;
      send(encodeAck(acked));
    }
  });
}

function onMessage(data: ArrayBuffer): void {
  lastHeard = Date.now();
  const m = decode(new Uint8Array(data));
  switch (m.channel) {
    case Channel.Stdout:
    case Channel.Stderr:
      output(m.offset, m.bytes);
      break;
    case Channel.Snapshot:
      term.reset();
      received = m.offset;
      term.write(m.bytes, () => {
        state.written = acked = m.offset;
        send(encodeAck(acked));
      });
      break;
    case Channel.Resize:
      if (m.size.cols !== term.cols || m.size.rows !== term.rows) term.resize(m.size.cols, m.size.rows);
      break;
    case Channel.Exit: {
      const exit = m.json as TerminalState['exit'];
      state.exit = exit;
      const text = exit?.running ? 'detached (the process is still running)'
        : `exited with code ${exit?.exitCode ?? 'unknown'}${exit?.error ? ` (${exit.error})` : ''}`;
      say(text);
      term.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
      break;
    }
    default:
      break;
  }
}

async function ticket(): Promise<string> {
  if (!state.session) {
    const size = viewport();
    const created = await postJson<{ id: string; ticket: string }>(`/api/containers/${encodeURIComponent(container)}/terminals`,
      { kind, cmd: el.dataset.cmd ?? null, cols: size.cols, rows: size.rows });
    state.session = created.id;
    const base = `/containers/${encodeURIComponent(container)}/${kind === 'exec' ? 'terminal' : 'attach'}/${created.id}`;
    history.replaceState(null, '', base + location.search);
    return created.ticket;
  }
  return (await postJson<{ ticket: string }>(`/api/terminals/${encodeURIComponent(state.session)}/tickets`, {})).ticket;
}

async function connect(): Promise<void> {
  const t = await ticket();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${location.host}/ws/terminals/${encodeURIComponent(state.session)}?ticket=${encodeURIComponent(t)}`);
  socket.binaryType = 'arraybuffer';
  ws = socket;
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => {
      const size = viewport();
      lastSent = size;
      lastHeard = Date.now();
      socket.send(encodeJson(Channel.Hello, { cols: size.cols, rows: size.rows, offset: received }));
      state.connected = true;
      state.connects++;
      if (!state.exit) say('connected');
      resolve();
    };
    socket.onerror = () => reject(new Error('the connection failed'));
    socket.onmessage = (e) => onMessage(e.data as ArrayBuffer);
    socket.onclose = () => {
      state.connected = false;
      reject(new Error('closed'));
      if (ws === socket) reconnect();
    };
  });
}

let retrying = false;
/** Tries again and again (at most every 3 s) until the session answers or says it is gone. */
function reconnect(): void {
  if (retrying) return;
  retrying = true;
  if (!state.exit) say('reconnecting');
  let delay = 250;
  const attempt = (): void => {
    connect().then(() => (retrying = false), (err: unknown) => {
      if (err instanceof Error && /^404\b/.test(err.message)) {
        retrying = false;
        say('the session has ended');
        return;
      }
      delay = Math.min(delay * 2, 3000);
      setTimeout(attempt, delay);
    });
  };
  attempt();
}

term.onData((data) => send(encodeBytes(Channel.Stdin, utf8.encode(data))));
term.onBinary((data) => send(encodeBytes(Channel.Stdin, Uint8Array.from(data, (c) => c.charCodeAt(0)))));

// Ctrl/Cmd+Shift+C and V copy and paste (plain Ctrl+C is the terminal's); paste goes through
// xterm.js, which wraps it in bracketed-paste markers when the program asked for them.
term.attachCustomKeyEventHandler((e) => {
  if (e.type !== 'keydown' || !e.shiftKey || !(e.ctrlKey || e.metaKey)) return true;
  if (e.code === 'KeyC') {
    const text = term.getSelection();
    if (text) void navigator.clipboard.writeText(text);
    return false;
  }
  if (e.code === 'KeyV') {
    navigator.clipboard.readText().then((text) => term.paste(text), (err: unknown) => say(`paste: ${String(err)}`));
    return false;
  }
  return true;
});

new ResizeObserver(() => sendSizeIfChanged()).observe(el);
setInterval(() => {
  if (ws && state.connected && Date.now() - lastHeard > SILENCE_MS) ws.close();
}, 2000);

document.getElementById('share')?.addEventListener('click', () => {
  postJson<{ url: string }>('/api/invitations', { next: location.pathname }).then((r) => {
    document.getElementById('share-url')!.textContent = r.url;
  }, (err: unknown) => say(String(err)));
});

term.focus();
connect().catch(() => reconnect());
