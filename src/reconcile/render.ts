import { microsToUsd, usdMicros } from '../pricing/micros.js';
import type { Diff, Bucket } from './diff.js';
import type { StoredFile } from './store.js';


export function pct(v: number | null): string {
  if (v === null) return 'n/a';
  const p = v * 100;
  return `${p > 0 ? '+' : ''}${p.toFixed(2)}%`;
}

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

function bucketJson(b: Bucket): Record<string, unknown> {
  return { ...b, tape_usd: microsToUsd(b.tape_micros), billed_usd: microsToUsd(b.billed_micros) };
}

/** The JSON document (`--json`): one object, money in micro-USD plus exact USD strings. */
export function reconcileJson(files: readonly StoredFile[], d: Diff, threshold: number, now: number): string {
  const variance = d.billed_micros === 0 ? (d.tape_micros === 0 ? 0 : null) : Math.round(((d.tape_micros - d.billed_micros) / d.billed_micros) * 1e6) / 1e6;
  return JSON.stringify({
    type: 'reconcile',
    now: new Date(now).toISOString(),
    threshold,
    files: files.map((f) => ({ name: f.name, sha256: f.sha256, format: f.format, lines: f.lines, added: f.added, superseded: f.superseded, already_imported: f.known })),
    buckets: d.buckets.map(bucketJson),
    calls: d.calls,
    totals: { tape_micros: d.tape_micros, billed_micros: d.billed_micros, diff_micros: d.tape_micros - d.billed_micros, variance },
    beyond: d.beyond,
  });
}

/** What one import did: lines added, buckets whose earlier amount it superseded, lines already billed. */
export function fileLine(f: StoredFile): string {
  if (f.known) return 'already imported, nothing added';
  const notes: string[] = [];
  if (f.superseded > 0) notes.push(`${f.superseded} bucket${f.superseded === 1 ? '' : 's'} updated from an earlier export`);
  if (f.added < f.lines) notes.push(`${f.lines - f.added} already billed by an overlapping export`);
  const added = f.added === f.lines ? `${f.added} lines added` : `${f.added} of ${f.lines} lines added`;
  return notes.length > 0 ? `${added} (${notes.join(', ')})` : added;
}

/** The human table. Text only: the caller decides where it goes. */
export function reconcileTable(files: readonly StoredFile[], d: Diff, threshold: number): string {
  const out: string[] = [];
  for (const f of files) out.push(`${f.name}: ${f.format}, ${fileLine(f)}`);
  const head = ['period', 'provider', 'model', 'project', 'tape', 'billed', 'difference', 'variance', ''];
  const rows = d.buckets.map((b) => [b.period, b.provider, b.model || (b.level === 'provider' ? '(all models)' : '(no model)'), b.project || '-', usdMicros(b.tape_micros), usdMicros(b.billed_micros), usdMicros(b.diff_micros), pct(b.variance), b.beyond ? '!' : '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = [false, false, false, false, true, true, true, true, false];
  out.push('');
  out.push(head.map((h, i) => pad(h, widths[i]!, right[i])).join('  ').trimEnd());
  d.buckets.forEach((b, k) => {
    out.push(rows[k]!.map((c, i) => pad(c, widths[i]!, right[i])).join('  ').trimEnd());
    if (b.beyond || b.only) for (const r of b.reasons) out.push(`    - ${r}`);
  });
  if (d.buckets.length === 0) out.push('(no billed periods)');
  out.push('');
  const v = d.billed_micros === 0 ? null : (d.tape_micros - d.billed_micros) / d.billed_micros;
  out.push(`total: tape ${usdMicros(d.tape_micros)}, billed ${usdMicros(d.billed_micros)}, difference ${usdMicros(d.tape_micros - d.billed_micros)} (${pct(v)})`);
  const c = d.calls;
  if (c) {
    out.push(`calls: ${c.billed_calls} billed, ${c.matched} matched on the tape, ${c.only_billed} only on the bill, ${c.only_tape} only on the tape, ${c.cost_differs} priced differently${c.unpriced ? `, ${c.unpriced} unpriced on the tape` : ''}${c.usage_missing ? `, ${c.usage_missing} usage-missing` : ''}`);
    for (const e of c.examples) out.push(`    ${e.request_id}  ${e.model}  tape ${e.tape_micros === null ? 'not on the tape' : usdMicros(e.tape_micros)}  billed ${usdMicros(e.billed_micros)}`);
  }
  out.push(d.beyond > 0 ? `${d.beyond} bucket${d.beyond === 1 ? '' : 's'} beyond ±${(threshold * 100).toFixed(2)}% (exit code 3)` : `every bucket within ±${(threshold * 100).toFixed(2)}%`);
  return out.join('\n') + '\n';
}
