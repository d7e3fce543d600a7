/**
 * The variance band over the central tape: the same periods as invoicePeriods (./periods.ts) reads
 * from a local tape, from the central invoice_rollup and the central rollup_hour/rows. For a
 * TapeSource over PostgreSQL to fill `variance` in the readouts, as the local one does.
 */
import type pg from 'pg';
import { hasHostFilter, type RowFilter } from '../tape/filter.js';
import { pgFilter } from '../tape/pg/filter.js';
import type { ReconciledPeriod } from '../readouts/types.js';
import { BAND_ROWS_LIMIT, bandPeriods, bandSpans, type PeriodRow } from './periods.js';
import { centralTapeSums } from './central.js';

const BILLS = ['project', 'model', 'provider'];

/**
 * Reconciled periods for the band, oldest first; empty until bills are imported with
 * `tape reconcile --db postgres://...`. A filter naming a host is not applied (bills name no
 * host), as locally. `priceListMs`: when the reader's price list was fetched, when known.
 */
export async function centralInvoicePeriods(q: Pick<pg.Client, 'query'>, now: number, filter: RowFilter = {}, priceListMs: number | null = null): Promise<ReconciledPeriod[]> {
  const f = hasHostFilter(filter) ? pgFilter({}, 1, BILLS) : pgFilter(filter, 1, BILLS);
  const r = await q.query(`SELECT provider, format, start_ms, end_ms, SUM(billed_micros) AS billed, SUM(calls) AS calls, SUM(lines) AS lines,
      MIN(first_call_ms) AS first_call, MAX(last_call_ms) AS last_call
    FROM invoice_rollup WHERE start_ms <= $1 AND ${f.sql}
    GROUP BY provider, format, start_ms, end_ms ORDER BY start_ms DESC, provider COLLATE "C", format COLLATE "C", end_ms LIMIT ${BAND_ROWS_LIMIT}`, [now, ...f.params]);
  const n = (v: unknown) => (v === null ? null : Number(v));
  const rows: PeriodRow[] = r.rows.map((x: Record<string, unknown>) => ({
    provider: String(x.provider), format: String(x.format), start_ms: Number(x.start_ms), end_ms: Number(x.end_ms),
    billed: Number(x.billed), calls: Number(x.calls), lines: Number(x.lines), first_call: n(x.first_call), last_call: n(x.last_call),
  }));
  const spans = bandSpans(rows, now);
  const tape = hasHostFilter(filter) ? pgFilter({}, 3, BILLS) : pgFilter(filter, 3, BILLS);
  const sums = [];
  for (const s of spans) sums.push(await centralTapeSums(q, s.row.provider, s.lo, s.hi, tape));
  return bandPeriods(spans, sums, priceListMs);
}
