/**
 * Docker's detach keys (`--detach-keys`, `detachKeys`, default ctrl-p,ctrl-q): the key list parsed as
 * moby/term's ToBytes parses it, and the scanner that watches typed input for the sequence. The client
 * watches for it with a TTY; the daemon watches the input it relays and ends the stream when it comes.
 */
import { InvalidArgumentError } from './errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The key names moby/term accepts, in byte order: "ctrl-@" is 0, "ctrl-a" is 1, ... "ctrl-_" is 31. */
const CTRL_NAMES = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/**
 * "ctrl-p,ctrl-q" -> [0x10, 0x11]: comma-separated keys, each one byte (a single character stands for
 * itself) or a ctrl- name. Nothing is trimmed, as in Docker: " ctrl-p" is no key. Throws
 * InvalidArgumentError with the daemon's message ("Invalid detach keys (...) provided").
 */
export function parseDetachKeys(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    // Go's len(key) counts bytes: a character outside ASCII is no single key
    if (Buffer.byteLength(key) === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = CTRL_NAMES.indexOf(key);
    if (code < 0) throw new InvalidArgumentError(`Invalid detach keys (${keys}) provided`);
    codes.push(code);
  }
  return Buffer.from(codes);
}

/**
 * Watches input for the detach sequence, as Docker's escape proxy does: bytes that could begin the
 * sequence are held back; when the sequence completes, `push` reports the detach and what came before
 * it; when it breaks, the held bytes are passed on.
 */
export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to pass to the container, and whether the sequence was completed. */
  push(data: Buffer): { pass: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { pass: data, detach: false };
    // Fast path for bulk input: nothing held and no byte that could start the sequence.
    if (this.matched === 0 && data.indexOf(this.keys[0]!) < 0) return { pass: data, detach: false };
    const out: number[] = [];
    for (const b of data) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { pass: Buffer.from(out), detach: true };
        }
        continue;
      }
      // The sequence broke: what was held back was ordinary input after all.
      for (let j = 0; j < this.matched; j++) out.push(this.keys[j]!);
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else out.push(b);
    }
    return { pass: Buffer.from(out), detach: false };
  }
}
