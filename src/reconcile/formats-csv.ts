import { InputError, headerMap, readCsv, type CsvRecord } from './csv.js';
import { amountMicros, clean, dayOf, DAY_MS, timeOf } from './amount.js';
import type { BilledLine, FormatId, ParsedBill } from './types.js';

/**
 * The CSV bills, detected by their header row (names compared lower-cased):
 * - Anthropic Console cost export (Console > Cost > Export): `usage_date_utc`, `model`
 *   (display name, "Claude Haiku 4.5"), `workspace`, `api_key`, `usage_type`, `context_window`,
 *   `token_type`, `cost_usd` (dollars), `list_price_usd`, `cost_type`, `inference_geo`, `speed`.
 * - OpenAI dashboard cost export (Usage > Cost > Export): either `amount_value`,
 *   `amount_currency` with `start_time` (Unix s or ISO) or `usage_date_utc`, optional `line_item`,
 *   `project_id` / `project_name`; or line items `usage_date_utc`, `model`, `usage_type`, `cost_usd`.
 *   A day with no cost is exported as a row with only its times (amount and currency empty): the
 *   bill then says "nothing" for that day, and the day is still compared.
 * - OpenRouter activity export: one row per generation, `generation_id` (or `id`), `created_at`,
 *   `cost_total` (or `total_cost`, `cost`, `usage`; dollars), `model_permaslug` (or `model`).
 * - Generic (documented in fixtures/reconcile/README.md): `date` (YYYY-MM-DD, one UTC day) or
 *   `period_start` + `period_end` (ISO, end exclusive), `provider`, `model`, optional `project`
 *   or `workspace`, `request_id`, `currency` (USD only), and `cost_usd` / `cost` (dollars) or
 *   `cost_cents` (cents).
 */

type Cols = Map<string, number>;

function col(h: Cols, ...names: string[]): number {
  for (const n of names) {
    const i = h.get(n);
    if (i !== undefined) return i;
  }
  return -1;
}

function has(h: Cols, ...names: string[]): boolean {
  return col(h, ...names) >= 0;
}

export function detectCsv(h: Cols): FormatId | null {
  if (has(h, 'generation_id') || (has(h, 'id') && has(h, 'created_at') && has(h, 'cost_total', 'total_cost'))) return 'openrouter-csv';
  if (has(h, 'usage_date_utc') && has(h, 'cost_usd') && has(h, 'token_type')) return 'anthropic-console-csv';
  if (has(h, 'amount_value') || (has(h, 'cost_usd') && has(h, 'usage_type') && has(h, 'model'))) return 'openai-dashboard-csv';
  if (has(h, 'provider') && has(h, 'model') && has(h, 'date', 'period_start') && has(h, 'cost_usd', 'cost', 'cost_cents')) return 'generic-csv';
  return null;
}

/** Reads one record's cells with positions for messages. */
class Row {
  constructor(readonly r: CsvRecord, readonly h: Cols) {}
  idx(...names: string[]): number {
    return col(this.h, ...names);
  }
  text(...names: string[]): string {
    const i = this.idx(...names);
    return i < 0 ? '' : clean(this.r.fields[i]!);
  }
  fail(i: number, why: string): never {
    throw new InputError(...this.r.position(Math.max(0, i)), why);
  }
  need(...names: string[]): string {
    const i = this.idx(...names);
    const v = i < 0 ? '' : clean(this.r.fields[i]!);
    if (v === '') this.fail(i, `${names[0]} is empty`);
    return v;
  }
  money(cents: boolean, ...names: string[]): number {
    const i = this.idx(...names);
    const m = amountMicros(i < 0 ? '' : this.r.fields[i]!, cents ? 100 : 1);
    if (typeof m === 'string') this.fail(i, `${names[i < 0 ? 0 : names.findIndex((n) => this.h.get(n) === i)]}: ${m}`);
    return m;
  }
  when(...names: string[]): number {
    const i = this.idx(...names);
    const raw = i < 0 ? '' : this.r.fields[i]!;
    const t = timeOf(raw, /^\s*\d{9,11}\s*$/.test(raw));
    if (t === null) this.fail(i, `"${clean(raw)}" is not a date or time (expected YYYY-MM-DD or RFC 3339, UTC)`);
    return t;
  }
  currency(): void {
    const i = this.idx('currency', 'amount_currency');
    if (i < 0) return;
    const c = this.r.fields[i]!.trim();
    if (c !== '' && c.toUpperCase() !== 'USD') this.fail(i, `currency "${clean(c)}" is not USD; only USD bills are reconciled`);
  }
}

function dayLine(t: number): [number, number] {
  const d = dayOf(t);
  return [d, d + DAY_MS];
}

/** A bill line, or the period of a row that bills nothing (still covered by the bill). */
type Made = BilledLine | { readonly provider: string; readonly empty: readonly [number, number] };

const MAKERS: Record<string, (w: Row) => Made> = {
  'anthropic-console-csv': (w) => {
    const [s, e] = dayLine(w.when('usage_date_utc'));
    const item = ['usage_type', 'cost_type', 'token_type', 'context_window', 'api_key', 'api_key_id', 'inference_geo', 'speed'].map((k) => w.text(k)).join('|');
    return { line: w.r.line, start_ms: s, end_ms: e, provider: 'anthropic', model: w.text('model'), project: w.text('workspace'), item, request_id: null, cost_micros: w.money(false, 'cost_usd') };
  },
  'openai-dashboard-csv': (w) => {
    w.currency();
    const [s, e] = dayLine(w.when('usage_date_utc', 'start_time_iso', 'start_time', 'date'));
    if (w.idx('amount_value') >= 0 && w.text('amount_value') === '' && w.text('amount_currency') === '' && w.text('line_item') === '') return { provider: 'openai', empty: [s, e] };
    const lineItem = w.text('line_item');
    const comma = lineItem.lastIndexOf(',');
    const model = w.text('model') || (comma > 0 ? lineItem.slice(0, comma).trim() : '');
    const cost = w.idx('amount_value') >= 0 ? w.money(false, 'amount_value') : w.money(false, 'cost_usd');
    const item = [lineItem, w.text('usage_type'), w.text('api_key_id'), w.text('project_id')].join('|');
    return { line: w.r.line, start_ms: s, end_ms: e, provider: 'openai', model, project: w.text('project_name', 'project_id'), item, request_id: null, cost_micros: cost };
  },
  'openrouter-csv': (w) => {
    const t = w.when('created_at');
    const id = w.need('generation_id', 'id');
    const cost = w.money(false, 'cost_total', 'total_cost', 'cost', 'usage');
    return { line: w.r.line, start_ms: t, end_ms: t + 1, provider: 'openrouter', model: w.text('model_permaslug', 'model'), project: '', item: '', request_id: id, cost_micros: cost };
  },
  'generic-csv': (w) => {
    w.currency();
    let s: number;
    let e: number;
    if (w.idx('date') >= 0) [s, e] = dayLine(w.when('date'));
    else {
      s = w.when('period_start');
      e = w.when('period_end');
      if (e <= s) w.fail(w.idx('period_end'), 'period_end must be after period_start (it is exclusive)');
    }
    const cents = w.idx('cost_usd', 'cost') < 0;
    const cost = cents ? w.money(true, 'cost_cents') : w.money(false, 'cost_usd', 'cost');
    const rid = w.text('request_id');
    const provider = w.need('provider').toLowerCase();
    return { line: w.r.line, start_ms: s, end_ms: e, provider, model: w.text('model'), project: w.text('project', 'workspace'), item: w.text('item', 'description'), request_id: rid || null, cost_micros: cost };
  },
};

/** Parses a whole CSV bill (validating every record first: nothing is returned from a bad file). */
export function parseCsvBill(text: string, forced: FormatId | null): ParsedBill {
  let h: Cols | null = null;
  let format: FormatId | null = forced;
  const lines: BilledLine[] = [];
  const days = new Map<string, { provider: string; day: number }>();
  let lastDay = -Infinity;
  let lastProvider = '';
  readCsv(text, (r) => {
    if (!h) {
      h = headerMap(r);
      format ??= detectCsv(h);
      if (!format) throw new InputError(r.line, 1, 'unknown CSV export: the header matches no known bill (see `tape reconcile --help` for the formats, or use the generic CSV)');
      if (!MAKERS[format]) throw new InputError(r.line, 1, `--format ${format} is a JSON format, but the file is CSV`);
      return;
    }
    const made = MAKERS[format!]!(new Row(r, h));
    if ('empty' in made) {
      const [s, e] = made.empty;
      for (let d = dayOf(s); d < e; d += DAY_MS) days.set(`${made.provider}\u0000${d}`, { provider: made.provider, day: d });
      return;
    }
    const line = made;
    if (line.cost_micros < 0 && format === 'openrouter-csv') throw new InputError(...r.position(col(h, 'cost_total', 'total_cost', 'cost', 'usage')), 'a negative cost for a generation');
    lines.push(line);
    if (line.start_ms >= lastDay && line.end_ms <= lastDay + DAY_MS && line.provider === lastProvider) return; // same day as the line before
    lastDay = dayOf(line.start_ms);
    lastProvider = line.provider;
    for (let d = dayOf(line.start_ms); d < line.end_ms; d += DAY_MS) days.set(`${line.provider}\u0000${d}`, { provider: line.provider, day: d });
  });
  if (!format) throw new InputError(1, 1, 'the file is empty');
  return { format, lines, coverage: [...days.values()] };
}
