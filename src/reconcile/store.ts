import { createHash } from 'node:crypto';
import type { Db } from '../tape/db.js';
import { explainSqliteError } from '../tape/db.js';
import { dayOf, DAY_MS } from './amount.js';
import type { BilledLine, ParsedBill } from './types.js';

/** The result of storing one bill. */
export interface StoredFile {
  readonly id: number;
  readonly name: string;
  readonly sha256: string;
  readonly format: string;
  readonly lines: number;
  /** lines this import added (0 on a re-import; fewer when an earlier export overlapped) */
  readonly added: number;
  /** true when this exact file was imported before */
  readonly known: boolean;
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Does this tape have the invoice tables (schema v2)? A v1 file opened read-only does not. */
export function hasInvoices(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'invoice_rollup'").pluck().get() !== undefined;
}

/**
 * The keys that make two overlapping exports count once, for one file's lines in order: the call
 * id, or everything that names the bucket plus the how-manieth such line of the file it is.
 * `join` turns the parts into the stored text (NUL-separated locally; PostgreSQL text cannot hold NUL).
 */
export function naturalKeys(format: string, join: (parts: readonly (string | number)[]) => string = nulJoin): (l: BilledLine) => string {
  const seen = new Map<string, number>();
  return (l) => {
    if (l.request_id) return join === nulJoin ? `c\u0000${l.provider}\u0000${l.request_id}` : join(['c', l.provider, l.request_id]); // the hot path of call-level bills
    const base = `${l.start_ms}\u0000${l.end_ms}\u0000${l.model}\u0000${l.project}\u0000${l.item}`;
    const occ = seen.get(base) ?? 0;
    seen.set(base, occ + 1);
    return join(['b', format, l.provider, l.start_ms, l.end_ms, l.model, l.project, l.item, occ]);
  };
}

function nulJoin(parts: readonly (string | number)[]): string {
  return parts.join('\u0000');
}

/**
 * When exports of several kinds cover the same provider and period, one is read (never their sum):
 * call-level first (the most detailed), then the providers' own cost reports, then usage priced here.
 */
export const FORMAT_PREFERENCE: readonly string[] = [
  'openrouter-csv', 'openrouter-json', 'openrouter-activity', 'anthropic-cost-report', 'anthropic-console-csv', 'openai-costs',
  'openai-dashboard-csv', 'generic-csv', 'anthropic-usage-report', 'openai-usage',
];

/** The format to read among those present, preferring `first` (this run's formats) when given. */
export function pickFormat(present: Iterable<string>, first: ReadonlySet<string> = new Set()): string {
  const list = [...present];
  const rank = (f: string) => (first.has(f) ? -100 : 0) + (FORMAT_PREFERENCE.indexOf(f) + 1 || 99);
  return list.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1))[0]!;
}

/** The rollup period of a line: its own period, or the UTC day of a call. */
export function periodOf(l: { readonly start_ms: number; readonly end_ms: number; readonly request_id: string | null }): [number, number] {
  if (l.request_id) {
    const d = dayOf(l.start_ms);
    return [d, d + DAY_MS];
  }
  return [l.start_ms, l.end_ms];
}

const ROLLUP_SQL = `INSERT INTO invoice_rollup (provider, format, start_ms, end_ms, model, project, lines, billed_micros, calls, first_call_ms, last_call_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (provider, start_ms, end_ms, format, model, project) DO UPDATE SET
    lines = lines + excluded.lines, billed_micros = billed_micros + excluded.billed_micros, calls = calls + excluded.calls,
    first_call_ms = CASE WHEN first_call_ms IS NULL OR excluded.first_call_ms < first_call_ms THEN excluded.first_call_ms ELSE first_call_ms END,
    last_call_ms = CASE WHEN last_call_ms IS NULL OR excluded.last_call_ms > last_call_ms THEN excluded.last_call_ms ELSE last_call_ms END`;

/** [provider, format, start_ms, end_ms, model, project, lines, billed_micros, calls, first_call_ms, last_call_ms]: one invoice_rollup row */
export type Agg = [string, string, number, number, string, string, number, number, number, number | null, number | null];

const LINE_COLS = '(file_id, seq, line, start_ms, end_ms, provider, model, project, item, request_id, cost_micros, natural_key)';
const PER_INSERT = 50;

/** Adds a kept line to its invoice_rollup row (its period, or its UTC day for a call). */
export function addToRollup(aggs: Map<string, Agg>, format: string, l: BilledLine): void {
  const [s, e] = periodOf(l);
  const key = `${l.provider}\u0000${s}\u0000${e}\u0000${l.model}\u0000${l.project}`;
  let a = aggs.get(key);
  if (!a) aggs.set(key, (a = [l.provider, format, s, e, l.model, l.project, 0, 0, 0, null, null]));
  a[6] += 1;
  a[7] += l.cost_micros;
  if (l.request_id) {
    a[8] += 1;
    a[9] = a[9] === null ? l.start_ms : Math.min(a[9], l.start_ms);
    a[10] = a[10] === null ? l.start_ms : Math.max(a[10], l.start_ms);
  }
}

/**
 * Stores validated bills in one transaction: all of them or none. A file already imported
 * (same sha256) adds nothing; a line some earlier export already billed is skipped by the
 * database itself (the overlap trigger), so it counts once. Lines go in 50 to a statement;
 * RETURNING names the ones the database kept, and only those reach the rollup.
 */
export function storeBills(db: Db, bills: readonly { name: string; bytes: Buffer; bill: ParsedBill }[], priceVersion: string, now: number, onProgress?: (done: number) => void): StoredFile[] {
  const known = db.prepare('SELECT id, lines, format FROM invoice_file WHERE sha256 = ?');
  const nextId = db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM invoice_file').pluck();
  const one = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const insMany = db.prepare(`INSERT INTO invoice_line ${LINE_COLS} VALUES ${Array(PER_INSERT).fill(one).join(', ')} RETURNING seq`).pluck();
  const insOne = db.prepare(`INSERT INTO invoice_line ${LINE_COLS} VALUES ${one} RETURNING seq`).pluck();
  const insFile = db.prepare('INSERT INTO invoice_file (id, sha256, name, format, imported_at, lines, added, price_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const rollup = db.prepare(ROLLUP_SQL);
  const run = db.transaction(() => {
    const out: StoredFile[] = [];
    let done = 0;
    for (const { name, bytes, bill } of bills) {
      const sha = sha256(bytes);
      const old = known.get(sha) as { id: number; lines: number; format: string } | undefined;
      if (old) {
        out.push({ id: old.id, name, sha256: sha, format: old.format, lines: old.lines, added: 0, known: true });
        continue;
      }
      const id = nextId.get() as number;
      const keyOf = naturalKeys(bill.format);
      const aggs = new Map<string, Agg>();
      const lines = bill.lines;
      let added = 0;
      const params: unknown[] = [];
      for (let i = 0; i < lines.length; i += PER_INSERT) {
        const end = Math.min(lines.length, i + PER_INSERT);
        params.length = 0;
        for (let k = i; k < end; k++) {
          const l = lines[k]!;
          params.push(id, k + 1, l.line, l.start_ms, l.end_ms, l.provider, l.model, l.project, l.item, l.request_id, l.cost_micros, keyOf(l));
        }
        const kept = (end - i === PER_INSERT ? insMany.all(...params) : keepEach(insOne, params)) as number[];
        added += kept.length;
        if (kept.length === end - i) for (let k = i; k < end; k++) addToRollup(aggs, bill.format, lines[k]!);
        else for (const seq of kept) addToRollup(aggs, bill.format, lines[seq - 1]!);
        done += end - i;
        if ((done & 0xfff) < PER_INSERT) onProgress?.(done);
      }
      for (const a of aggs.values()) rollup.run(a);
      insFile.run(id, sha, name, bill.format, now, lines.length, added, priceVersion);
      out.push({ id, name, sha256: sha, format: bill.format, lines: lines.length, added, known: false });
    }
    return out;
  });
  try {
    return run.immediate();
  } catch (err) {
    explainSqliteError(err, db.name);
  }
}

/** The tail of a file (fewer than 50 lines), one statement per line. */
function keepEach(stmt: { all(...p: unknown[]): unknown[] }, params: readonly unknown[]): number[] {
  const kept: number[] = [];
  for (let i = 0; i < params.length; i += 12) kept.push(...(stmt.all(...params.slice(i, i + 12)) as number[]));
  return kept;
}
