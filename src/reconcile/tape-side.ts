import type { Db } from '../tape/db.js';

const HOUR = 3_600_000;

/** What the tape holds for one (model, project) over a span. */
export interface TapeSum {
  readonly model: string;
  readonly project: string;
  cost: number;
  calls: number;
  unpriced: number;
  flagged: number;
  errors: number;
}

/** One piece of a span: whole hours read from a rollup, or a partial hour read from the rows. */
export interface SpanPart {
  readonly from: 'rollup' | 'rows';
  readonly lo: number;
  readonly hi: number;
}

/** [lo, hi) cut into the whole hours inside it and the partial hours at its edges. */
export function spanParts(lo: number, hi: number): SpanPart[] {
  if (hi <= lo) return [];
  const firstHour = Math.ceil(lo / HOUR) * HOUR;
  const lastHour = Math.floor(hi / HOUR) * HOUR;
  if (firstHour >= lastHour) return [{ from: 'rows', lo, hi }];
  const out: SpanPart[] = [];
  if (lo < firstHour) out.push({ from: 'rows', lo, hi: firstHour });
  out.push({ from: 'rollup', lo: firstHour, hi: lastHour });
  if (lastHour < hi) out.push({ from: 'rows', lo: lastHour, hi });
  return out;
}

/** The parts' sums added per (model, project), sorted by model then project (code units), whatever the backend's order. */
export function mergeSums(parts: readonly (readonly TapeSum[])[]): TapeSum[] {
  const m = new Map<string, TapeSum>();
  for (const rows of parts) {
    for (const r of rows) {
      const k = `${r.model}\u0000${r.project}`;
      const s = m.get(k);
      if (!s) m.set(k, { model: r.model, project: r.project, cost: r.cost, calls: r.calls, unpriced: r.unpriced, flagged: r.flagged, errors: r.errors });
      else {
        s.cost += r.cost;
        s.calls += r.calls;
        s.unpriced += r.unpriced;
        s.flagged += r.flagged;
        s.errors += r.errors;
      }
    }
  }
  return [...m.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
}

/**
 * Tape sums per (model, project) for one provider with lo <= ts < hi: whole hours from
 * rollup_hour (kept with every append, so exact), only the partial hours at the edges from
 * the tape itself. Cost does not grow with the tape, only with the span's edges.
 * (The central tape's twin is in ./central.ts.)
 */
export class TapeSide {
  private readonly raw;
  private readonly roll;

  constructor(db: Db, extraSql = '1', private readonly extraParams: readonly string[] = []) {
    this.raw = db.prepare(`SELECT model, project, COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS calls,
        COALESCE(SUM(cost_micros IS NULL), 0) AS unpriced, COALESCE(SUM(flags != 0), 0) AS flagged,
        COALESCE(SUM(status >= 400), 0) AS errors
      FROM tape WHERE ts >= ? AND ts < ? AND provider = ? AND ${extraSql} GROUP BY model, project`);
    this.roll = db.prepare(`SELECT model, project, SUM(cost_micros) AS cost, SUM(calls) AS calls, SUM(unpriced_calls) AS unpriced,
        SUM(flagged_calls) AS flagged, SUM(error_calls) AS errors
      FROM rollup_hour WHERE hour >= ? AND hour < ? AND provider = ? AND ${extraSql} GROUP BY model, project`);
  }

  sums(provider: string, lo: number, hi: number): TapeSum[] {
    const p = this.extraParams;
    return mergeSums(spanParts(lo, hi).map((s) => (s.from === 'rollup' ? this.roll : this.raw).all(s.lo, s.hi, provider, ...p) as TapeSum[]));
  }
}
