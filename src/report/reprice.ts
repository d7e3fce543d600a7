import type { Db } from '../tape/db.js';
import type { PriceBook } from '../pricing/price-book.js';
import { compileFilter, type RowFilter } from '../tape/filter.js';
import { usdMicros } from '../pricing/micros.js';
import { dayLabel } from '../reconcile/amount.js';

export interface RepriceRow {
  day: string;
  provider: string;
  model: string;
  calls: number;
  /** as stored on the tape (priced at insertion) */
  tape_micros: number;
  tape_unpriced: number;
  /** priced again with the other price list */
  repriced_micros: number;
  repriced_unpriced: number;
  diff_micros: number;
}

/**
 * Prices every call in [since, until) again with another price list and sums per UTC day,
 * provider and model. Reads only (the caller opens the tape read-only): no row is touched.
 */
export function reprice(db: Db, book: PriceBook, since: number, until: number, filter: RowFilter = {}, onProgress?: (done: number) => void): RepriceRow[] {
  const f = compileFilter(filter);
  const stmt = db
    .prepare(`SELECT ts, provider, model, input_tok, output_tok, cached_tok, cache_write_tok, cache_write_1h_tok, cost_micros
      FROM tape WHERE ts >= ? AND ts < ? AND ${f.sql}`)
    .raw();
  const rows = new Map<string, RepriceRow>();
  let n = 0;
  for (const r of stmt.iterate(since, until, ...f.params) as Iterable<[number, string, string, number, number, number, number, number, number | null]>) {
    const [ts, provider, model, input_tok, output_tok, cached_tok, cache_write_tok, cache_write_1h_tok, cost] = r;
    const day = dayLabel(ts);
    const key = `${day}\u0000${provider}\u0000${model}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { day, provider, model, calls: 0, tape_micros: 0, tape_unpriced: 0, repriced_micros: 0, repriced_unpriced: 0, diff_micros: 0 }));
    row.calls++;
    if (cost === null) row.tape_unpriced++;
    else row.tape_micros += cost;
    const again = book.cost(provider, model, { input_tok, output_tok, cached_tok, cache_write_tok, cache_write_1h_tok }, new Date(ts));
    if (again === null) row.repriced_unpriced++;
    else row.repriced_micros += again;
    if ((++n & 0xffff) === 0) onProgress?.(n);
  }
  const out = [...rows.values()];
  for (const r of out) r.diff_micros = r.repriced_micros - r.tape_micros;
  return out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : a.model < b.model ? -1 : 1));
}

function pct(diff: number, base: number): string {
  if (base === 0) return diff === 0 ? '0.00%' : 'n/a';
  const p = (diff / base) * 100;
  return `${p > 0 ? '+' : ''}${p.toFixed(2)}%`;
}

export function repriceTable(rows: readonly RepriceRow[], from: string, to: string): string {
  const head = ['day', 'provider', 'model', 'calls', `tape (${from})`, `repriced (${to})`, 'difference', '%'];
  // a day whose calls are all unpriced reads "unpriced", never "$0.000000" beside a count
  const cell = (m: number, unpriced: number, calls: number) =>
    unpriced === 0 ? usdMicros(m) : unpriced === calls ? `unpriced (${unpriced})` : `${usdMicros(m)} + ${unpriced} unpriced`;
  const body = rows.map((r) => [r.day, r.provider, r.model, String(r.calls), cell(r.tape_micros, r.tape_unpriced, r.calls),
    cell(r.repriced_micros, r.repriced_unpriced, r.calls), usdMicros(r.diff_micros), pct(r.diff_micros, r.tape_micros)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  const tape = rows.reduce((s, r) => s + r.tape_micros, 0);
  const again = rows.reduce((s, r) => s + r.repriced_micros, 0);
  return [fmt(head), ...body.map(fmt), '', `total: tape ${usdMicros(tape)}, repriced ${usdMicros(again)}, difference ${usdMicros(again - tape)} (${pct(again - tape, tape)}); no row was changed`].join('\n') + '\n';
}
