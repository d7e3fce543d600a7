import type { Db } from '../tape/db.js';
import { microsToUsd } from '../pricing/micros.js';
import type { RowFilter } from '../tape/filter.js';
import { localRollup, type RollupGroup, type RollupGroupRow } from '../tape/report-rows.js';

export type ReportBy = 'day' | 'week' | 'month';
export type ReportGroup = RollupGroup;

export interface ReportRow {
  period: string;
  group: string;
  /** priced cost only: unpriced calls are counted apart, never as zero */
  cost_micros: number;
  calls: number;
  unpriced_calls: number;
  error_calls: number;
  flagged_calls: number;
  input_tok: number;
  output_tok: number;
  cached_tok: number;
  cache_write_tok: number;
}

const HOUR = 3_600_000;

/** Offset from UTC (ms) of a zone at a moment: "+02:00" style fixed offsets or IANA names. */
export function zoneOffset(tz: string): (ms: number) => number {
  if (tz === 'UTC' || tz === 'Z') return () => 0;
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (fixed) {
    const off = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
    return () => off;
  }
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  return (ms) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const local = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
    return local - Math.floor(ms / 60_000) * 60_000;
  };
}

/** The period label of an hour, in the report's zone. Weeks start on Monday and are named by that day. */
export function periodLabel(hourMs: number, by: ReportBy, offset: (ms: number) => number): string {
  const local = new Date(hourMs + offset(hourMs));
  if (by === 'month') return local.toISOString().slice(0, 7);
  if (by === 'week') {
    const dow = (local.getUTCDay() + 6) % 7;
    return `${new Date(local.getTime() - dow * 86_400_000).toISOString().slice(0, 10)} (week)`;
  }
  return local.toISOString().slice(0, 10);
}

/** The whole hours a report over [since, until) reads: since rounded down, until up, to the hour. */
export function reportHours(since: number, until: number): [number, number] {
  return [Math.floor(since / HOUR) * HOUR, Math.ceil(until / HOUR) * HOUR];
}

/**
 * Cost, calls, tokens, errors and unpriced calls per period and group, from hourly sums (local
 * rollup or central rollup: the same rows, the same report). Sorted by period, then cost
 * (highest first), then group.
 */
export function aggregateReport(hours: Iterable<RollupGroupRow>, by: ReportBy, tz: string): ReportRow[] {
  const offset = zoneOffset(tz);
  const rows = new Map<string, ReportRow>();
  for (const r of hours) {
    const period = periodLabel(r.hour, by, offset);
    const key = `${period}\u0000${r.grp}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { period, group: r.grp, cost_micros: 0, calls: 0, unpriced_calls: 0, error_calls: 0, flagged_calls: 0, input_tok: 0, output_tok: 0, cached_tok: 0, cache_write_tok: 0 }));
    row.cost_micros += r.cost;
    row.calls += r.calls;
    row.unpriced_calls += r.unpriced;
    row.error_calls += r.errors;
    row.flagged_calls += r.flagged;
    row.input_tok += r.input;
    row.output_tok += r.output;
    row.cached_tok += r.cached;
    row.cache_write_tok += r.writes;
  }
  return [...rows.values()].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : b.cost_micros - a.cost_micros || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)));
}

/** The report over a local tape, over [since, until) in whole hours. */
export function buildReport(db: Db, since: number, until: number, by: ReportBy, group: ReportGroup, tz: string, filter: RowFilter = {}): ReportRow[] {
  const [lo, hi] = reportHours(since, until);
  return aggregateReport(localRollup(db, lo, hi, group, filter), by, tz);
}

const COLS = ['period', 'group', 'cost_usd', 'calls', 'unpriced_calls', 'error_calls', 'flagged_calls', 'input_tok', 'output_tok', 'cached_tok', 'cache_write_tok'] as const;

function cells(r: ReportRow): string[] {
  return [r.period, r.group, microsToUsd(r.cost_micros), ...[r.calls, r.unpriced_calls, r.error_calls, r.flagged_calls, r.input_tok, r.output_tok, r.cached_tok, r.cache_write_tok].map(String)];
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(rows: readonly ReportRow[]): string {
  return [COLS.join(','), ...rows.map((r) => cells(r).map(csvCell).join(','))].join('\r\n') + '\r\n';
}

export function reportJson(rows: readonly ReportRow[]): string {
  return rows.map((r) => JSON.stringify({ type: 'report_row', ...r, cost_usd: microsToUsd(r.cost_micros) })).join('\n') + (rows.length ? '\n' : '');
}

/** A readable table: cost with the unpriced calls beside it, never folded into zero. */
export function reportTable(rows: readonly ReportRow[], group: ReportGroup): string {
  const head = ['period', group, 'cost', 'calls', 'unpriced', 'errors', 'flagged', 'input tok', 'output tok', 'cached tok'];
  const body = rows.map((r) => [r.period, r.group, r.unpriced_calls > 0 && r.unpriced_calls === r.calls ? 'unpriced' : r.unpriced_calls > 0 ? `$${microsToUsd(r.cost_micros)} + ${r.unpriced_calls} unpriced` : `$${microsToUsd(r.cost_micros)}`, ...[r.calls, r.unpriced_calls, r.error_calls, r.flagged_calls, r.input_tok, r.output_tok, r.cached_tok].map((n) => n.toLocaleString('en-US'))]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  if (rows.length === 0) return '(no calls in this range)\n';
  return [fmt(head), ...body.map(fmt)].join('\n') + '\n';
}
