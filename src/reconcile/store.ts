import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
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
  /** of those, bucket-level lines that superseded an earlier export's amount for their bucket */
  readonly superseded: number;
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
 * id, or everything that names the bucket plus the how-manieth such line of the file it is (the
 * bucket's key: the natural key of its first line; a later amount for it is a revision, see
 * revisionKey).
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

/**
 * Adds a kept line to its invoice_rollup row (its period, or its UTC day for a call). A line that
 * revises its bucket (`replaces`: the amount it supersedes) moves the row by the difference and
 * leaves its line count alone: the bucket is still one line.
 */
export function addToRollup(aggs: Map<string, Agg>, format: string, l: BilledLine, replaces?: number): void {
  const [s, e] = periodOf(l);
  const key = `${l.provider}\u0000${s}\u0000${e}\u0000${l.model}\u0000${l.project}`;
  let a = aggs.get(key);
  if (!a) aggs.set(key, (a = [l.provider, format, s, e, l.model, l.project, 0, 0, 0, null, null]));
  if (replaces === undefined) {
    a[6] += 1;
    a[7] += l.cost_micros;
  } else a[7] += l.cost_micros - replaces;
  if (l.request_id) {
    a[8] += 1;
    a[9] = a[9] === null ? l.start_ms : Math.min(a[9], l.start_ms);
    a[10] = a[10] === null ? l.start_ms : Math.max(a[10], l.start_ms);
  }
}

/**
 * The natural key of a line that revises a bucket's amount: the bucket's key and the importing
 * file's id (one revision per bucket per file). Its bucket_key column holds the bucket's key.
 */
export function revisionKey(bucket: string, fileId: number, join: (parts: readonly (string | number)[]) => string = nulJoin): string {
  return join([bucket, fileId]);
}

/** What happens to a bucket-level line, given its bucket's current amount (null: never billed). */
export function bucketAction(cost: number, current: number | null): 'new' | 'same' | 'revise' {
  return current === null ? 'new' : current === cost ? 'same' : 'revise';
}

/** A bucket's current amount: its latest revision, or its first line (natural_key = the bucket's key). */
const CURRENT_SQL = `SELECT COALESCE(
  (SELECT cost_micros FROM invoice_line WHERE bucket_key = ? ORDER BY file_id DESC, seq DESC LIMIT 1),
  (SELECT cost_micros FROM invoice_line WHERE natural_key = ?))`;

type Stmt = Database.Statement<unknown[]>;
interface Statements {
  readonly known: Stmt;
  readonly nextId: Stmt;
  readonly insMany: Stmt;
  readonly insOne: Stmt;
  readonly insBucket: Stmt;
  readonly current: Stmt;
  readonly insFile: Stmt;
  readonly rollup: Stmt;
}

function statements(db: Db): Statements {
  const one = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
  return {
    known: db.prepare('SELECT id, lines, format FROM invoice_file WHERE sha256 = ?'),
    nextId: db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM invoice_file').pluck(),
    insMany: db.prepare(`INSERT INTO invoice_line ${LINE_COLS} VALUES ${Array(PER_INSERT).fill(one).join(', ')} RETURNING seq`).pluck(),
    insOne: db.prepare(`INSERT INTO invoice_line ${LINE_COLS} VALUES ${one} RETURNING seq`).pluck(),
    insBucket: db.prepare(`INSERT INTO invoice_line (${LINE_COLS.slice(1, -1)}, bucket_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`).pluck(),
    current: db.prepare(CURRENT_SQL).pluck(),
    insFile: db.prepare('INSERT INTO invoice_file (id, sha256, name, format, imported_at, lines, added, superseded, price_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    rollup: db.prepare(ROLLUP_SQL),
  };
}

/**
 * Stores validated bills in one transaction: all of them or none. A file already imported
 * (same sha256) adds nothing; a call some earlier export already billed is skipped by the
 * database itself (the overlap trigger), so it counts once. A bucket-level line already billed
 * at the same amount is skipped too; at another amount it supersedes the earlier one (the export
 * imported last wins) as a new line, and the rollup moves by the difference. Call lines go in 50
 * to a statement; RETURNING names the ones the database kept, and only those reach the rollup.
 */
export function storeBills(db: Db, bills: readonly { name: string; bytes: Buffer; bill: ParsedBill }[], priceVersion: string, now: number, onProgress?: (done: number) => void): StoredFile[] {
  const st = statements(db);
  const run = db.transaction(() => {
    const out: StoredFile[] = [];
    const progress = { done: 0, onProgress };
    for (const { name, bytes, bill } of bills) {
      const sha = sha256(bytes);
      const old = st.known.get(sha) as { id: number; lines: number; format: string } | undefined;
      if (old) {
        out.push({ id: old.id, name, sha256: sha, format: old.format, lines: old.lines, added: 0, superseded: 0, known: true });
        continue;
      }
      const id = st.nextId.get() as number;
      const { added, superseded } = storeLines(st, id, bill, progress);
      st.insFile.run(id, sha, name, bill.format, now, bill.lines.length, added, superseded, priceVersion);
      out.push({ id, name, sha256: sha, format: bill.format, lines: bill.lines.length, added, superseded, known: false });
    }
    return out;
  });
  try {
    return run.immediate();
  } catch (err) {
    explainSqliteError(err, db.name);
  }
}

/** One file's lines and their rollup rows. Call-level chunks take the batched path untouched. */
function storeLines(st: Statements, id: number, bill: ParsedBill, progress: { done: number; onProgress: ((done: number) => void) | undefined }): { added: number; superseded: number } {
  const keyOf = naturalKeys(bill.format);
  const aggs = new Map<string, Agg>();
  const lines = bill.lines;
  let added = 0;
  let superseded = 0;
  const params: unknown[] = [];
  for (let i = 0; i < lines.length; i += PER_INSERT) {
    const end = Math.min(lines.length, i + PER_INSERT);
    params.length = 0;
    let calls = true;
    for (let k = i; k < end; k++) {
      const l = lines[k]!;
      if (!l.request_id) {
        calls = false;
        break;
      }
      params.push(id, k + 1, l.line, l.start_ms, l.end_ms, l.provider, l.model, l.project, l.item, l.request_id, l.cost_micros, keyOf(l));
    }
    if (calls) {
      const kept = (end - i === PER_INSERT ? st.insMany.all(...params) : keepEach(st.insOne, params)) as number[];
      added += kept.length;
      if (kept.length === end - i) for (let k = i; k < end; k++) addToRollup(aggs, bill.format, lines[k]!);
      else for (const seq of kept) addToRollup(aggs, bill.format, lines[seq - 1]!);
    } else {
      // bucket-level lines, one by one against their bucket's current amount (bills of this kind are small)
      for (let k = i; k < end; k++) {
        const l = lines[k]!;
        const key = keyOf(l);
        const row = [id, k + 1, l.line, l.start_ms, l.end_ms, l.provider, l.model, l.project, l.item, l.request_id, l.cost_micros];
        if (l.request_id) {
          if (st.insOne.all(...row, key).length > 0) {
            added++;
            addToRollup(aggs, bill.format, l);
          }
          continue;
        }
        const current = st.current.get(key, key) as number | null;
        const action = bucketAction(l.cost_micros, current);
        if (action === 'same') continue;
        const kept = action === 'new' ? st.insBucket.all(...row, key, null) : st.insBucket.all(...row, revisionKey(key, id), key);
        if (kept.length === 0) continue;
        added++;
        if (action === 'revise') superseded++;
        addToRollup(aggs, bill.format, l, action === 'revise' ? current! : undefined);
      }
    }
    progress.done += end - i;
    if ((progress.done & 0xfff) < PER_INSERT) progress.onProgress?.(progress.done);
  }
  for (const a of aggs.values()) st.rollup.run(a);
  return { added, superseded };
}

/** The tail of a file (fewer than 50 lines), one statement per line. */
function keepEach(stmt: { all(...p: unknown[]): unknown[] }, params: readonly unknown[]): number[] {
  const kept: number[] = [];
  for (let i = 0; i < params.length; i += 12) kept.push(...(stmt.all(...params.slice(i, i + 12)) as number[]));
  return kept;
}
