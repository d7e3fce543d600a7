import type { Db } from './db.js';
import type { CallRow } from './row.js';
import { compileFilter, hasHostFilter, type CompiledFilter, type RowFilter } from './filter.js';
import type { ProjectBudgetInput, ProjectCost, ReadoutInputs, ReconciledPeriod } from '../readouts/types.js';
import { monthBounds } from '../readouts/budget.js';
import { cover, HOUR, PROJECT_SPANS } from './rollups.js';

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
  /** monthly budgets per project, micro-USD: adds `project_budgets` gauges to the readouts */
  readonly projectBudgets?: Readonly<Record<string, number>>;
}

interface Sums {
  cost: number;
  calls: number;
  unpriced: number;
}

/**
 * Prepared queries for the readouts. Every figure comes from an index range over its own
 * window. Unfiltered, any window is cut into whole days, hours and minutes read from the
 * rollups plus at most two partial minutes read from the tape (src/tape/rollups.ts `cover`),
 * so a readout costs the same on 10 million rows as on 10. Filtered, long windows read whole
 * hours from rollup_hour and the edges from the tape. Each statement runs in autocommit: no
 * read transaction stays open between reads.
 */
export class TapeQueries {
  private readonly db: Db;
  private readonly filter: CompiledFilter;
  private readonly fast: boolean;
  private readonly rollupFilter: CompiledFilter | null;
  private readonly rawRange;
  private readonly rawProjects;
  private readonly rollupRange;
  private readonly totalRange;
  private readonly projectBuckets;

  constructor(db: Db, filter: RowFilter = {}) {
    this.db = db;
    this.filter = compileFilter(filter);
    const w = this.filter.sql;
    const has = (t: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(t) !== undefined;
    this.fast = this.filter.empty && has('roll_total') && has('roll_project');
    this.rollupFilter = hasHostFilter(filter) ? null : compileFilter(filter);
    this.rawRange = db.prepare(`SELECT COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS calls,
        COALESCE(SUM(cost_micros IS NULL), 0) AS unpriced
      FROM tape WHERE ts >= ? AND ts < ? AND ${w}`);
    this.rawProjects = db.prepare(`SELECT project, COALESCE(SUM(cost_micros), 0) AS cost
      FROM tape WHERE ts >= ? AND ts < ? AND ${w} GROUP BY project`);
    this.rollupRange = this.rollupFilter
      ? db.prepare(`SELECT COALESCE(SUM(cost_micros), 0) AS cost, COALESCE(SUM(calls), 0) AS calls,
          COALESCE(SUM(unpriced_calls), 0) AS unpriced
        FROM rollup_hour WHERE hour >= ? AND hour < ? AND ${this.rollupFilter.sql}`)
      : null;
    this.totalRange = this.fast
      ? db.prepare(`SELECT COALESCE(SUM(cost_micros), 0) AS cost, COALESCE(SUM(calls), 0) AS calls,
          COALESCE(SUM(unpriced_calls), 0) AS unpriced FROM roll_total WHERE span = ? AND start >= ? AND start < ?`)
      : null;
    const pr = '(span = ? AND start >= ? AND start < ?)';
    this.projectBuckets = this.fast
      ? db.prepare(`SELECT project, SUM(cost_micros) FROM roll_project WHERE ${pr} OR ${pr} OR ${pr} OR ${pr} GROUP BY project`)
      : null;
  }

  /** Cost, calls and unpriced calls with lo < ts <= hi. */
  range(lo: number, hi: number): Sums {
    const sum: Sums = { cost: 0, calls: 0, unpriced: 0 };
    if (hi <= lo) return sum;
    const add = (s: Sums) => {
      sum.cost += s.cost;
      sum.calls += s.calls;
      sum.unpriced += s.unpriced;
    };
    const p = this.filter.params;
    // (lo, hi] is [lo + 1, hi + 1) in whole milliseconds
    if (this.totalRange) {
      const c = cover(lo + 1, hi + 1);
      for (const b of c.buckets) add(this.totalRange.get(b.span, b.from, b.to) as Sums);
      for (const r of c.raw) add(this.rawSums(r.from, r.to));
      return sum;
    }
    const c = this.rollupRange ? cover(lo + 1, hi + 1, [HOUR]) : { buckets: [], raw: [{ from: lo + 1, to: hi + 1 }] };
    for (const b of c.buckets) add(this.rollupRange!.get(b.from, b.to, ...p) as Sums);
    for (const r of c.raw) add(this.rawSums(r.from, r.to));
    return sum;
  }

  /**
   * Sums of the tape itself over [from, to). Within one readoutInputs call the windows that end at
   * `now` share their last partial minute, so it is read once, not once per window.
   */
  private rawSums(from: number, to: number): Sums {
    const key = `${from}:${to}`;
    const hit = this.rawMemo?.get(key);
    if (hit) return hit;
    const s = this.rawRange.get(from, to, ...this.filter.params) as Sums;
    this.rawMemo?.set(key, s);
    return s;
  }

  private rawMemo: Map<string, Sums> | null = null;

  /** Cost per project with lo < ts <= hi: ten-minute and minute buckets, and two partial minutes of tape. */
  projectCosts(lo: number, hi: number): Map<string, number> {
    const out = new Map<string, number>();
    const add = (rows: [string, number][]) => {
      for (const [project, cost] of rows) out.set(project, (out.get(project) ?? 0) + cost);
    };
    const p = this.filter.params;
    if (!this.projectBuckets) {
      add(this.rawProjects.raw().all(lo + 1, hi + 1, ...p) as [string, number][]);
      return out;
    }
    const c = cover(lo + 1, hi + 1, PROJECT_SPANS);
    // one statement for every bucket: (10-minute range) OR (minute ranges on both sides)
    const ranges: number[] = [];
    for (const span of PROJECT_SPANS) {
      const bs = c.buckets.filter((b) => b.span === span);
      for (let i = 0; i < 2; i++) ranges.push(span, bs[i]?.from ?? 0, bs[i]?.to ?? 0);
    }
    add(this.projectBuckets.raw().all(...ranges) as [string, number][]);
    for (const r of c.raw) add(this.rawProjects.raw().all(r.from, r.to, ...p) as [string, number][]);
    return out;
  }

  /** Everything the readouts need at `now`. */
  readoutInputs(now: number, o: ReadoutQueryOptions): ReadoutInputs {
    this.rawMemo = new Map();
    try {
      return this.inputsAt(now, o);
    } finally {
      this.rawMemo = null;
    }
  }

  /**
   * The hour before the last refresh, (now - refresh - 1 h, now - refresh], from the hour up to
   * now: less its last `refresh` ms, plus the `refresh` ms before it began. Exact (integer sums),
   * and two short reads instead of a second hour.
   */
  private hourBefore(cur: ReadonlyMap<string, number>, now: number, refresh: number): Map<string, number> {
    const prev = new Map(cur);
    for (const [project, cost] of this.projectCosts(now - refresh, now)) prev.set(project, (prev.get(project) ?? 0) - cost);
    for (const [project, cost] of this.projectCosts(now - refresh - HOUR, now - HOUR)) prev.set(project, (prev.get(project) ?? 0) + cost);
    return prev;
  }

  private inputsAt(now: number, o: ReadoutQueryOptions): ReadoutInputs {
    const wMs = o.windowSeconds * 1000;
    const s60 = this.range(now - 60_000, now);
    const s15 = this.range(now - MIN15, now);
    const win = wMs === MIN15 ? s15 : wMs === 60_000 ? s60 : this.range(now - wMs, now);
    const refresh = o.topRefreshMs ?? 5000;
    const cur = this.projectCosts(now - HOUR, now);
    const prev = this.hourBefore(cur, now, refresh);
    const names = new Set([...cur.keys(), ...prev.keys()]);
    const projects = [...names].map((project): ProjectCost => ({ project, cost_micros: cur.get(project) ?? 0, prev_cost_micros: prev.get(project) ?? 0 }));
    const month = monthBounds(now);
    const mtd = this.range(month.start - 1, now);
    const trailing = this.range(now - o.budgetRateSeconds * 1000, now);
    return {
      now,
      sum60sMicros: s60.cost,
      sum15mMicros: s15.cost,
      windowSeconds: o.windowSeconds,
      windowMicros: win.cost,
      windowCalls: win.calls,
      projects,
      monthToDateMicros: mtd.cost,
      budgetRateSeconds: o.budgetRateSeconds,
      budgetRateWindowMicros: trailing.cost,
      budgetMicros: o.budgetMicros,
      periods: o.periods ? o.periods(this.db, now, this.filter) : [],
      unpricedCalls: mtd.unpriced,
      ...(o.projectBudgets && Object.keys(o.projectBudgets).length > 0 ? { projectBudgets: this.projectBudgetInputs(now, o.budgetRateSeconds, o.projectBudgets) } : {}),
    };
  }

  private readonly perProject = new Map<string, TapeQueries>();

  /** Month to date and trailing-window cost of each project with a budget (rollup for whole hours). */
  private projectBudgetInputs(now: number, rateSeconds: number, budgets: Readonly<Record<string, number>>): ProjectBudgetInput[] {
    const month = monthBounds(now);
    return Object.keys(budgets)
      .sort()
      .map((project) => {
        let q = this.perProject.get(project);
        if (!q) this.perProject.set(project, (q = new TapeQueries(this.db, { project: [project] })));
        return { project, mtdMicros: q.range(month.start - 1, now).cost, rateWindowMicros: q.range(now - rateSeconds * 1000, now).cost, budgetMicros: budgets[project]! };
      });
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
