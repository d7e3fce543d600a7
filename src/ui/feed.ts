/**
 * What the screen reads, outside React: one read-only connection, the Tailer, the readout
 * queries, a ring buffer of the newest calls and the ticker's time buckets. Rows are batched
 * here as they commit; the hook (useTape) takes a snapshot on a capped timer, never per row.
 * Readouts come from `TapeQueries.readoutInputs` + `computeReadouts`, exactly as
 * `tape --json --readouts` prints them.
 */
import type { Db } from '../tape/db.js';
import { openReader } from '../tape/db.js';
import type { CallRow } from '../tape/row.js';
import { compileFilter, type CompiledFilter, type RowFilter } from '../tape/filter.js';
import { TapeQueries, lastId, type ReadoutQueryOptions } from '../tape/queries.js';
import { Tailer } from '../tape/tail.js';
import { computeReadouts, type ReadoutSettings, type Readouts, type TopEntry } from '../readouts/index.js';
import { TapeError, ExitCode } from '../errors.js';
import { Ring } from './ring.js';
import { BUCKET_MS, type TickBucket } from './ticker-model.js';
import { familyOf } from './theme.js';

export interface FeedOptions {
  readonly path: string;
  /** the command line's filter */
  readonly filter: RowFilter;
  readonly query: ReadoutQueryOptions;
  readonly settings: ReadoutSettings;
  readonly clock: () => number;
  /** follow new rows (false with --now: the tape as it stood then) */
  readonly follow: boolean;
  readonly ringSize?: number;
  readonly pollMs?: number;
  /** readout ticks between top-n refreshes (1 tick = 1 s on screen) */
  readonly topEveryTicks?: number;
}

export interface FeedEvents {
  /** rows arrived (the hook decides when to draw them) */
  onRows?: () => void;
}

export interface FeedSnapshot {
  /** waiting: no tape file yet (waitingWhy says what was tried) */
  readonly phase: 'waiting' | 'live';
  readonly waitingWhy: string | null;
  /** the tape file was replaced or deleted, or reading failed */
  readonly notice: string | null;
  readonly now: number;
  /** newest first, at most ringSize */
  readonly rows: readonly CallRow[];
  /** rows delivered since start (pause counts the difference) */
  readonly arrived: number;
  /** the tape holds no call at all */
  readonly empty: boolean;
  readonly buckets: readonly TickBucket[];
  readonly readouts: Readouts | null;
  /** the top-n, refreshed every 5 s */
  readonly top: readonly TopEntry[];
  readonly callsPerSec: number;
  readonly windowSeconds: number;
  readonly filter: RowFilter;
  readonly seq: number;
}

/** The command line's filter with the screen's on top (a field set on screen replaces it). */
export function mergeFilter(base: RowFilter, extra: RowFilter | null): RowFilter {
  return extra ? { ...base, ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v && v.length)) } : base;
}

interface GroupRow {
  b: number;
  model: string;
  n: number;
  d: number;
  c: number | null;
}

export class TapeFeed {
  private readonly o: FeedOptions;
  private db: Db | null = null;
  private tailer: Tailer | null = null;
  private queries: TapeQueries | null = null;
  private compiled: CompiledFilter;
  private filter: RowFilter;
  private readonly ring: Ring<CallRow>;
  private buckets = new Map<number, TickBucket>();
  private arrived = 0;
  private empty = true;
  private readouts: Readouts | null = null;
  private top: readonly TopEntry[] = [];
  private ticks = 0;
  private notice: string | null = null;
  private waitingWhy: string | null = null;
  private windowSeconds: number;
  private seq = 0;
  /** something changed since the last snapshot */
  dirty = true;
  readonly events: FeedEvents = {};

  constructor(o: FeedOptions) {
    this.o = o;
    this.filter = o.filter;
    this.compiled = compileFilter(o.filter);
    this.ring = new Ring(o.ringSize ?? 256);
    this.windowSeconds = o.query.windowSeconds;
  }

  get isOpen(): boolean {
    return this.db !== null;
  }

  /** Opens the tape when it exists; false (and a reason) while there is none yet. */
  tryOpen(): boolean {
    if (this.db) return true;
    try {
      this.db = openReader(this.o.path);
    } catch (err) {
      if (err instanceof TapeError && err.exitCode === ExitCode.noTape) {
        this.waitingWhy = err.message;
        return false;
      }
      throw err;
    }
    this.waitingWhy = null;
    this.reload();
    return true;
  }

  private query(): ReadoutQueryOptions {
    return { ...this.o.query, windowSeconds: this.windowSeconds, filter: this.filter };
  }

  /** Reads the visible state afresh (start, and a new filter): bounded reads, then follows. */
  private reload(): void {
    const db = this.db!;
    this.tailer?.stop();
    this.tailer = null;
    this.queries = new TapeQueries(db, this.filter);
    this.compiled = compileFilter(this.filter);
    const now = this.o.clock();
    const pos = lastId(db);
    this.empty = pos === 0;
    this.ring.clear();
    const f = this.compiled;
    const recent = this.o.follow
      ? db.prepare(`SELECT * FROM tape WHERE id > ? AND id <= ? AND ${f.sql} ORDER BY id DESC LIMIT ?`).all(Math.max(0, pos - 100_000), pos, ...f.params, this.ring.capacity)
      : db.prepare(`SELECT * FROM tape WHERE ts <= ? AND ${f.sql} ORDER BY ts DESC, id DESC LIMIT ?`).all(now, ...f.params, this.ring.capacity);
    for (let i = recent.length - 1; i >= 0; i--) this.ring.push(recent[i] as CallRow);
    this.rebuildBuckets(now, pos);
    this.computeReadouts(true);
    if (this.o.follow) {
      this.tailer = new Tailer(db, {
        path: this.o.path,
        fromId: pos,
        filter: this.filter,
        pollMs: this.o.pollMs,
        onRows: (rows) => this.onRows(rows),
        onReplaced: (why) => {
          this.notice = `the tape file was ${why} underneath: showing what was read; restart tape to read ${why === 'deleted' ? 'a new tape' : 'the new file'}`;
          this.dirty = true;
        },
        onError: (err) => {
          this.notice = `reading the tape failed: ${err.message}`;
          this.dirty = true;
        },
      }).start();
    }
    this.dirty = true;
  }

  /** The ticker's buckets over the window, from one grouped read through the ts index. */
  private rebuildBuckets(now: number, upToId: number): void {
    const f = this.compiled;
    const lo = now - this.windowSeconds * 1000;
    const hi = this.o.follow ? Number.MAX_SAFE_INTEGER : now;
    const rows = this.db!.prepare(`SELECT ts / ${BUCKET_MS} AS b, model, COUNT(*) AS n, MAX(duration_ms) AS d, MAX(cost_micros) AS c
      FROM tape WHERE ts > ? AND ts <= ? AND id <= ? AND ${f.sql} GROUP BY b, model`).all(lo, hi, upToId, ...f.params) as GroupRow[];
    this.buckets = new Map();
    for (const g of rows) this.addToBucket(g.b, g.n, g.d, g.c, g.model);
  }

  private addToBucket(i: number, n: number, durMs: number, cost: number | null, model: string): void {
    const fam = familyOf(model);
    const b = this.buckets.get(i);
    if (!b) {
      this.buckets.set(i, { i, n, tallMs: durMs, tallFam: fam, topCost: cost, topFam: fam });
      return;
    }
    const taller = durMs > b.tallMs;
    const costlier = cost !== null && (b.topCost === null || cost > b.topCost);
    this.buckets.set(i, {
      i,
      n: b.n + n,
      tallMs: taller ? durMs : b.tallMs,
      tallFam: taller ? fam : b.tallFam,
      topCost: costlier ? cost : b.topCost,
      topFam: costlier ? fam : b.topFam,
    });
  }

  private onRows(rows: readonly CallRow[]): void {
    const from = this.o.clock() - this.windowSeconds * 1000;
    for (const r of rows) {
      this.ring.push(r);
      if (r.ts > from) this.addToBucket(Math.floor(r.ts / BUCKET_MS), 1, r.duration_ms, r.cost_micros, r.model);
    }
    this.arrived += rows.length;
    this.empty = false;
    this.dirty = true;
    this.events.onRows?.();
  }

  private computeReadouts(refreshTop: boolean): void {
    if (!this.queries) return;
    try {
      this.readouts = computeReadouts(this.queries.readoutInputs(this.o.clock(), this.query()), this.o.settings);
      if (refreshTop) this.top = this.readouts.top;
    } catch (err) {
      this.notice = `reading the tape failed: ${(err as Error).message}`;
    }
    this.dirty = true;
  }

  /** Once a second: the clock moves, old buckets fall off, readouts are read (top every 5th). */
  tick(): void {
    if (!this.db) {
      this.tryOpen();
      this.dirty = true;
      return;
    }
    this.ticks++;
    const edge = Math.floor((this.o.clock() - this.windowSeconds * 1000) / BUCKET_MS);
    for (const i of this.buckets.keys()) if (i < edge) this.buckets.delete(i);
    this.computeReadouts(this.ticks % (this.o.topEveryTicks ?? 5) === 0);
  }

  setWindow(seconds: number): void {
    if (seconds === this.windowSeconds) return;
    const wider = seconds > this.windowSeconds;
    this.windowSeconds = seconds;
    if (!this.db) return;
    if (wider) this.rebuildBuckets(this.o.clock(), this.tailer?.position ?? lastId(this.db));
    this.computeReadouts(false);
  }

  /** The screen's filter (null clears it), on top of the command line's. */
  setFilter(extra: RowFilter | null): void {
    const next = mergeFilter(this.o.filter, extra);
    if (JSON.stringify(next) === JSON.stringify(this.filter)) return;
    this.filter = next;
    if (this.db) this.reload();
    this.dirty = true;
  }

  snapshot(): FeedSnapshot {
    this.dirty = false;
    const now = this.o.clock();
    const recent = Math.floor((now - 10_000) / BUCKET_MS);
    let n10 = 0;
    const buckets = Array.from(this.buckets.values());
    for (const b of buckets) if (b.i >= recent && b.i * BUCKET_MS <= now) n10 += b.n;
    return {
      phase: this.db ? 'live' : 'waiting',
      waitingWhy: this.waitingWhy,
      notice: this.notice,
      now,
      rows: this.ring.newest(),
      arrived: this.arrived,
      empty: this.empty,
      buckets,
      readouts: this.readouts,
      top: this.top,
      callsPerSec: n10 / 10,
      windowSeconds: this.windowSeconds,
      filter: this.filter,
      seq: ++this.seq,
    };
  }

  stop(): void {
    this.tailer?.stop();
    this.tailer = null;
    this.db?.close();
    this.db = null;
  }
}
