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

/**
 * Tape sums per (model, project) for one provider with lo <= ts < hi: whole hours from
 * rollup_hour (kept with every append, so exact), only the partial hours at the edges from
 * the tape itself. Cost does not grow with the tape, only with the span's edges.
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
    if (hi <= lo) return [];
    const firstHour = Math.ceil(lo / HOUR) * HOUR;
    const lastHour = Math.floor(hi / HOUR) * HOUR;
    const parts: TapeSum[][] = [];
    const p = this.extraParams;
    if (firstHour >= lastHour) parts.push(this.raw.all(lo, hi, provider, ...p) as TapeSum[]);
    else {
      if (lo < firstHour) parts.push(this.raw.all(lo, firstHour, provider, ...p) as TapeSum[]);
      parts.push(this.roll.all(firstHour, lastHour, provider, ...p) as TapeSum[]);
      if (lastHour < hi) parts.push(this.raw.all(lastHour, hi, provider, ...p) as TapeSum[]);
    }
    if (parts.length === 1) return parts[0]!;
    const m = new Map<string, TapeSum>();
    for (const rows of parts) {
      for (const r of rows) {
        const k = `${r.model}\u0000${r.project}`;
        const s = m.get(k);
        if (!s) m.set(k, { ...r });
        else {
          s.cost += r.cost;
          s.calls += r.calls;
          s.unpriced += r.unpriced;
          s.flagged += r.flagged;
          s.errors += r.errors;
        }
      }
    }
    return [...m.values()];
  }
}
