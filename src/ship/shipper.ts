/**
 * The shipper: reads the local tape (read-only, short reads) after its cursor, sends batches to
 * the central tape, and moves the cursor only after the central COMMIT. Transient failures retry
 * with exponential backoff and jitter (forever when following, up to `retryForMs` otherwise);
 * a permanent one stops with the SQLSTATE. No row is ever skipped: the cursor only moves past
 * rows that committed.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { openReader, type Db } from '../tape/db.js';
import type { CallRow } from '../tape/row.js';
import type { PgTarget } from '../tape/pg/connect.js';
import { requireCentral } from '../tape/pg/schema.js';
import { backoffMs, classifyPgError, type PgFailure } from '../tape/pg/errors.js';
import { TapeError, ExitCode } from '../errors.js';
import { loadShipState, saveShipState, type ShipState } from './state.js';
import { sendBatch, type CrashPoint } from './batch.js';

export interface ShipperOptions {
  readonly tapePath: string;
  readonly target: PgTarget;
  readonly statePath: string;
  readonly follow: boolean;
  /** rows per central transaction; default 5000 */
  readonly batchRows?: number;
  /** following: how often to look for new local rows, ms; default 100 */
  readonly pollMs?: number;
  /** one-shot: how long transient failures may last before giving up, ms; default 120 s */
  readonly retryForMs?: number;
  readonly signal?: AbortSignal;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** one line per event worth telling (retries, permanent stop); never carries a secret */
  readonly log?: (line: string) => void;
  /** fault injection for tests: called at each crash point with the batch number */
  readonly onPoint?: (p: CrashPoint, batch: number) => void;
}

export interface ShipResult {
  readonly shipped: number;
  readonly inserted: number;
  readonly cursor: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

class Link {
  client: pg.Client | null = null;
  broken = false;
  constructor(private readonly target: PgTarget) {}

  async get(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    await this.drop();
    const c = new pg.Client(this.target.config);
    c.on('error', () => {
      this.broken = true; // an idle connection died: the next use reconnects
    });
    this.broken = false;
    try {
      await c.connect();
      await requireCentral(c, this.target.redacted);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    this.client = c;
    return c;
  }

  async drop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }
}

export async function ship(o: ShipperOptions): Promise<ShipResult> {
  const clock = o.clock ?? Date.now;
  const log = o.log ?? (() => undefined);
  const batchRows = o.batchRows ?? 5000;
  // following (as in the daemon), the tape may not exist yet: wait for its first row
  while (o.follow && !existsSync(o.tapePath) && !o.signal?.aborted) await sleep((o.pollMs ?? 100) * 5, o.signal);
  if (o.signal?.aborted) return { shipped: 0, inserted: 0, cursor: 0 };
  const local: Db = openReader(o.tapePath);
  const next = local.prepare('SELECT * FROM tape WHERE id > ? ORDER BY id LIMIT ?');
  let state: ShipState = loadShipState(o.statePath, o.tapePath, o.target.redacted);
  const link = new Link(o.target);
  const save = (patch: Partial<ShipState>) => {
    state = { ...state, ...patch, updated_ms: clock() };
    saveShipState(o.statePath, state);
  };
  let shipped = 0;
  let inserted = 0;
  let batchNo = 0;
  let attempt = 0;
  let failingSince: number | null = null;
  try {
    while (!o.signal?.aborted) {
      try {
        const rows = next.all(state.cursor, batchRows) as CallRow[];
        if (rows.length === 0) {
          if (!o.follow) break;
          await sleep(o.pollMs ?? 100, o.signal);
          continue;
        }
        const c = await link.get();
        batchNo++;
        const n = await sendBatch(c, rows, (p) => o.onPoint?.(p, batchNo));
        shipped += rows.length;
        inserted += n;
        save({ cursor: rows[rows.length - 1]!.id, shipped_rows: state.shipped_rows + rows.length, last_success_ms: clock(), last_error: null });
        if (failingSince !== null) log(`shipping resumed: ${o.target.redacted} reachable again`);
        attempt = 0;
        failingSince = null;
      } catch (err) {
        await link.drop();
        const f: PgFailure = err instanceof TapeError
          ? { transient: false, sqlstate: null, message: err.message }
          : classifyPgError(err, o.target);
        save({ last_error: { at_ms: clock(), message: f.message, sqlstate: f.sqlstate, transient: f.transient } });
        if (!f.transient) {
          const why = err instanceof TapeError ? f.message : `${o.target.redacted} refused the batch: ${f.message}`;
          throw new TapeError(`shipping stopped before local row ${state.cursor + 1} (nothing skipped): ${why}; fix it and run tape ship again to resume from the same row`, err instanceof TapeError ? err.exitCode : ExitCode.failure);
        }
        failingSince ??= clock();
        if (!o.follow && clock() - failingSince >= (o.retryForMs ?? 120_000)) {
          throw new TapeError(`shipping paused at local row ${state.cursor + 1}: ${f.message}; still failing after ${Math.round((clock() - failingSince) / 1000)}s, run tape ship again later (nothing is lost)`, ExitCode.unavailable);
        }
        const wait = backoffMs(attempt++, o.random);
        log(`${f.message}; retrying in ${(wait / 1000).toFixed(1)}s (cursor ${state.cursor})`);
        await sleep(wait, o.signal);
      }
    }
    return { shipped, inserted, cursor: state.cursor };
  } finally {
    await link.drop();
    local.close();
  }
}
