/**
 * What `tape report` reads: sums per whole hour and group, from the local tape here and from
 * the central tape in ./pg/report.ts. Both backends give the same rows; src/report aggregates them.
 */
import type { Db } from './db.js';
import { compileFilter, hasHostFilter, type RowFilter } from './filter.js';
import { HOUR } from './rollups.js';
import { TapeError, ExitCode } from '../errors.js';

export type RollupGroup = 'project' | 'model' | 'provider' | 'host';
export const ROLLUP_GROUPS: readonly RollupGroup[] = ['project', 'model', 'provider', 'host'];

/** One hour of one group: money in micro-USD (priced calls only), unpriced calls apart. */
export interface RollupGroupRow {
  readonly hour: number;
  readonly grp: string;
  readonly cost: number;
  readonly calls: number;
  readonly unpriced: number;
  readonly errors: number;
  readonly flagged: number;
  readonly input: number;
  readonly output: number;
  readonly cached: number;
  readonly writes: number;
}

/**
 * Sums per hour and group over whole hours [lo, hi), oldest first, from a local tape. The local
 * rollup has no host column: grouped or filtered by host, the rows themselves are summed (a scan
 * of the range; a local tape rarely holds more than one host).
 */
export function localRollup(db: Db, lo: number, hi: number, group: RollupGroup, filter: RowFilter = {}): RollupGroupRow[] {
  if (!ROLLUP_GROUPS.includes(group)) throw new TapeError(`cannot group by ${String(group)}`, ExitCode.usage);
  const f = compileFilter(filter);
  const stmt = group === 'host' || hasHostFilter(filter)
    ? db.prepare(`SELECT ts - ts % ${HOUR} AS hour, ${group} AS grp, COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS calls,
          SUM(cost_micros IS NULL) AS unpriced, SUM(status >= 400) AS errors, SUM(flags != 0) AS flagged,
          SUM(input_tok) AS input, SUM(output_tok) AS output, SUM(cached_tok) AS cached, SUM(cache_write_tok) AS writes
        FROM tape WHERE ts >= ? AND ts < ? AND ${f.sql} GROUP BY hour, grp ORDER BY hour`)
    : db.prepare(`SELECT hour, ${group} AS grp, SUM(cost_micros) AS cost, SUM(calls) AS calls, SUM(unpriced_calls) AS unpriced,
          SUM(error_calls) AS errors, SUM(flagged_calls) AS flagged, SUM(input_tok) AS input, SUM(output_tok) AS output,
          SUM(cached_tok) AS cached, SUM(cache_write_tok) AS writes
        FROM rollup_hour WHERE hour >= ? AND hour < ? AND ${f.sql} GROUP BY hour, grp ORDER BY hour`);
  return stmt.all(lo, hi, ...f.params) as RollupGroupRow[];
}
