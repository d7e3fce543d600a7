/**
 * A map that keeps at most `limit` entries, dropping the least recently used: Ink 6's text
 * caches (below) are unbounded module-level maps keyed by every distinct string ever drawn, so a
 * screen whose text changes (a clock, calls/s, a scrolling print) grew by ~35 KB/s at 100 calls/s
 * and never gave it back. Ink 7 bounds them (vadimdemedes/ink#986) but needs Node 22.
 */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly limit: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // refresh: Map keeps insertion order, so the oldest entry is always first
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }

  get size(): number {
    return this.map.size;
  }
}
