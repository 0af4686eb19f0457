/**
 * The frames berthd and its spawn helper (native/berth-spawn.c, which documents them) exchange over the
 * helper's stdin and stdout: u32 length of what follows (little endian), u32 sequence number, u8 type,
 * payload. Pure encoding and decoding, so that both ends can be tested without the other.
 */

/** Spawn flags: a session of its own, which streams come back through pipes. */
export const SPAWN_SETSID = 1;
export const SPAWN_STDOUT = 2;
export const SPAWN_STDERR = 4;
export const SPAWN_SYNC = 8;

/** The streams of a spawned process the helper can relay: stdout, stderr, fd 3 (conmon's sync pipe). */
export type StreamNumber = 1 | 2 | 3;

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  /** '' keeps the helper's working directory. */
  cwd: string;
  env: readonly string[];
  flags: number;
}

/** A frame from the helper. */
export type HelperAnswer =
  /** Forked: the process exists (an 'exit' follows, also when its exec fails). */
  | { seq: number; type: 'started'; pid: number }
  | { seq: number; type: 'output'; stream: StreamNumber; data: Buffer }
  | { seq: number; type: 'end'; stream: StreamNumber }
  /** `code` -1 when signalled; `execErrno` the errno of an exec (or chdir, dup2) that failed, else 0. */
  | { seq: number; type: 'exit'; code: number; signal: number; execErrno: number }
  | { seq: number; type: 'result'; errno: number };

function frame(seq: number, type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32LE(5 + payload.length, 0);
  head.writeUInt32LE(seq, 4);
  head.write(type, 8, 'latin1');
  return Buffer.concat([head, payload]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b;
}

function strings(values: readonly string[]): Buffer {
  for (const v of values) {
    if (v.includes('\0')) throw new TypeError(`a NUL byte in ${JSON.stringify(v)}`);
  }
  return Buffer.from(values.map((v) => `${v}\0`).join(''));
}

export function encodeSpawn(seq: number, r: SpawnRequest): Buffer {
  return frame(seq, 'S', Buffer.concat([u32(r.flags, 1 + r.args.length, r.env.length), strings([r.cwd, r.file, ...r.args, ...r.env])]));
}

export function encodeKill(seq: number, signal: number): Buffer {
  return frame(seq, 'K', u32(signal));
}

/** Stop relaying `stream` of process `seq`: nobody reads it any more. */
export function encodeDrop(seq: number, stream: StreamNumber): Buffer {
  return frame(seq, 'D', Buffer.from([stream]));
}

/** mount(2): answered with a 'result' frame. */
export function encodeMount(seq: number, m: { source: string; fstype: string; target: string; flags: number; data: string }): Buffer {
  return frame(seq, 'M', Buffer.concat([u32(m.flags), strings([m.source, m.fstype, m.target, m.data])]));
}

/** umount2(2): answered with a 'result' frame. */
export function encodeUnmount(seq: number, target: string, flags: number): Buffer {
  return frame(seq, 'U', Buffer.concat([u32(flags), strings([target])]));
}

/** Splits the helper's output into answers, whatever the chunks it arrives in. */
export class AnswerReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): HelperAnswer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: HelperAnswer[] = [];
    let off = 0;
    while (this.pending.length - off >= 4) {
      const len = this.pending.readUInt32LE(off);
      if (len < 5) throw new Error(`the spawn helper sent a malformed frame (length ${len})`);
      if (this.pending.length - off - 4 < len) break;
      const seq = this.pending.readUInt32LE(off + 4);
      const type = String.fromCharCode(this.pending[off + 8]!);
      const payload = this.pending.subarray(off + 9, off + 4 + len);
      out.push(decode(seq, type, payload));
      off += 4 + len;
    }
    this.pending = this.pending.subarray(off);
    return out;
  }
}

function decode(seq: number, type: string, p: Buffer): HelperAnswer {
  const stream = p[0] as StreamNumber;
  switch (type) {
    case 'P': return { seq, type: 'started', pid: p.readInt32LE(0) };
    case 'O': return { seq, type: 'output', stream, data: Buffer.from(p.subarray(1)) };
    case 'E': return { seq, type: 'end', stream };
    case 'X': return { seq, type: 'exit', code: p.readInt32LE(0), signal: p.readInt32LE(4), execErrno: p.readInt32LE(8) };
    case 'R': return { seq, type: 'result', errno: p.readInt32LE(0) };
    default: throw new Error(`the spawn helper sent a frame of unknown type ${JSON.stringify(type)}`);
  }
}
