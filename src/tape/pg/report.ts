/**
 * `tape report --db postgres://...`: the same hourly rollup rows as the local report reads,
 * from the central rollup (which also carries `host`, so --host works here).
 */
import pg from 'pg';
import type { RowFilter } from '../filter.js';
import { ROLLUP_GROUPS, type RollupGroup, type RollupGroupRow } from '../report-rows.js';
import { TapeError, ExitCode } from '../../errors.js';
import { parsePgUrl } from './connect.js';
import { classifyPgError } from './errors.js';
import { pgFilter } from './filter.js';
import { requireCentral } from './schema.js';


/** Rollup sums per hour and group over whole hours [lo, hi), oldest first. */
export async function centralRollup(url: string, lo: number, hi: number, group: RollupGroup, filter: RowFilter, env: Readonly<Record<string, string | undefined>> = process.env): Promise<RollupGroupRow[]> {
  if (!ROLLUP_GROUPS.includes(group)) throw new TapeError(`cannot group by ${String(group)}`, ExitCode.usage);
  const target = parsePgUrl(url, env, 'tape report');
  const f = pgFilter(filter, 2);
  const c = new pg.Client(target.config);
  c.on('error', () => undefined);
  try {
    await c.connect();
    await requireCentral(c, target.redacted);
    const r = await c.query(`SELECT hour, ${group} AS grp, SUM(cost_micros) AS cost, SUM(calls) AS calls, SUM(unpriced_calls) AS unpriced,
        SUM(error_calls) AS errors, SUM(flagged_calls) AS flagged, SUM(input_tok) AS input, SUM(output_tok) AS output,
        SUM(cached_tok) AS cached, SUM(cache_write_tok) AS writes
      FROM rollup_hour WHERE hour >= $1 AND hour < $2 AND ${f.sql} GROUP BY hour, grp ORDER BY hour`, [lo, hi, ...f.params]);
    return r.rows.map((row: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) out[k] = k === 'grp' ? v : Number(v);
      return out as unknown as RollupGroupRow;
    });
  } catch (err) {
    if (err instanceof TapeError) throw err;
    const fail = classifyPgError(err, target);
    throw new TapeError(`reading the central tape ${target.redacted} failed: ${fail.message}`, fail.transient ? ExitCode.unavailable : ExitCode.failure);
  } finally {
    await c.end().catch(() => undefined);
  }
}
