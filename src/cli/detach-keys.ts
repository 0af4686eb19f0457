/**
 * Detach keys (docker's `--detach-keys`, default ctrl-p,ctrl-q): parsing the key list, and the filter
 * that watches typed input for the sequence. As in docker, the client watches for it only with a
 * TTY; without one the keys go to the daemon (`detachKeys`) and the daemon ends the stream.
 */

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The names moby/term accepts for control characters, in byte order (ctrl-@ is 0). */
const CTRL_NAMES = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/** moby/term ToBytes: "ctrl-p,ctrl-q" -> [0x10, 0x11]; single characters stand for themselves. */
export function parseDetachKeys(keys: string): Buffer | undefined {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = CTRL_NAMES.indexOf(key);
    if (code < 0) return undefined;
    codes.push(code);
  }
  return codes.length ? Buffer.from(codes) : undefined;
}

/**
 * Passes input through, holding back bytes that may start the escape sequence; `push` returns what
 * to forward and whether the whole sequence was seen (what came before it is still forwarded).
 */
export class EscapeFilter {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  push(chunk: Buffer): { data: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      // not the sequence after all: the held-back keys were typed input
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { data: Buffer.from(out), detached: false };
  }
}
