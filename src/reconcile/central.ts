/**
 * `tape reconcile FILE... --db postgres://...`: the bill beside the organisation's tape. Bills go
 * into the central invoice tables (created by `tape ship --init`, append-only like the local ones,
 * same re-import and overlap rules), and the diff reads both sides from the central tables
 * through the same ReconcileSource interface as the local tape.
 */
import pg from 'pg';
import { TapeError, ExitCode } from '../errors.js';
import { parsePgUrl, type PgTarget } from '../tape/pg/connect.js';
import { classifyPgError } from '../tape/pg/errors.js';
import { INVOICE_IMPORT_LOCK, requireCentral } from '../tape/pg/schema.js';
import { mergeSums, spanParts, type TapeSum } from './tape-side.js';
import type { BilledSum, CallHit, ReconcileSource } from './source.js';
import { addToRollup, bucketAction, naturalKeys, revisionKey, sha256, type Agg, type StoredFile } from './store.js';
import type { BilledLine, ParsedBill } from './types.js';

/** Lines per INSERT (arrays through unnest: one round trip per batch). */
const LINE_BATCH = 5000;
/** Request ids per lookup. */
const ID_BATCH = 5000;

export interface CentralReconcile {
  /** postgres://user@host:port/db, safe to print */
  readonly label: string;
  readonly source: ReconcileSource;
  /** Stores validated bills in one transaction: all of them or none (see store.ts storeBills). */
  store(bills: readonly { name: string; bytes: Buffer; bill: ParsedBill }[], priceVersion: string, now: number, onProgress?: (done: number) => void): Promise<StoredFile[]>;
  close(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Connects, checks the central schema (v2 has the invoice tables), and returns the store and the source. */
export async function openCentralReconcile(url: string, env: Env = process.env): Promise<CentralReconcile> {
  const target = parsePgUrl(url, env, 'tape reconcile');
  const c = new pg.Client(target.config);
  c.on('error', () => undefined);
  const guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    try {
      return await f(...a);
    } catch (err) {
      throw asTapeError(err, target);
    }
  };
  await guard(async () => {
    await c.connect();
    await requireCentral(c, target.redacted);
  })().catch(async (err: unknown) => {
    await c.end().catch(() => undefined);
    throw err;
  });
  return {
    label: target.redacted,
    source: centralSource(c, guard),
    store: guard((bills, priceVersion, now, onProgress) => storeCentral(c, bills, priceVersion, now, onProgress)),
    close: () => c.end().catch(() => undefined),
  };
}

function asTapeError(err: unknown, target: PgTarget): TapeError {
  if (err instanceof TapeError) return err;
  const fail = classifyPgError(err, target);
  return new TapeError(`reconciling against the central tape ${target.redacted} failed: ${fail.message}`, fail.transient ? ExitCode.unavailable : ExitCode.failure);
}

type Guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A) => Promise<R>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null ? null : Number(v));

/** Both sides read from the central tables: invoice_rollup, rollup_hour (all hosts) and the rows at the edges. */
function centralSource(c: pg.Client, guard: Guard): ReconcileSource {
  const billedSql = `SELECT format, start_ms, end_ms, model, project, lines, billed_micros, calls, first_call_ms, last_call_ms
    FROM invoice_rollup WHERE provider = $1 AND start_ms >= $2 AND start_ms < $3
    ORDER BY start_ms, end_ms, format COLLATE "C", model COLLATE "C", project COLLATE "C"`;
  return {
    idBatch: ID_BATCH,
    billed: guard(async (provider: string, lo: number, hi: number): Promise<BilledSum[]> => {
      const r = await c.query(billedSql, [provider, lo, hi]);
      return r.rows.map((x: Record<string, unknown>) => ({
        format: String(x.format), start_ms: num(x.start_ms), end_ms: num(x.end_ms), model: String(x.model), project: String(x.project),
        lines: num(x.lines), billed_micros: num(x.billed_micros), calls: num(x.calls), first_call_ms: numOrNull(x.first_call_ms), last_call_ms: numOrNull(x.last_call_ms),
      }));
    }),
    tape: guard((provider: string, lo: number, hi: number) => centralTapeSums(c, provider, lo, hi)),
    // the central key is (host, id): should two hosts carry one request id, the first shipped is the call
    calls: guard(async (ids: readonly string[]): Promise<CallHit[]> => {
      const r = await c.query({
        text: `SELECT DISTINCT ON (request_id) request_id, cost_micros, flags FROM tape
          WHERE request_id = ANY($1::text[]) ORDER BY request_id, seq`,
        values: [ids],
        rowMode: 'array',
      });
      return r.rows.map((x: unknown[]) => [String(x[0]), numOrNull(x[1]), num(x[2])] as const);
    }),
  };
}

type Queryable = Pick<pg.Client, 'query'>;

/**
 * The central twin of TapeSide.sums: tape sums of a provider with lo <= ts_ms < hi per (model,
 * project), over all hosts: whole hours from rollup_hour, partial hours from the rows. `extra` is
 * a further WHERE clause whose placeholders start at $4.
 */
export async function centralTapeSums(q: Queryable, provider: string, lo: number, hi: number, extra: { readonly sql: string; readonly params: readonly string[] } = { sql: 'TRUE', params: [] }): Promise<TapeSum[]> {
  const raw = `SELECT model, project, COALESCE(SUM(cost_micros), 0) AS cost, COUNT(*) AS calls,
      COUNT(*) FILTER (WHERE cost_micros IS NULL) AS unpriced, COUNT(*) FILTER (WHERE flags <> 0) AS flagged,
      COUNT(*) FILTER (WHERE status >= 400) AS errors
    FROM tape WHERE ts_ms >= $1 AND ts_ms < $2 AND provider = $3 AND ${extra.sql} GROUP BY model, project`;
  const roll = `SELECT model, project, SUM(cost_micros) AS cost, SUM(calls) AS calls, SUM(unpriced_calls) AS unpriced,
      SUM(flagged_calls) AS flagged, SUM(error_calls) AS errors
    FROM rollup_hour WHERE hour >= $1 AND hour < $2 AND provider = $3 AND ${extra.sql} GROUP BY model, project`;
  const parts: TapeSum[][] = [];
  for (const s of spanParts(lo, hi)) {
    const r = await q.query(s.from === 'rollup' ? roll : raw, [s.lo, s.hi, provider, ...extra.params]);
    parts.push(r.rows.map((x: Record<string, unknown>) => ({ model: String(x.model), project: String(x.project), cost: num(x.cost), calls: num(x.calls), unpriced: num(x.unpriced), flagged: num(x.flagged), errors: num(x.errors) })));
  }
  return mergeSums(parts);
}

const LINE_SQL = `INSERT INTO invoice_line (file_id, seq, line, start_ms, end_ms, provider, model, project, item, request_id, cost_micros, natural_key)
  SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[])
  ON CONFLICT (natural_key) DO NOTHING RETURNING seq`;

const ROLLUP_SQL = `INSERT INTO invoice_rollup AS r (provider, format, start_ms, end_ms, model, project, lines, billed_micros, calls, first_call_ms, last_call_ms)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
  ON CONFLICT (provider, start_ms, end_ms, format, model, project) DO UPDATE SET
    lines = r.lines + excluded.lines, billed_micros = r.billed_micros + excluded.billed_micros, calls = r.calls + excluded.calls,
    first_call_ms = LEAST(r.first_call_ms, excluded.first_call_ms), last_call_ms = GREATEST(r.last_call_ms, excluded.last_call_ms)`;

const BUCKET_LINE_SQL = `INSERT INTO invoice_line (file_id, seq, line, start_ms, end_ms, provider, model, project, item, request_id, cost_micros, natural_key, bucket_key)
  SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[])
  ON CONFLICT (natural_key) DO NOTHING RETURNING seq`;

/** Each bucket's current amount: its latest revision, or its first line (natural_key = the bucket's key); NULL when never billed. */
const CURRENT_SQL = `SELECT k, COALESCE(
    (SELECT cost_micros FROM invoice_line WHERE bucket_key = k ORDER BY file_id DESC, seq DESC LIMIT 1),
    (SELECT cost_micros FROM invoice_line WHERE natural_key = k)) AS cost
  FROM unnest($1::text[]) AS k`;

const jsonJoin = (parts: readonly (string | number)[]): string => JSON.stringify(parts);

/**
 * A batch holding bucket-level lines (see store.ts storeLines): each against its bucket's current
 * amount, read in one query; the same amount is skipped, another one is stored as a revision and
 * moves the rollup by the difference. Call lines in the batch go in as usual.
 */
async function storeBucketBatch(c: pg.Client, id: number, first: number, batch: readonly BilledLine[], keyOf: (l: BilledLine) => string,
  lines: readonly BilledLine[], aggs: Map<string, Agg>, format: string): Promise<{ added: number; superseded: number }> {
  const keys = batch.map((l) => keyOf(l));
  const asked = keys.filter((_k, j) => !batch[j]!.request_id);
  const found = await c.query({ text: CURRENT_SQL, values: [asked], rowMode: 'array' });
  const current = new Map((found.rows as [string, string | null][]).map(([k, cost]) => [k, cost === null ? null : Number(cost)]));
  const cols: unknown[][] = Array.from({ length: 12 }, () => []);
  const replaces = new Map<number, number>();
  batch.forEach((l, j) => {
    const seq = first + j + 1;
    let natural = keys[j]!;
    let bucket: string | null = null;
    if (!l.request_id) {
      const cur = current.get(keys[j]!) ?? null;
      const action = bucketAction(l.cost_micros, cur);
      if (action === 'same') return;
      if (action === 'revise') {
        natural = revisionKey(keys[j]!, id, jsonJoin);
        bucket = keys[j]!;
        replaces.set(seq, cur!);
      }
    }
    [seq, l.line, l.start_ms, l.end_ms, l.provider, l.model, l.project, l.item, l.request_id, l.cost_micros, natural, bucket].forEach((v, k) => cols[k]!.push(v));
  });
  if (cols[0]!.length === 0) return { added: 0, superseded: 0 };
  const kept = await c.query({ text: BUCKET_LINE_SQL, values: [id, ...cols], rowMode: 'array' });
  let superseded = 0;
  for (const [s] of kept.rows as [string][]) {
    const seq = Number(s);
    const old = replaces.get(seq);
    if (old !== undefined) superseded++;
    addToRollup(aggs, format, lines[seq - 1]!, old);
  }
  return { added: kept.rows.length, superseded };
}

/** PostgreSQL text cannot hold NUL: say which line has one instead of failing with an encoding error. */
function checkText(name: string, l: BilledLine): void {
  for (const v of [l.provider, l.model, l.project, l.item, l.request_id ?? '']) {
    if (v.includes('\u0000')) throw new TapeError(`${name}:${l.line}: a NUL character cannot be stored in PostgreSQL; remove it from the file`, ExitCode.badInput);
  }
}

async function storeCentral(c: pg.Client, bills: readonly { name: string; bytes: Buffer; bill: ParsedBill }[], priceVersion: string, now: number, onProgress?: (done: number) => void): Promise<StoredFile[]> {
  for (const { name, bill } of bills) for (const l of bill.lines) checkText(name, l);
  await c.query('BEGIN');
  try {
    // one import at a time: file ids are MAX + 1, and a concurrent import of the same file waits, then finds it known
    await c.query('SELECT pg_advisory_xact_lock($1)', [INVOICE_IMPORT_LOCK]);
    const out: StoredFile[] = [];
    let done = 0;
    for (const { name, bytes, bill } of bills) {
      const sha = sha256(bytes);
      const known = (await c.query('SELECT id, lines, format FROM invoice_file WHERE sha256 = $1', [sha])).rows[0] as { id: string; lines: string; format: string } | undefined;
      if (known) {
        out.push({ id: Number(known.id), name, sha256: sha, format: known.format, lines: Number(known.lines), added: 0, superseded: 0, known: true });
        done += bill.lines.length;
        continue;
      }
      const id = Number((await c.query('SELECT COALESCE(MAX(id), 0) + 1 AS id FROM invoice_file')).rows[0].id);
      const keyOf = naturalKeys(bill.format, jsonJoin);
      const aggs = new Map<string, Agg>();
      const lines = bill.lines;
      let added = 0;
      let superseded = 0;
      for (let i = 0; i < lines.length; i += LINE_BATCH) {
        const batch = lines.slice(i, i + LINE_BATCH);
        if (batch.every((l) => l.request_id)) {
          const col = <T>(f: (l: BilledLine, k: number) => T) => batch.map((l, k) => f(l, i + k));
          const kept = await c.query({
            text: LINE_SQL,
            values: [id, col((_l, k) => k + 1), col((l) => l.line), col((l) => l.start_ms), col((l) => l.end_ms), col((l) => l.provider), col((l) => l.model),
              col((l) => l.project), col((l) => l.item), col((l) => l.request_id), col((l) => l.cost_micros), col((l) => keyOf(l))],
            rowMode: 'array',
          });
          added += kept.rows.length;
          if (kept.rows.length === batch.length) for (const l of batch) addToRollup(aggs, bill.format, l);
          else for (const [seq] of kept.rows as [string][]) addToRollup(aggs, bill.format, lines[Number(seq) - 1]!);
        } else {
          const r = await storeBucketBatch(c, id, i, batch, keyOf, lines, aggs, bill.format);
          added += r.added;
          superseded += r.superseded;
        }
        done += batch.length;
        onProgress?.(done);
      }
      if (aggs.size > 0) {
        const rows = [...aggs.values()];
        await c.query(ROLLUP_SQL, Array.from({ length: 11 }, (_, k) => rows.map((a) => a[k])));
      }
      await c.query('INSERT INTO invoice_file (id, sha256, name, format, imported_at, lines, added, superseded, price_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [id, sha, name, bill.format, now, lines.length, added, superseded, priceVersion]);
      out.push({ id, name, sha256: sha, format: bill.format, lines: lines.length, added, superseded, known: false });
    }
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
