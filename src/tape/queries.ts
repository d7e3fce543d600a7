import type { Db } from './db.js';
import type { CallRow } from './row.js';
import { compileFilter, hasHostFilter, type CompiledFilter, type RowFilter } from './filter.js';
import type { ProjectCost, ReadoutInputs, ReconciledPeriod } from '../readouts/types.js';
import { monthBounds } from '../readouts/budget.js';

const HOUR = 3_600_000;
const MIN15 = 900_000;

export interface ReadoutQueryOptions {
  readonly windowSeconds: number;
  readonly budgetRateSeconds: number;
  readonly budgetMicros: number | null;
  /** how often the top-n is refreshed; rank changes compare with the ranking this long ago */
  readonly topRefreshMs?: number;
  readonly filter?: RowFilter;
  /** reconciled periods (from the invoice tables), supplied by reconcile when any exist */
  readonly periods?: (db: Db, now: number, filter: CompiledFilter) => readonly ReconciledPeriod[];
}

interface Sums {
  cost: number;
  calls: number;
  unpriced: number;
}

/**
 * Prepared queries for the readouts. Every figure comes from an index range over its own
 * window, and long windows (month to date, trailing 24 h) read whole hours from the rollup
 * and only the partial hours at their edges from the tape, so the cost does not grow with
 * the tape. Each call runs its statements in autocommit: no read transaction stays open.
 */
export class TapeQueries {
  private readonly db: Db;
  private readonly filter: CompiledFilter;
  private readonly rollupFilter: CompiledFilter | null;
  private readonly shortWindows;
  private readonly projects;
  private readonly rawRange;
  private readonly rollupRange;

  constructor(db: Db, filter: RowFilter = {}) {
    this.db = db;
    this.filter = compileFilter(filter);
    this.rollupFilter = hasHostFilter(filter) ? null : compileFilter(filter);
    const w = this.filter.sql;
    this.shortWindows = db.prepare(`SELECT
        COALESCE(SUM(CASE WHEN ts > @a60 THEN cost_micros END), 0) AS s60,
        COALESCE(SUM(CASE WHEN ts > @a15 THEN cost_micros END), 0) AS s15,
        COALESCE(SUM(CASE WHEN ts > @aw THEN cost_micros END), 0) AS sw,
        COALESCE(SUM(CASE WHEN ts > @aw THEN 1 ELSE 0 END), 0) AS cw
      FROM tape WHERE ts > @lo AND ts <= @now AND ${w}`);
    this.projects = db.prepare(`SELECT project,
        COALESCE(SUM(CASE WHEN ts > @a THEN cost_micros END), 0) AS cur,
        COALESCE(SUM(CASE WHEN ts <= @p THEN cost_micros END), 0) AS prev
      FROM tape WHERE ts > @lo AND ts <= @now AND ${w} GROUP BY project`);
    this.rawRange = db.prepare(`SELECT COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS calls,
        COALESCE(SUM(cost_micros IS NULL), 0) AS unpriced
      FROM tape WHERE ts > ? AND ts <= ? AND ${w}`);
    this.rollupRange = this.rollupFilter
      ? db.prepare(`SELECT COALESCE(SUM(cost_micros), 0) AS cost, COALESCE(SUM(calls), 0) AS calls,
          COALESCE(SUM(unpriced_calls), 0) AS unpriced
        FROM rollup_hour WHERE hour >= ? AND hour < ? AND ${this.rollupFilter.sql}`)
      : null;
  }

  /** Cost, calls and unpriced calls with lo < ts <= hi: whole hours from the rollup, edges from the tape. */
  range(lo: number, hi: number): Sums {
    const p = this.filter.params;
    if (hi <= lo) return { cost: 0, calls: 0, unpriced: 0 };
    const firstHour = Math.floor(lo / HOUR) * HOUR + HOUR; // first hour starting after lo
    const lastHour = Math.floor(hi / HOUR) * HOUR; // the hour holding hi (partial)
    if (!this.rollupRange || firstHour >= lastHour) {
      return this.rawRange.get(lo, hi, ...p) as Sums;
    }
    // (lo, firstHour) raw; [firstHour, lastHour) rollup; [lastHour, hi] raw
    const head = this.rawRange.get(lo, firstHour - 1, ...p) as Sums;
    const mid = this.rollupRange.get(firstHour, lastHour, ...p) as Sums;
    const tail = this.rawRange.get(lastHour - 1, hi, ...p) as Sums;
    return {
      cost: head.cost + mid.cost + tail.cost,
      calls: head.calls + mid.calls + tail.calls,
      unpriced: head.unpriced + mid.unpriced + tail.unpriced,
    };
  }

  /** Everything the readouts need at `now`. */
  readoutInputs(now: number, o: ReadoutQueryOptions): ReadoutInputs {
    const p = this.filter.params;
    const wMs = o.windowSeconds * 1000;
    const short = this.shortWindows.get({ a60: now - 60_000, a15: now - MIN15, aw: now - wMs, lo: now - Math.max(MIN15, wMs), now }, ...p) as {
      s60: number; s15: number; sw: number; cw: number;
    };
    const refresh = o.topRefreshMs ?? 5000;
    const projects = this.projects.all({ a: now - HOUR, p: now - refresh, lo: now - HOUR - refresh, now }, ...p) as { project: string; cur: number; prev: number }[];
    const month = monthBounds(now);
    const mtd = this.range(month.start - 1, now);
    const trailing = this.range(now - o.budgetRateSeconds * 1000, now);
    return {
      now,
      sum60sMicros: short.s60,
      sum15mMicros: short.s15,
      windowSeconds: o.windowSeconds,
      windowMicros: short.sw,
      windowCalls: short.cw,
      projects: projects.map((r): ProjectCost => ({ project: r.project, cost_micros: r.cur, prev_cost_micros: r.prev })),
      monthToDateMicros: mtd.cost,
      budgetRateSeconds: o.budgetRateSeconds,
      budgetRateWindowMicros: trailing.cost,
      budgetMicros: o.budgetMicros,
      periods: o.periods ? o.periods(this.db, now, this.filter) : [],
      unpricedCalls: mtd.unpriced,
    };
  }
}

/** Rows with id > after (and ts <= until when given), oldest first, at most `limit`. */
export function rowsAfter(db: Db, filter: CompiledFilter, after: number, limit: number, untilTs?: number): CallRow[] {
  const sql = `SELECT * FROM tape WHERE id > ? AND ${filter.sql}${untilTs !== undefined ? ' AND ts <= ?' : ''} ORDER BY id LIMIT ?`;
  const params: (string | number)[] = [after, ...filter.params];
  if (untilTs !== undefined) params.push(untilTs);
  params.push(limit);
  return db.prepare(sql).all(...params) as CallRow[];
}

/** The highest id on the tape (0 when empty). */
export function lastId(db: Db): number {
  return (db.prepare('SELECT COALESCE(MAX(id), 0) FROM tape').pluck().get() as number) ?? 0;
}

/** The first id with ts >= since (the tape is in arrival order, ts nearly so): found through the ts index. */
export function firstIdSince(db: Db, since: number): number {
  const r = db.prepare('SELECT MIN(id) FROM tape WHERE ts >= ?').pluck().get(since) as number | null;
  return r ?? lastId(db) + 1;
}
