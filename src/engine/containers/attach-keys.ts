import { InvalidArgumentError } from '../../lib/errors.js';

/** Docker's default detach sequence: ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * Parses Docker's detach key syntax (`ctrl-p,ctrl-q`, `a,ctrl-@`: comma-separated single characters or
 * `ctrl-<a-z @ [ \ ] ^ _>`) into the bytes a terminal sends. Throws Docker's message on bad input.
 */
export function parseDetachKeys(keys: string): Buffer {
  const out: number[] = [];
  for (const key of keys.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    const c = m?.[1];
    if (c && /[a-z]/.test(c)) out.push(c.charCodeAt(0) - 0x60);
    else if (c && '@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 0x40);
    else throw new InvalidArgumentError(`Invalid detach keys (${keys}) provided`);
  }
  return Buffer.from(out);
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
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
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
