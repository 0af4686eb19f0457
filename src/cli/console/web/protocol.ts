/**
 * The console's terminal protocol: binary WebSocket messages whose first byte names a channel. One
 * protocol for exec and attach, read by the server (Node) and the page (browser), so it uses nothing
 * but Uint8Array and DataView. docs/console.md describes it for other clients.
 *
 * Offsets count the bytes of output a session has produced since it began (stdout and stderr alike);
 * they let a page that reconnects say what it already has, and let the server hold back output while a
 * page has not yet acknowledged what it was sent (flow control).
 */

export const Channel = {
  /** page -> server: bytes for the process's stdin. */
  Stdin: 0,
  /** server -> page: [offset: u64][bytes] of the process's stdout. */
  Stdout: 1,
  /** server -> page: [offset: u64][bytes] of the process's stderr (attach to a container without a TTY). */
  Stderr: 2,
  /** server -> page: JSON {"exitCode": n} (and "error" when the process could not be followed). */
  Exit: 3,
  /** page -> server: [cols: u16][rows: u16] of the page's viewport; server -> page: the session's size. */
  Resize: 4,
  /** page -> server: [offset: u64], the output the page has written to its terminal. */
  Ack: 5,
  /** page -> server, first message: JSON {"cols", "rows", "offset"} (offset 0: a page without a screen). */
  Hello: 6,
  /** server -> page: [offset: u64][the screen serialised as escape sequences] replacing the page's screen. */
  Snapshot: 7,
  /** server -> page: empty, every few seconds, so a page notices a connection that went silent. */
  Heartbeat: 8,
} as const;
export type ChannelId = (typeof Channel)[keyof typeof Channel];

export interface Hello {
  cols: number;
  rows: number;
  offset: number;
}

export interface Size {
  cols: number;
  rows: number;
}

/** The largest terminal either side accepts (Docker parses sizes as uint16). */
export const MAX_DIMENSION = 65535;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function withChannel(channel: number, bodyLength: number): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(1 + bodyLength);
  out[0] = channel;
  return { out, view: new DataView(out.buffer, out.byteOffset, out.byteLength) };
}

/** A message carrying an offset (u64 big-endian; offsets stay below 2^53) and bytes after it. */
export function encodeAtOffset(channel: number, offset: number, bytes: Uint8Array): Uint8Array {
  const { out, view } = withChannel(channel, 8 + bytes.length);
  view.setUint32(1, Math.floor(offset / 2 ** 32));
  view.setUint32(5, offset >>> 0);
  out.set(bytes, 9);
  return out;
}

export function encodeSize(channel: number, size: Size): Uint8Array {
  const { out, view } = withChannel(channel, 4);
  view.setUint16(1, size.cols);
  view.setUint16(3, size.rows);
  return out;
}

export function encodeJson(channel: number, value: unknown): Uint8Array {
  const body = encoder.encode(JSON.stringify(value));
  const { out } = withChannel(channel, body.length);
  out.set(body, 1);
  return out;
}

export function encodeBytes(channel: number, bytes: Uint8Array): Uint8Array {
  const { out } = withChannel(channel, bytes.length);
  out.set(bytes, 1);
  return out;
}

export function encodeAck(offset: number): Uint8Array {
  return encodeAtOffset(Channel.Ack, offset, new Uint8Array(0));
}

export type Message =
  | { channel: typeof Channel.Stdin | typeof Channel.Heartbeat; bytes: Uint8Array }
  | { channel: typeof Channel.Stdout | typeof Channel.Stderr | typeof Channel.Snapshot; offset: number; bytes: Uint8Array }
  | { channel: typeof Channel.Ack; offset: number }
  | { channel: typeof Channel.Resize; size: Size }
  | { channel: typeof Channel.Exit | typeof Channel.Hello; json: unknown };

/** Decodes one message; throws on a malformed one (the caller closes the connection). */
export function decode(data: Uint8Array): Message {
  if (data.length === 0) throw new Error('empty message');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const channel = data[0]!;
  const offsetAt = (): number => {
    if (data.length < 9) throw new Error(`message on channel ${channel} is too short`);
    return view.getUint32(1) * 2 ** 32 + view.getUint32(5);
  };
  switch (channel) {
    case Channel.Stdin:
    case Channel.Heartbeat:
      return { channel, bytes: data.subarray(1) };
    case Channel.Stdout:
    case Channel.Stderr:
    case Channel.Snapshot:
      return { channel, offset: offsetAt(), bytes: data.subarray(9) };
    case Channel.Ack:
      return { channel, offset: offsetAt() };
    case Channel.Resize:
      if (data.length !== 5) throw new Error('a resize message has 4 bytes: cols and rows');
      return { channel, size: { cols: view.getUint16(1), rows: view.getUint16(3) } };
    case Channel.Exit:
    case Channel.Hello:
      return { channel, json: JSON.parse(decoder.decode(data.subarray(1))) as unknown };
    default:
      throw new Error(`unknown channel ${channel}`);
  }
}

/** A Hello as the server accepts it: whole numbers in range, or an error naming the field. */
export function parseHello(json: unknown): Hello {
  const h = (json ?? {}) as Record<string, unknown>;
  const num = (name: string, min: number, max: number): number => {
    const v = h[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`hello: ${name} must be a whole number from ${min} to ${max}`);
    }
    return v;
  };
  return { cols: num('cols', 1, MAX_DIMENSION), rows: num('rows', 1, MAX_DIMENSION), offset: num('offset', 0, Number.MAX_SAFE_INTEGER) };
}
