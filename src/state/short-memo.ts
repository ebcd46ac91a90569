/**
 * An in-process memo of answers that may be a little stale: each entry lives `ttlMs` at most,
 * and the memo never holds more than `maxEntries` (it empties itself when full, which under
 * a flood of distinct keys costs recomputation, never memory).
 */
export class ShortMemo<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Forgets `key` at once, before its lifetime is over. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }
}
