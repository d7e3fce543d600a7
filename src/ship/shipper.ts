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
  /** after each committed batch: rows shipped so far this run, and the backlog there was at its start */
  readonly onProgress?: (p: { readonly shipped: number; readonly backlog: number }) => void;
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

/** One shipping run's moving parts: the cursor state, the counters and the retry clock. */
class Run {
  state: ShipState;
  shipped = 0;
  inserted = 0;
  private batchNo = 0;
  private attempt = 0;
  private failingSince: number | null = null;
  private readonly next;

  constructor(private readonly o: ShipperOptions, local: Db, private readonly link: Link, private readonly clock: () => number, private readonly log: (line: string) => void) {
    this.next = local.prepare('SELECT * FROM tape WHERE id > ? ORDER BY id LIMIT ?');
    this.state = loadShipState(o.statePath, o.tapePath, o.target.redacted);
  }

  private save(patch: Partial<ShipState>): void {
    this.state = { ...this.state, ...patch, updated_ms: this.clock() };
    saveShipState(this.o.statePath, this.state);
  }

  /** Sends the next batch; false when there was nothing to send. The cursor moves after COMMIT only. */
  async step(): Promise<boolean> {
    const rows = this.next.all(this.state.cursor, this.o.batchRows ?? 5000) as CallRow[];
    if (rows.length === 0) return false;
    const c = await this.link.get();
    const batch = ++this.batchNo;
    const n = await sendBatch(c, rows, (p) => this.o.onPoint?.(p, batch));
    this.shipped += rows.length;
    this.inserted += n;
    this.save({ cursor: rows[rows.length - 1]!.id, shipped_rows: this.state.shipped_rows + rows.length, last_success_ms: this.clock(), last_error: null });
    if (this.failingSince !== null) this.log(`shipping resumed: ${this.o.target.redacted} reachable again`);
    this.attempt = 0;
    this.failingSince = null;
    return true;
  }

  /** Records the failure; throws when it is permanent (or lasted too long one-shot), else waits to retry. */
  async failed(err: unknown): Promise<void> {
    await this.link.drop();
    const ours = err instanceof TapeError;
    const f: PgFailure = ours ? { transient: false, sqlstate: null, message: err.message } : classifyPgError(err, this.o.target);
    this.save({ last_error: { at_ms: this.clock(), message: f.message, sqlstate: f.sqlstate, transient: f.transient } });
    const row = this.state.cursor + 1;
    if (!f.transient) {
      const why = ours ? f.message : `${this.o.target.redacted} refused the batch: ${f.message}`;
      throw new TapeError(`shipping stopped before local row ${row} (nothing skipped): ${why}; fix it and run tape ship again to resume from the same row`, ours ? err.exitCode : ExitCode.failure);
    }
    this.failingSince ??= this.clock();
    const failingMs = this.clock() - this.failingSince;
    if (!this.o.follow && failingMs >= (this.o.retryForMs ?? 120_000)) {
      throw new TapeError(`shipping paused at local row ${row}: ${f.message}; still failing after ${Math.round(failingMs / 1000)}s, run tape ship again later (nothing is lost)`, ExitCode.unavailable);
    }
    const wait = backoffMs(this.attempt++, this.o.random);
    this.log(`${f.message}; retrying in ${(wait / 1000).toFixed(1)}s (cursor ${this.state.cursor})`);
    await sleep(wait, this.o.signal);
  }
}

export async function ship(o: ShipperOptions): Promise<ShipResult> {
  // following (as in the daemon), the tape may not exist yet: wait for it
  while (o.follow && !existsSync(o.tapePath) && !o.signal?.aborted) await sleep((o.pollMs ?? 100) * 5, o.signal);
  if (o.signal?.aborted) return { shipped: 0, inserted: 0, cursor: 0 };
  const local: Db = openReader(o.tapePath);
  const link = new Link(o.target);
  const run = new Run(o, local, link, o.clock ?? Date.now, o.log ?? (() => undefined));
  // ids are the tape's dense sequence, so the backlog is the last id less the cursor: no count(*) scan
  const last = (local.prepare('SELECT max(id) FROM tape').pluck().get() as number | null) ?? 0;
  const backlog = Math.max(0, last - run.state.cursor);
  try {
    while (!o.signal?.aborted) {
      try {
        if (await run.step()) {
          o.onProgress?.({ shipped: run.shipped, backlog });
          continue;
        }
        if (!o.follow) break;
        await sleep(o.pollMs ?? 100, o.signal);
      } catch (err) {
        await run.failed(err);
      }
    }
    return { shipped: run.shipped, inserted: run.inserted, cursor: run.state.cursor };
  } finally {
    await link.drop();
    local.close();
  }
}
