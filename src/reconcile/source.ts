/**
 * Where reconcile reads, once the bills are stored: the billed sums (invoice_rollup), the tape's
 * sums per (model, project), and tape rows by request id. The diff (diff.ts, calls.ts) sees only
 * this interface; the local tape implements it here, the central tape in ./central.ts.
 */
import type { Db } from '../tape/db.js';
import { TapeSide, type TapeSum } from './tape-side.js';

/** One invoice_rollup row: what was billed for a (format, period, model, project). */
export interface BilledSum {
  readonly format: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly model: string;
  readonly project: string;
  readonly lines: number;
  readonly billed_micros: number;
  readonly calls: number;
  readonly first_call_ms: number | null;
  readonly last_call_ms: number | null;
}

/** A tape row found by its request id: [request_id, cost_micros, flags]. */
export type CallHit = readonly [string, number | null, number];

export interface ReconcileSource {
  /** invoice_rollup rows of a provider with lo <= start_ms < hi: by start, end, format, model, project (code units) */
  billed(provider: string, lo: number, hi: number): Promise<BilledSum[]>;
  /** tape sums of a provider with lo <= ts < hi, per (model, project), sorted (tape-side.ts mergeSums) */
  tape(provider: string, lo: number, hi: number): Promise<TapeSum[]>;
  /** the tape rows carrying some of these request ids (distinct, ascending, at most idBatch) */
  calls(ids: readonly string[]): Promise<readonly CallHit[]>;
  /** how many ids one calls() lookup takes */
  readonly idBatch: number;
}

const ID_BATCH = 100;

/** The local tape (SQLite): synchronous statements behind the shared interface. */
export function localReconcileSource(db: Db): ReconcileSource {
  const side = new TapeSide(db);
  const billed = db.prepare(`SELECT format, start_ms, end_ms, model, project, lines, billed_micros, calls, first_call_ms, last_call_ms
    FROM invoice_rollup WHERE provider = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms, end_ms, format, model, project`);
  // ids in index order: the lookups walk the request_id index forward instead of jumping about
  const findMany = db.prepare(`SELECT request_id, cost_micros, flags FROM tape WHERE request_id IN (${Array(ID_BATCH).fill('?').join(',')})`).raw();
  const findOne = db.prepare('SELECT request_id, cost_micros, flags FROM tape WHERE request_id = ?').raw();
  return {
    billed: async (provider, lo, hi) => billed.all(provider, lo, hi) as BilledSum[],
    tape: async (provider, lo, hi) => side.sums(provider, lo, hi),
    calls: async (ids) => (ids.length === ID_BATCH ? findMany.all(...ids) : ids.flatMap((id) => findOne.all(id))) as CallHit[],
    idBatch: ID_BATCH,
  };
}
