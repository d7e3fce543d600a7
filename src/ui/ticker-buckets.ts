/**
 * The ticker's time buckets, kept incrementally: filled from one grouped read, then one call at
 * a time as rows arrive; buckets older than the window fall off. Bounded by the window (at most
 * window / BUCKET_MS buckets), however long the screen runs.
 */
import type { CallRow } from '../tape/row.js';
import type { TickGroup } from '../tape/source.js';
import { BUCKET_MS, type TickBucket } from './ticker-model.js';
import { familyOf } from './theme.js';

export class TickerBuckets {
  private map = new Map<number, TickBucket>();

  /** Starts afresh from grouped reads (the source's tickGroups). */
  reset(groups: readonly TickGroup[]): void {
    this.map = new Map();
    for (const g of groups) this.add(g.b, g.n, g.d, g.c, g.model);
  }

  /** One call, when it falls after `from` (the window's start). */
  addCall(r: CallRow, from: number): void {
    if (r.ts > from) this.add(Math.floor(r.ts / BUCKET_MS), 1, r.duration_ms, r.cost_micros, r.model);
  }

  /** Drops buckets that end before `from`. */
  prune(from: number): void {
    const edge = Math.floor(from / BUCKET_MS);
    for (const i of this.map.keys()) if (i < edge) this.map.delete(i);
  }

  values(): TickBucket[] {
    return Array.from(this.map.values());
  }

  private add(i: number, n: number, durMs: number, cost: number | null, model: string): void {
    const fam = familyOf(model);
    const b = this.map.get(i);
    if (!b) {
      this.map.set(i, { i, n, tallMs: durMs, tallFam: fam, topCost: cost, topFam: fam });
      return;
    }
    const taller = durMs > b.tallMs;
    const costlier = cost !== null && (b.topCost === null || cost > b.topCost);
    this.map.set(i, {
      i,
      n: b.n + n,
      tallMs: taller ? durMs : b.tallMs,
      tallFam: taller ? fam : b.tallFam,
      topCost: costlier ? cost : b.topCost,
      topFam: costlier ? fam : b.topFam,
    });
  }
}

/** Calls per second over the last 10 s, from the buckets. */
export function callsPerSecond(buckets: readonly TickBucket[], now: number): number {
  const recent = Math.floor((now - 10_000) / BUCKET_MS);
  let n10 = 0;
  for (const b of buckets) if (b.i >= recent && b.i * BUCKET_MS <= now) n10 += b.n;
  return n10 / 10;
}
