import type { Db } from './db.js';

/**
 * Derived tables the writer keeps in the same transaction as each append. The tape never
 * changes, so they never go stale. Readouts read them instead of the rows:
 *
 * - rollup_hour (hour x project x provider x model): reports, reconcile, filtered readouts;
 * - roll_total (minute, hour and day totals): any unfiltered range costs a few dozen bucket
 *   rows plus two partial minutes of tape, whatever the tape's size;
 * - roll_project (10-minute and minute sums per project): the top-n of the last hour reads at
 *   most 5 ten-minute and 18 one-minute buckets per project, plus two partial minutes of tape.
 */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const TEN_MINUTES = 600_000;
/** span of each roll_total level, coarsest first */
export const TOTAL_SPANS = [DAY, HOUR, MINUTE] as const;
/** span of each roll_project level, coarsest first */
export const PROJECT_SPANS = [TEN_MINUTES, MINUTE] as const;

/** Created (and filled from the tape) by migration 3. */
export const FAST_ROLLUPS_SQL = `
CREATE TABLE roll_total (
  span           INTEGER NOT NULL,
  start          INTEGER NOT NULL,
  calls          INTEGER NOT NULL,
  cost_micros    INTEGER NOT NULL,
  unpriced_calls INTEGER NOT NULL,
  PRIMARY KEY (span, start)
) WITHOUT ROWID;
CREATE TABLE roll_project (
  span        INTEGER NOT NULL,
  start       INTEGER NOT NULL,
  project     TEXT    NOT NULL,
  calls       INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  PRIMARY KEY (span, start, project)
) WITHOUT ROWID;
INSERT INTO roll_total (span, start, calls, cost_micros, unpriced_calls)
  SELECT ${DAY}, ts - ts % ${DAY}, count(*), COALESCE(SUM(cost_micros), 0), SUM(cost_micros IS NULL) FROM tape GROUP BY 2;
INSERT INTO roll_total (span, start, calls, cost_micros, unpriced_calls)
  SELECT ${HOUR}, ts - ts % ${HOUR}, count(*), COALESCE(SUM(cost_micros), 0), SUM(cost_micros IS NULL) FROM tape GROUP BY 2;
INSERT INTO roll_total (span, start, calls, cost_micros, unpriced_calls)
  SELECT ${MINUTE}, ts - ts % ${MINUTE}, count(*), COALESCE(SUM(cost_micros), 0), SUM(cost_micros IS NULL) FROM tape GROUP BY 2;
INSERT INTO roll_project (span, start, project, calls, cost_micros)
  SELECT ${TEN_MINUTES}, ts - ts % ${TEN_MINUTES}, project, count(*), COALESCE(SUM(cost_micros), 0) FROM tape GROUP BY 2, 3;
INSERT INTO roll_project (span, start, project, calls, cost_micros)
  SELECT ${MINUTE}, ts - ts % ${MINUTE}, project, count(*), COALESCE(SUM(cost_micros), 0) FROM tape GROUP BY 2, 3;
`;

const HOUR_SQL = `INSERT INTO rollup_hour (hour, project, provider, model, calls, cost_micros, unpriced_calls, error_calls,
  flagged_calls, input_tok, output_tok, cached_tok, cache_write_tok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (hour, project, provider, model) DO UPDATE SET
    calls = calls + excluded.calls, cost_micros = cost_micros + excluded.cost_micros,
    unpriced_calls = unpriced_calls + excluded.unpriced_calls, error_calls = error_calls + excluded.error_calls,
    flagged_calls = flagged_calls + excluded.flagged_calls, input_tok = input_tok + excluded.input_tok,
    output_tok = output_tok + excluded.output_tok, cached_tok = cached_tok + excluded.cached_tok,
    cache_write_tok = cache_write_tok + excluded.cache_write_tok`;
const TOTAL_SQL = `INSERT INTO roll_total (span, start, calls, cost_micros, unpriced_calls) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (span, start) DO UPDATE SET calls = calls + excluded.calls,
    cost_micros = cost_micros + excluded.cost_micros, unpriced_calls = unpriced_calls + excluded.unpriced_calls`;
const PROJECT_SQL = `INSERT INTO roll_project (span, start, project, calls, cost_micros) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (span, start, project) DO UPDATE SET calls = calls + excluded.calls, cost_micros = cost_micros + excluded.cost_micros`;

/** What the rollups need of a row. */
export interface RollupRow {
  readonly ts: number;
  readonly project: string;
  readonly provider: string;
  readonly model: string;
  readonly cost: number | null;
  readonly status: number;
  readonly flags: number;
  readonly input_tok: number;
  readonly output_tok: number;
  readonly cached_tok: number;
  readonly cache_write_tok: number;
}

/**
 * Room for ids in a numeric bucket key. A batch meets at most as many distinct tuples as it has
 * rows, and the writer starts a new RollupBatch every ROLLUP_ROWS rows; with ts below the year
 * 10000 (validate.ts) every key stays below 2^53.
 */
const KEY_ROOM = 2 ** 19;
export const ROLLUP_ROWS = KEY_ROOM;

/** [hour, project, provider, model, calls, cost, unpriced, errors, flagged, in, out, cached, writes] */
type HourBucket = [number, string, string, string, number, number, number, number, number, number, number, number, number];
/** [span, start, calls, cost, unpriced] */
type TotalBucket = [number, number, number, number, number];
/** [span, start, project, calls, cost] */
type ProjectBucket = [number, number, string, number, number];

/**
 * Sums one transaction's rows per bucket, then writes one upsert per bucket. Keys are numbers,
 * not strings built per row: each (project, provider, model) and each project gets a small id
 * the first time the batch meets it, and a bucket's key is (start / span) * 2^19 + id (exact:
 * below 2^53 for any time the tape accepts). Building a string key per row and bucket cost a fifth
 * of the append rate, most of it in the garbage collector.
 */
export class RollupBatch {
  private readonly hours = new Map<number, HourBucket>();
  private readonly totals = new Map<number, TotalBucket>();
  private readonly projects = new Map<number, ProjectBucket>();
  /** project -> provider -> model -> id */
  private readonly tupleIds = new Map<string, Map<string, Map<string, number>>>();
  private readonly projectIds = new Map<string, number>();
  private nextTuple = 0;

  private tupleId(project: string, provider: string, model: string): number {
    let byProvider = this.tupleIds.get(project);
    if (!byProvider) this.tupleIds.set(project, (byProvider = new Map()));
    let byModel = byProvider.get(provider);
    if (!byModel) byProvider.set(provider, (byModel = new Map()));
    let id = byModel.get(model);
    if (id === undefined) byModel.set(model, (id = this.nextTuple++));
    return id;
  }

  /** rows added so far */
  rows = 0;

  add(r: RollupRow): void {
    this.rows++;
    const hour = r.ts - (r.ts % HOUR);
    const hk = (hour / HOUR) * KEY_ROOM + this.tupleId(r.project, r.provider, r.model);
    let h = this.hours.get(hk);
    if (!h) this.hours.set(hk, (h = [hour, r.project, r.provider, r.model, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const cost = r.cost ?? 0;
    const unpriced = r.cost === null ? 1 : 0;
    h[4] += 1;
    h[5] += cost;
    h[6] += unpriced;
    if (r.status >= 400) h[7] += 1;
    if (r.flags !== 0) h[8] += 1;
    h[9] += r.input_tok;
    h[10] += r.output_tok;
    h[11] += r.cached_tok;
    h[12] += r.cache_write_tok;
    for (let level = 0; level < TOTAL_SPANS.length; level++) {
      const span = TOTAL_SPANS[level]!;
      const start = r.ts - (r.ts % span);
      // the key folds the level in: starts of different spans never collide (a span divides its start)
      const key = start * 4 + level;
      let t = this.totals.get(key);
      if (!t) this.totals.set(key, (t = [span, start, 0, 0, 0]));
      t[2] += 1;
      t[3] += cost;
      t[4] += unpriced;
    }
    let pid = this.projectIds.get(r.project);
    if (pid === undefined) this.projectIds.set(r.project, (pid = this.projectIds.size));
    for (let level = 0; level < PROJECT_SPANS.length; level++) {
      const span = PROJECT_SPANS[level]!;
      const start = r.ts - (r.ts % span);
      // the level in the low bit of the bucket number: a 10-minute and a minute bucket never share a key
      const pk = ((start / span) * 2 + level) * KEY_ROOM + pid;
      let p = this.projects.get(pk);
      if (!p) this.projects.set(pk, (p = [span, start, r.project, 0, 0]));
      p[3] += 1;
      p[4] += cost;
    }
  }

  /** Writes the sums; call inside the transaction that inserted the rows. */
  write(stmts: RollupStatements): void {
    for (const b of this.hours.values()) stmts.hour.run(b);
    for (const b of this.totals.values()) stmts.total.run(b);
    for (const b of this.projects.values()) stmts.project.run(b);
  }
}

export type RollupStatements = ReturnType<typeof prepareRollups>;

export function prepareRollups(db: Db) {
  return { hour: db.prepare(HOUR_SQL), total: db.prepare(TOTAL_SQL), project: db.prepare(PROJECT_SQL) };
}

/** A half-open ms range [a, b) cut into whole buckets of the coarsest spans that fit, and raw edges. */
export interface Cover {
  readonly buckets: { readonly span: number; readonly from: number; readonly to: number }[];
  readonly raw: { readonly from: number; readonly to: number }[];
}

/**
 * Covers [a, b) with as few buckets as possible: whole days in the middle, whole hours and
 * minutes toward the edges, and at most two partial minutes read from the tape itself.
 */
export function cover(a: number, b: number, spans: readonly number[] = TOTAL_SPANS): Cover {
  const out: Cover = { buckets: [], raw: [] };
  const walk = (from: number, to: number, level: number): void => {
    if (from >= to) return;
    const span = spans[level];
    if (span === undefined) {
      out.raw.push({ from, to });
      return;
    }
    const A = Math.ceil(from / span) * span;
    const B = Math.floor(to / span) * span;
    if (A >= B) {
      walk(from, to, level + 1);
      return;
    }
    walk(from, A, level + 1);
    out.buckets.push({ span, from: A, to: B });
    walk(B, to, level + 1);
  };
  walk(a, b, 0);
  return out;
}
