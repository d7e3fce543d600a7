/**
 * The readout queries over the central tape, with the semantics of ../queries.ts: short windows
 * and the hour's top-n from the ts index, long windows (month to date, trailing 24 h) as whole
 * hours from the rollup plus the partial hours at their edges from the tape. The central rollup
 * carries `host`, so a host filter reads it too.
 */
import type pg from 'pg';
import type { RowFilter } from '../filter.js';
import type { ReadoutQueryOptions } from '../queries.js';
import type { ProjectCost, ReadoutInputs, ReconciledPeriod } from '../../readouts/types.js';
import { monthBounds } from '../../readouts/budget.js';
import { pgFilter, type PgFilter } from './filter.js';

const HOUR = 3_600_000;
const MIN15 = 900_000;

export interface Sums {
  cost: number;
  calls: number;
  unpriced: number;
}

export type Queryable = Pick<pg.Pool, 'query'>;

/** Reconciled periods for the variance band over the central tape (supplied by reconcile, which owns the bills). */
export type CentralPeriods = (q: Queryable, now: number, filter: RowFilter) => Promise<readonly ReconciledPeriod[]>;

export class PgQueries {
  private readonly q: Queryable;
  private readonly f: PgFilter;
  private readonly short: string;
  private readonly projects: string;
  private readonly raw: string;
  private readonly rollup: string;
  private readonly filter: RowFilter;
  private readonly periods: CentralPeriods | null;

  constructor(q: Queryable, filter: RowFilter = {}, periods: CentralPeriods | null = null) {
    this.q = q;
    this.filter = filter;
    this.periods = periods;
    this.f = pgFilter(filter, 0);
    const k = this.f.params.length;
    const p = (i: number) => `$${k + i}`;
    const w = this.f.sql;
    this.short = `SELECT
        COALESCE(SUM(cost_micros) FILTER (WHERE ts_ms > ${p(1)}), 0) AS s60,
        COALESCE(SUM(cost_micros) FILTER (WHERE ts_ms > ${p(2)}), 0) AS s15,
        COALESCE(SUM(cost_micros) FILTER (WHERE ts_ms > ${p(3)}), 0) AS sw,
        COUNT(*) FILTER (WHERE ts_ms > ${p(3)}) AS cw
      FROM tape WHERE ts_ms > ${p(4)} AND ts_ms <= ${p(5)} AND ${w}`;
    this.projects = `SELECT project,
        COALESCE(SUM(cost_micros) FILTER (WHERE ts_ms > ${p(1)}), 0) AS cur,
        COALESCE(SUM(cost_micros) FILTER (WHERE ts_ms <= ${p(2)}), 0) AS prev
      FROM tape WHERE ts_ms > ${p(3)} AND ts_ms <= ${p(4)} AND ${w} GROUP BY project ORDER BY project COLLATE "C"`;
    this.raw = `SELECT COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS calls, COUNT(*) FILTER (WHERE cost_micros IS NULL) AS unpriced
      FROM tape WHERE ts_ms > ${p(1)} AND ts_ms <= ${p(2)} AND ${w}`;
    this.rollup = `SELECT COALESCE(SUM(cost_micros), 0) AS cost, COALESCE(SUM(calls), 0) AS calls, COALESCE(SUM(unpriced_calls), 0) AS unpriced
      FROM rollup_hour WHERE hour >= ${p(1)} AND hour < ${p(2)} AND ${w}`;
  }

  private async one<T>(sql: string, args: unknown[]): Promise<T> {
    const r = await this.q.query(sql, [...this.f.params, ...args]);
    const row = r.rows[0] as Record<string, unknown>;
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as T;
  }

  /** Cost, calls and unpriced calls with lo < ts <= hi: whole hours from the rollup, edges from the tape. */
  async range(lo: number, hi: number): Promise<Sums> {
    if (hi <= lo) return { cost: 0, calls: 0, unpriced: 0 };
    const firstHour = Math.floor(lo / HOUR) * HOUR + HOUR;
    const lastHour = Math.floor(hi / HOUR) * HOUR;
    if (firstHour >= lastHour) return this.one<Sums>(this.raw, [lo, hi]);
    const [head, mid, tail] = await Promise.all([
      this.one<Sums>(this.raw, [lo, firstHour - 1]),
      this.one<Sums>(this.rollup, [firstHour, lastHour]),
      this.one<Sums>(this.raw, [lastHour - 1, hi]),
    ]);
    return {
      cost: head.cost + mid.cost + tail.cost,
      calls: head.calls + mid.calls + tail.calls,
      unpriced: head.unpriced + mid.unpriced + tail.unpriced,
    };
  }

  /** Everything the readouts need at `now` (reconciled periods only when reconcile supplies them). */
  async readoutInputs(now: number, o: ReadoutQueryOptions): Promise<ReadoutInputs> {
    const wMs = o.windowSeconds * 1000;
    const refresh = o.topRefreshMs ?? 5000;
    const month = monthBounds(now);
    const [short, projects, mtd, trailing, periods] = await Promise.all([
      this.one<{ s60: number; s15: number; sw: number; cw: number }>(this.short, [now - 60_000, now - MIN15, now - wMs, now - Math.max(MIN15, wMs), now]),
      this.q.query(this.projects, [...this.f.params, now - HOUR, now - refresh, now - HOUR - refresh, now]),
      this.range(month.start - 1, now),
      this.range(now - o.budgetRateSeconds * 1000, now),
      this.periods ? this.periods(this.q, now, this.filter) : [],
    ]);
    return {
      now,
      sum60sMicros: short.s60,
      sum15mMicros: short.s15,
      windowSeconds: o.windowSeconds,
      windowMicros: short.sw,
      windowCalls: short.cw,
      projects: (projects.rows as { project: string; cur: unknown; prev: unknown }[]).map((r): ProjectCost => ({ project: r.project, cost_micros: Number(r.cur), prev_cost_micros: Number(r.prev) })),
      monthToDateMicros: mtd.cost,
      budgetRateSeconds: o.budgetRateSeconds,
      budgetRateWindowMicros: trailing.cost,
      budgetMicros: o.budgetMicros,
      periods: [...periods],
      unpricedCalls: mtd.unpriced,
    };
  }
}
