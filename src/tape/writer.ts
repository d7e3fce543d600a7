import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { explainSqliteError } from './db.js';
import type { NewCall } from './row.js';
import { invalidCall } from './validate.js';
import type { PriceBook } from '../pricing/price-book.js';
import { TapeError, ExitCode } from '../errors.js';
import { RollupBatch, prepareRollups, ROLLUP_ROWS, type RollupStatements } from './rollups.js';

export interface AppendResult {
  /** ids given to the rows, in order; null where the row was a duplicate (known request_id) */
  readonly ids: (number | null)[];
  readonly inserted: number;
  readonly duplicates: number;
}

export interface WriterOptions {
  /** host written on rows that name none */
  readonly host?: string;
  /** how long a queued row may wait for its group commit, ms */
  readonly maxDelayMs?: number;
  /** a group commit happens at the latest when this many rows wait */
  readonly maxBatch?: number;
  /** path, for error messages */
  readonly path?: string;
}

const INSERT_SQL = `INSERT INTO tape (ts, host, project, provider, model, input_tok, output_tok, cached_tok, cache_write_tok,
  cache_write_1h_tok, duration_ms, cost_micros, price_version, provider_cost_micros, status, flags, request_id, source)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

interface Pending {
  readonly call: NewCall;
  readonly resolve: (id: number | null) => void;
  readonly reject: (err: Error) => void;
}

/**
 * The one way rows reach the tape. Prices rows that carry no cost, drops re-sent rows
 * (known request_id), and commits in short batched transactions (group commit): many
 * writers' rows share one fsync, and a reader never waits long.
 */
export class TapeWriter {
  readonly db: Db;
  readonly prices: PriceBook;
  private readonly host: string;
  private readonly insert;
  private readonly known;
  private readonly rollups: RollupStatements;
  private readonly maxDelayMs: number;
  private readonly maxBatch: number;
  private readonly path: string;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly txn: Database.Transaction<(calls: readonly NewCall[]) => AppendResult>;

  constructor(db: Db, prices: PriceBook, opts: WriterOptions = {}) {
    this.db = db;
    this.prices = prices;
    this.host = opts.host ?? hostname();
    this.maxDelayMs = opts.maxDelayMs ?? 5;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.path = opts.path ?? db.name;
    this.insert = db.prepare(INSERT_SQL);
    // the batch's request ids that are already on the tape, in one statement: a SELECT per row was a
    // twentieth of the append time, nearly all of it the round trip into SQLite
    this.known = db.prepare('SELECT t.request_id FROM json_each(?) AS j JOIN tape AS t ON t.request_id = j.value').pluck();
    this.rollups = prepareRollups(db);
    this.txn = db.transaction((calls: readonly NewCall[]) => this.insertAll(calls));
  }

  private insertAll(calls: readonly NewCall[]): AppendResult {
    const ids: (number | null)[] = [];
    const rids: string[] = [];
    for (const c of calls) if (c.request_id != null) rids.push(c.request_id);
    // ids already on the tape, then each id met in this batch: a second row with one is a duplicate too
    const seen = new Set<string>(rids.length > 0 ? (this.known.all(JSON.stringify(rids)) as string[]) : []);
    let inserted = 0;
    let duplicates = 0;
    let rollup = new RollupBatch();
    for (const c of calls) {
      const rid = c.request_id ?? null;
      if (rid !== null && seen.has(rid)) {
        ids.push(null);
        duplicates++;
        continue;
      }
      if (rid !== null) seen.add(rid);
      let cost = c.cost_micros;
      let version = c.price_version;
      if (cost === undefined) {
        const p = this.prices.price(c.provider, c.model, c, c.ts);
        cost = p.cost_micros;
        version = p.price_version;
      }
      const flags = c.flags ?? 0;
      const cached = c.cached_tok ?? 0;
      const writes = c.cache_write_tok ?? 0;
      const info = this.insert.run(
        c.ts, c.host ?? this.host, c.project, c.provider, c.model, c.input_tok, c.output_tok,
        cached, writes, c.cache_write_1h_tok ?? 0, c.duration_ms,
        cost, version ?? this.prices.version, c.provider_cost_micros ?? null, c.status, flags, rid, c.source,
      );
      ids.push(Number(info.lastInsertRowid));
      inserted++;
      if (rollup.rows === ROLLUP_ROWS) {
        rollup.write(this.rollups);
        rollup = new RollupBatch();
      }
      rollup.add({ ts: c.ts, project: c.project, provider: c.provider, model: c.model, cost, status: c.status, flags,
        input_tok: c.input_tok, output_tok: c.output_tok, cached_tok: cached, cache_write_tok: writes });
    }
    rollup.write(this.rollups);
    return { ids, inserted, duplicates };
  }

  /**
   * Appends rows now, in one transaction: all of them or none. Every row is validated first;
   * an invalid row throws before anything is written.
   */
  appendBatch(calls: readonly NewCall[]): AppendResult {
    if (this.closed) throw new TapeError('the tape writer is closed', ExitCode.internal);
    for (let i = 0; i < calls.length; i++) {
      const why = invalidCall(calls[i]!);
      if (why) throw new TapeError(`row ${i + 1}: ${why}`, ExitCode.badInput);
    }
    try {
      return this.txn.immediate(calls);
    } catch (err) {
      explainSqliteError(err, this.path);
    }
  }

  /** Queues one row for the next group commit; resolves with its id (null if a duplicate). */
  append(call: NewCall): Promise<number | null> {
    const why = invalidCall(call);
    if (why) return Promise.reject(new TapeError(why, ExitCode.badInput));
    if (this.closed) return Promise.reject(new TapeError('the tape writer is closed', ExitCode.internal));
    return new Promise((resolve, reject) => {
      this.queue.push({ call, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  /** Commits everything queued now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    try {
      const { ids } = this.txn.immediate(batch.map((p) => p.call));
      batch.forEach((p, i) => p.resolve(ids[i]!));
    } catch (err) {
      let out: Error = err as Error;
      try {
        explainSqliteError(err, this.path);
      } catch (e) {
        out = e as Error;
      }
      for (const p of batch) p.reject(out);
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Flushes and closes the writer (not the database). */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
