import { beyondThreshold, varianceOf } from '../readouts/variance.js';
import { dayLabel, DAY_MS, modelKey } from './amount.js';
import type { TapeSum } from './tape-side.js';
import type { ReconcileSource } from './source.js';
import type { ParsedBill } from './types.js';
import { callCheck, type CallCheck } from './calls.js';
import { pickFormat } from './store.js';

/** One compared bucket: a period x provider (x model, x project where both sides name them). */
export interface Bucket {
  readonly period: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly provider: string;
  /** '' when the bill names no model for this period (compared per provider) */
  readonly model: string;
  /** '' unless the bill's projects/workspaces are tape projects */
  readonly project: string;
  /** how finely this period could be compared: per provider, per model, or per model and project */
  readonly level: 'provider' | 'model' | 'project';
  /** the bill format read for this period */
  readonly format: string;
  readonly tape_micros: number;
  readonly billed_micros: number;
  readonly diff_micros: number;
  /** (tape - billed) / billed; null when nothing was billed but the tape has cost */
  readonly variance: number | null;
  readonly tape_calls: number;
  readonly billed_lines: number;
  /** "tape" or "billed" when the bucket is on one side only */
  readonly only: 'tape' | 'billed' | null;
  readonly unpriced_calls: number;
  readonly flagged_calls: number;
  readonly beyond: boolean;
  readonly reasons: readonly string[];
}

export interface DiffOptions {
  readonly threshold: number;
  /** when the price list in force was published/fetched (ms), when known */
  readonly priceListMs: number | null;
}

export interface Diff {
  readonly buckets: Bucket[];
  readonly calls: CallCheck | null;
  readonly tape_micros: number;
  readonly billed_micros: number;
  readonly beyond: number;
}

interface BillRow {
  readonly model: string;
  readonly project: string;
  readonly lines: number;
  readonly billed_micros: number;
  readonly calls: number;
  readonly first_call_ms: number | null;
  readonly last_call_ms: number | null;
}

interface Side {
  model: string;
  project: string;
  cost: number;
  n: number;
  unpriced: number;
  flagged: number;
}

function reasonsFor(b: Omit<Bucket, 'reasons'>, o: DiffOptions): string[] {
  const out: string[] = [];
  if (b.unpriced_calls > 0) out.push(`${b.unpriced_calls} unpriced call${b.unpriced_calls === 1 ? '' : 's'} on the tape (no price: add the model to the overrides file)`);
  if (b.flagged_calls > 0) out.push(`${b.flagged_calls} call${b.flagged_calls === 1 ? '' : 's'} flagged (usage missing, stream cut or estimated)`);
  if (b.only === 'billed') out.push('billed but not on the tape (calls that did not go through tape?)');
  if (b.only === 'tape') out.push('on the tape but not billed (another account or key, or not billed yet)');
  if (b.beyond && o.priceListMs !== null && o.priceListMs < b.start_ms) out.push(`price list from ${dayLabel(o.priceListMs)} is older than the period (try \`tape prices update\`, then \`tape reprice\`)`);
  return out;
}

function collect(map: Map<string, Side>, key: string, model: string, project: string, cost: number, n: number, unpriced = 0, flagged = 0): void {
  const s = map.get(key);
  if (!s) map.set(key, { model, project, cost, n, unpriced, flagged });
  else {
    s.cost += cost;
    s.n += n;
    s.unpriced += unpriced;
    s.flagged += flagged;
  }
}

/** Compares one provider's period: both sides keyed alike, sorted, merged in one pass. */
function comparePeriod(provider: string, format: string, start: number, end: number, billed: readonly BillRow[], tape: readonly TapeSum[], o: DiffOptions): Bucket[] {
  const byModel = billed.some((r) => r.model !== '');
  const tapeProjects = new Set(tape.map((t) => t.project));
  const byProject = billed.length > 0 && billed.every((r) => r.project !== '' && tapeProjects.has(r.project));
  const key = (model: string, project: string) => `${byModel ? modelKey(provider, model) : ''}\u0000${byProject ? project : ''}`;
  const b = new Map<string, Side>();
  for (const r of billed) collect(b, key(r.model, r.project), r.model, byProject ? r.project : '', r.billed_micros, r.lines);
  const t = new Map<string, Side>();
  for (const r of tape) collect(t, key(r.model, r.project), byModel ? r.model : '', byProject ? r.project : '', r.cost, r.calls, r.unpriced, r.flagged);
  const bk = [...b.keys()].sort();
  const tk = [...t.keys()].sort();
  const out: Bucket[] = [];
  let i = 0;
  let j = 0;
  while (i < bk.length || j < tk.length) {
    const kb = bk[i];
    const kt = tk[j];
    const cmp = kb === undefined ? 1 : kt === undefined ? -1 : kb < kt ? -1 : kb > kt ? 1 : 0;
    const bs = cmp <= 0 ? b.get(kb!)! : null;
    const ts = cmp >= 0 ? t.get(kt!)! : null;
    if (cmp <= 0) i++;
    if (cmp >= 0) j++;
    const tapeMicros = ts?.cost ?? 0;
    const billedMicros = bs?.cost ?? 0;
    const variance = varianceOf(tapeMicros, billedMicros);
    const base = {
      period: end - start === DAY_MS ? dayLabel(start) : `${new Date(start).toISOString()}/${new Date(end).toISOString()}`,
      start_ms: start,
      end_ms: end,
      provider,
      model: bs?.model || ts?.model || '',
      project: bs?.project ?? ts?.project ?? '',
      level: byProject ? ('project' as const) : byModel ? ('model' as const) : ('provider' as const),
      format,
      tape_micros: tapeMicros,
      billed_micros: billedMicros,
      diff_micros: tapeMicros - billedMicros,
      variance,
      tape_calls: ts?.n ?? 0,
      billed_lines: bs?.n ?? 0,
      only: bs && !ts ? ('billed' as const) : ts && !bs ? ('tape' as const) : null,
      unpriced_calls: ts?.unpriced ?? 0,
      flagged_calls: ts?.flagged ?? 0,
      beyond: beyondThreshold(tapeMicros, billedMicros, o.threshold),
    };
    if (base.only === 'tape' && tapeMicros === 0 && base.unpriced_calls === 0) continue; // e.g. only failed calls: nothing to bill
    out.push({ ...base, reasons: reasonsFor(base, o) });
  }
  return out;
}

/**
 * The difference between the tape and what was billed, for every provider x UTC day the given
 * bills speak for. The billed side is everything stored for those days (overlapping exports
 * counted once), the tape side comes from the hourly rollup. Where the bill has call ids the
 * calls are matched one by one as well. The same over the local tape or the central one: both
 * sides are read through `source`.
 */
export async function reconcile(source: ReconcileSource, bills: readonly ParsedBill[], o: DiffOptions): Promise<Diff> {
  const cover = new Map<string, { provider: string; day: number }>();
  const runFormats = new Set(bills.map((b) => b.format as string));
  for (const bill of bills) for (const c of bill.coverage) cover.set(`${c.provider}\u0000${String(c.day).padStart(15, '0')}`, c);
  const buckets: Bucket[] = [];
  let perCallTapeCalls = 0;
  for (const k of [...cover.keys()].sort()) {
    const { provider, day } = cover.get(k)!;
    const periods = new Map<string, (BillRow & { start_ms: number; end_ms: number })[]>();
    const all = await source.billed(provider, day, day + DAY_MS);
    const format = all.length > 0 ? pickFormat(new Set(all.map((r) => r.format)), runFormats) : '';
    for (const r of all) {
      if (r.format !== format) continue;
      const pk = `${r.start_ms}:${r.end_ms}`;
      let list = periods.get(pk);
      if (!list) periods.set(pk, (list = []));
      list.push(r);
    }
    if (periods.size === 0) periods.set(`${day}:${day + DAY_MS}`, []);
    for (const [pk, rows] of periods) {
      const [start, end] = pk.split(':').map(Number) as [number, number];
      const perCall = rows.length > 0 && rows.every((r) => r.calls === r.lines);
      const lo = perCall ? Math.min(...rows.map((r) => r.first_call_ms!)) : start;
      const hi = perCall ? Math.max(...rows.map((r) => r.last_call_ms!)) + 1 : end;
      const sums = await source.tape(provider, lo, hi);
      if (perCall) for (const t of sums) perCallTapeCalls += t.calls;
      buckets.push(...comparePeriod(provider, format, start, end, rows, sums, o));
    }
  }
  buckets.sort((a, b) => a.start_ms - b.start_ms || (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
  let tape = 0;
  let billed = 0;
  for (const b of buckets) {
    tape += b.tape_micros;
    billed += b.billed_micros;
  }
  const calls = await callCheck(source, bills);
  if (calls) calls.only_tape = Math.max(0, perCallTapeCalls - calls.matched);
  return { buckets, calls, tape_micros: tape, billed_micros: billed, beyond: buckets.filter((b) => b.beyond).length };
}
