import type { Db } from '../tape/db.js';
import type { CompiledFilter } from '../tape/filter.js';
import type { ReconciledPeriod } from '../readouts/types.js';
import { DAY_MS, dayLabel } from './amount.js';
import { hasInvoices, pickFormat } from './store.js';
import { TapeSide, type TapeSum } from './tape-side.js';

/** How many reconciled periods the band looks back over (newest kept). */
export const BAND_PERIODS = 30;

/** The billed side of one provider's period in one format (summed over models and projects). */
export interface PeriodRow {
  provider: string;
  format: string;
  start_ms: number;
  end_ms: number;
  billed: number;
  calls: number;
  lines: number;
  first_call: number | null;
  last_call: number | null;
}

/** The meta key `tape prices update` sets: when the price list in force was fetched (ISO). */
export const PRICES_FETCHED_KEY = 'prices_fetched_at';

function priceListMs(db: Db): number | null {
  try {
    const v = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(PRICES_FETCHED_KEY) as string | undefined;
    const t = v ? Date.parse(v) : NaN;
    return Number.isNaN(t) ? null : t;
  } catch {
    return null;
  }
}

/** The likely cause of a gap, from what the tape itself knows about the period. */
export function likelyCause(tape: number, billed: number, unpriced: number, flagged: number, start: number, priceMs: number | null): string | null {
  if (tape === billed) return null;
  if (unpriced > 0) return `${unpriced} unpriced call${unpriced === 1 ? '' : 's'} on the tape`;
  if (flagged > 0 && tape < billed) return `${flagged} call${flagged === 1 ? '' : 's'} with usage missing or cut`;
  if (priceMs !== null && priceMs < start) return `price list (${dayLabel(priceMs)}) older than the period`;
  if (tape < billed) return 'billed calls missing from the tape';
  return 'tape above the bill (unbilled calls or stale prices)';
}

/** One provider's period on the band, with the tape span to sum against it. */
export interface BandSpan {
  readonly row: PeriodRow;
  readonly lo: number;
  readonly hi: number;
}

/** How many billed rows (provider x format x period, newest first) the band reads. */
export const BAND_ROWS_LIMIT = BAND_PERIODS * 8;

/** Picks one format per provider and period and the tape span each is compared over (pure). */
export function bandSpans(rows: readonly PeriodRow[], now: number): BandSpan[] {
  const byPeriod = new Map<string, PeriodRow[]>();
  for (const r of rows) {
    const k = `${r.provider}\u0000${r.start_ms}\u0000${r.end_ms}`;
    let list = byPeriod.get(k);
    if (!list) byPeriod.set(k, (list = []));
    list.push(r);
  }
  const out: BandSpan[] = [];
  for (const list of byPeriod.values()) {
    const format = pickFormat(list.map((r) => r.format));
    const r = list.find((x) => x.format === format)!;
    const perCall = r.calls === r.lines && r.first_call !== null;
    const lo = perCall ? r.first_call! : r.start_ms;
    const hi = perCall ? Math.min(r.last_call! + 1, now + 1) : Math.min(r.end_ms, now + 1);
    out.push({ row: r, lo, hi });
  }
  return out;
}

/** The band's periods from the spans and the tape sums read for each (pure), oldest first. */
export function bandPeriods(spans: readonly BandSpan[], sums: readonly (readonly TapeSum[])[], priceMs: number | null): ReconciledPeriod[] {
  const out: ReconciledPeriod[] = spans.map(({ row: r }, i) => {
    let tape = 0;
    let unpriced = 0;
    let flagged = 0;
    for (const s of sums[i]!) {
      tape += s.cost;
      unpriced += s.unpriced;
      flagged += s.flagged;
    }
    const label = r.end_ms - r.start_ms === DAY_MS ? `${dayLabel(r.start_ms)} ${r.provider}` : `${dayLabel(r.start_ms)}..${dayLabel(r.end_ms - 1)} ${r.provider}`;
    return { start_ms: r.start_ms, end_ms: r.end_ms, label, tape_micros: tape, billed_micros: r.billed, cause: likelyCause(tape, r.billed, unpriced, flagged, r.start_ms, priceMs) };
  });
  out.sort((a, b) => a.start_ms - b.start_ms || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return out.slice(-BAND_PERIODS);
}

/** A row filter naming a host cannot apply to bills (they name no host): the band then reads everything. */
export function bandFilterUsable(filter: { readonly sql: string }): boolean {
  return !filter.sql.includes('host');
}

/**
 * Reconciled periods for the variance band: what the tape says against what was billed, per
 * period x provider, oldest first. Empty until invoices have been imported (`tape reconcile`),
 * and on a v1 tape (no invoice tables). Reads the two rollups only, never the lines.
 * (The central tape's twin is centralInvoicePeriods in ./central-periods.ts.)
 */
export function invoicePeriods(db: Db, now: number, filter: CompiledFilter): ReconciledPeriod[] {
  if (!hasInvoices(db)) return [];
  const usable = bandFilterUsable(filter);
  const where = usable ? filter.sql : '1';
  const params = usable ? filter.params : [];
  const rows = db
    .prepare(`SELECT provider, format, start_ms, end_ms, SUM(billed_micros) AS billed, SUM(calls) AS calls, SUM(lines) AS lines,
        MIN(first_call_ms) AS first_call, MAX(last_call_ms) AS last_call
      FROM invoice_rollup WHERE start_ms <= ? AND ${where}
      GROUP BY provider, format, start_ms, end_ms ORDER BY start_ms DESC LIMIT ?`)
    .all(now, ...params, BAND_ROWS_LIMIT) as PeriodRow[];
  const side = new TapeSide(db, where, params);
  const spans = bandSpans(rows, now);
  return bandPeriods(spans, spans.map((s) => side.sums(s.row.provider, s.lo, s.hi)), priceListMs(db));
}
