// When a tag was last looked up at its upstream: within the ttl the cached tag is served without asking
// again, so the upstream sees at most one lookup per tag per ttl. Kept in memory (a restart or another
// replica asks once more); bounded, the oldest lookups forgotten first.

const MAX_ENTRIES = 100_000;

export class TagFreshness {
  /** Key -> when the upstream last answered for it (ms); Map order is insertion order, oldest first. */
  private readonly checked = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now, private readonly maxEntries = MAX_ENTRIES) {}

  /** Whether the upstream answered for `key` less than `ttlMs` ago. */
  isFresh(key: string, ttlMs: number): boolean {
    const at = this.checked.get(key);
    return at !== undefined && ttlMs > 0 && this.now() - at < ttlMs;
  }

  /** Records that the upstream answered for `key` now. */
  markChecked(key: string): void {
    this.checked.delete(key);
    this.checked.set(key, this.now());
    if (this.checked.size > this.maxEntries) {
      const oldest = this.checked.keys().next().value;
      if (oldest !== undefined) this.checked.delete(oldest);
    }
  }

  /** Forgets `key`: the next pull asks the upstream. */
  forget(key: string): void {
    this.checked.delete(key);
  }

  get size(): number {
    return this.checked.size;
  }
}
