/**
 * What the screen reads, outside React: one TapeSource (a local file or the central tape),
 * following it from a cursor, a ring buffer of the newest calls and the ticker's time buckets.
 * Rows are batched here as they commit; the hook (useTape) takes a snapshot on a capped timer,
 * never per row. Readouts come from `source.readoutInputs` + `computeReadouts`, exactly as
 * `tape --json --readouts` prints them.
 *
 * A local tape answers synchronously, so each read is applied at once (the first frame is drawn
 * from the first read, as before); the central tape answers later and the hook is told to draw.
 * (Longer than our usual file: opening, reloading, following and the readouts share one
 * generation counter that drops answers to an older filter, and reading it in one place is
 * what keeps that right.)
 */
import type { CallRow } from '../tape/row.js';
import type { RowFilter } from '../tape/filter.js';
import type { ReadoutQueryOptions } from '../tape/queries.js';
import type { CentralPeriods } from '../tape/pg/queries.js';
import { openTapeSource, tapeLabel, type Awaitable, type FollowHandle, type TapeSource, type TickGroup } from '../tape/source.js';
import { computeReadouts, type ReadoutSettings, type Readouts, type TopEntry } from '../readouts/index.js';
import { TapeError, ExitCode } from '../errors.js';
import { Ring } from './ring.js';
import { BUCKET_MS, type TickBucket } from './ticker-model.js';
import { TickerBuckets, callsPerSecond } from './ticker-buckets.js';
import { whenReady, backoff } from './awaitable.js';

export interface FeedOptions {
  /** the tape file, or a postgres:// URL */
  readonly path: string;
  /** the source, when the caller opened it already (checked before the screen opens) */
  readonly source?: TapeSource;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** the central tape's variance band periods (from reconcile), when the feed opens the source itself */
  readonly centralPeriods?: CentralPeriods;
  /** the command line's filter */
  readonly filter: RowFilter;
  readonly query: ReadoutQueryOptions;
  readonly settings: ReadoutSettings;
  readonly clock: () => number;
  /** follow new rows (false with --now: the tape as it stood then) */
  readonly follow: boolean;
  readonly ringSize?: number;
  /** the fallback poll when nothing wakes the reader, ms */
  readonly pollMs?: number;
  /** readout ticks between top-n refreshes (1 tick = 1 s on screen) */
  readonly topEveryTicks?: number;
}

export interface FeedEvents {
  /** rows or a read arrived (the hook decides when to draw them) */
  onChange?: () => void;
  /** the tape cannot be read at all (not a tape, refused) */
  onFatal?: (err: Error) => void;
}

export interface FeedSnapshot {
  /** waiting: no tape yet (waitingWhy says what was tried); loading: the first read is on its way */
  readonly phase: 'waiting' | 'loading' | 'live';
  readonly waitingWhy: string | null;
  /** the tape file was replaced or deleted, or reading failed (and is retried) */
  readonly notice: string | null;
  /** the path, or the URL without its password */
  readonly label: string;
  readonly now: number;
  /** newest first, at most ringSize */
  readonly rows: readonly CallRow[];
  /** the ring's size: the most calls kept on screen (paging back ends there) */
  readonly capacity: number;
  /** rows delivered since start (pause counts the difference) */
  readonly arrived: number;
  /** the tape holds no call at all */
  readonly empty: boolean;
  /** rows come from more than one box (the central tape always): show the host */
  readonly manyHosts: boolean;
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

export class TapeFeed {
  private readonly o: FeedOptions;
  private base: TapeSource | null = null;
  /** the base source through the current filter */
  private source: TapeSource | null = null;
  private opening = false;
  private openAttempt = 0;
  private nextOpenAt = 0;
  private handle: FollowHandle | null = null;
  private filter: RowFilter;
  private readonly ring: Ring<CallRow>;
  private readonly buckets = new TickerBuckets();
  /** rows that arrived while the buckets are being re-read (added on top when they land) */
  private pendingBuckets: CallRow[] | null = null;
  private arrived = 0;
  private empty = true;
  private loading = false;
  private firstHost: string | null = null;
  private hostsSeen = 1;
  private readouts: Readouts | null = null;
  /** the reload whose readouts are being read (one read in flight at a time), else -1 */
  private readoutsGen = -1;
  private wantTop = false;
  private top: readonly TopEntry[] = [];
  private ticks = 0;
  private notice: string | null = null;
  /** a read failure notice goes when reading works again; a replaced-file notice stays */
  private noticeIsFailure = false;
  private waitingWhy: string | null = null;
  private windowSeconds: number;
  private readonly label: string;
  /** bumped on every reload: reads answered for an older one are dropped */
  private gen = 0;
  private seq = 0;
  private stopped = false;
  /** something changed since the last snapshot */
  dirty = true;
  readonly events: FeedEvents = {};

  constructor(o: FeedOptions) {
    this.o = o;
    this.filter = o.filter;
    this.ring = new Ring(o.ringSize ?? 256);
    this.windowSeconds = o.query.windowSeconds;
    if (o.source) this.base = o.source;
    this.label = o.source?.label ?? tapeLabel(o.path, o.env);
  }

  get isOpen(): boolean {
    return this.source !== null;
  }

  private changed(): void {
    this.dirty = true;
    this.events.onChange?.();
  }

  private failed(err: Error): void {
    if (this.stopped) return;
    if (this.notice && !this.noticeIsFailure) return; // the file was replaced: that says more
    this.notice = `reading the tape failed, retrying: ${err.message}`;
    this.noticeIsFailure = true;
    this.changed();
  }

  private recovered(): void {
    if (!this.noticeIsFailure) return;
    this.notice = null;
    this.noticeIsFailure = false;
    this.changed();
  }

  /**
   * Opens the tape when it can; false (and a reason) while there is none yet or it cannot be
   * reached (tried again with backoff). A tape that can never be read throws (or, when it
   * answers later, goes to events.onFatal).
   */
  tryOpen(): boolean {
    if (this.source) return true;
    if (this.base) {
      this.attach(this.base);
      return true;
    }
    if (this.opening || performance.now() < this.nextOpenAt) return false;
    let opened: Awaitable<TapeSource>;
    try {
      opened = openTapeSource(this.o.path, { env: this.o.env, pollMs: this.o.pollMs, centralPeriods: this.o.centralPeriods });
    } catch (err) {
      if (this.waitFor(err)) return false;
      throw err;
    }
    this.opening = true;
    whenReady(
      opened,
      (src) => {
        this.opening = false;
        if (this.stopped) return void src.close();
        this.base = src;
        this.attach(src);
        this.changed();
      },
      (err) => {
        this.opening = false;
        if (this.stopped) return;
        if (this.waitFor(err)) return this.changed();
        this.events.onFatal?.(err);
      },
    );
    return this.source !== null;
  }

  /** No tape yet, or the server cannot be reached: wait (with backoff) and say why. */
  private waitFor(err: unknown): boolean {
    if (!(err instanceof TapeError) || (err.exitCode !== ExitCode.noTape && err.exitCode !== ExitCode.unavailable)) return false;
    this.waitingWhy = err.message;
    if (err.exitCode === ExitCode.unavailable) this.nextOpenAt = performance.now() + backoff(this.openAttempt++);
    return true;
  }

  private attach(src: TapeSource): void {
    this.waitingWhy = null;
    this.source = src.withFilter(this.filter);
    this.reload();
  }

  private query(): ReadoutQueryOptions {
    return { ...this.o.query, windowSeconds: this.windowSeconds, filter: this.filter };
  }

  /** Reads the visible state afresh (start, and a new filter): bounded reads, then follows. */
  private reload(): void {
    const src = this.source!;
    const gen = ++this.gen;
    this.handle?.stop();
    this.handle = null;
    this.loading = true;
    this.pendingBuckets = null;
    const now = this.o.clock();
    const fail = (err: Error) => {
      if (gen !== this.gen) return;
      this.failed(err);
      this.loading = false;
      this.retryAt = performance.now() + backoff(this.retries++); // read again on a later tick
    };
    this.retryAt = null;
    whenReady(
      src.lastCursor(),
      (pos) => {
        if (gen !== this.gen) return;
        const latest = src.latest(this.ring.capacity, this.o.follow ? { upTo: pos } : { until: now });
        whenReady(
          latest,
          (rows) => {
            if (gen !== this.gen) return;
            this.ring.clear();
            this.firstHost = null;
            this.hostsSeen = 1;
            for (let i = rows.length - 1; i >= 0; i--) this.push(rows[i]!);
            this.empty = pos === 0;
            this.loading = false;
            this.retries = 0;
            this.rebuildBuckets(now, pos);
            this.computeReadouts(true);
            if (this.o.follow) this.startFollowing(src, pos, gen);
            this.changed();
          },
          fail,
        );
      },
      fail,
    );
    this.dirty = true;
  }

  /** a reload failed (the central tape is unreachable): a tick after this moment reads again */
  private retryAt: number | null = null;
  private retries = 0;

  private startFollowing(src: TapeSource, pos: number, gen: number): void {
    this.handle = src.follow(
      pos,
      (rows) => gen === this.gen && this.onRows(rows),
      (err) => gen === this.gen && this.failed(err),
      {
        onReplaced: (why) => {
          this.notice = `the tape file was ${why} underneath: showing what was read; restart tape to read ${why === 'deleted' ? 'a new tape' : 'the new file'}`;
          this.noticeIsFailure = false;
          this.changed();
        },
        onRecovered: () => gen === this.gen && this.recovered(),
      },
    );
  }

  /** The ticker's buckets over the window, from one grouped read through the ts index. */
  private rebuildBuckets(now: number, upTo: number): void {
    const src = this.source!;
    const gen = this.gen;
    const lo = now - this.windowSeconds * 1000;
    const hi = this.o.follow ? Number.MAX_SAFE_INTEGER : now;
    this.pendingBuckets = [];
    whenReady(
      src.tickGroups(lo, hi, upTo, BUCKET_MS),
      (groups: TickGroup[]) => {
        if (gen !== this.gen) return;
        const since = this.pendingBuckets ?? [];
        this.pendingBuckets = null;
        this.buckets.reset(groups);
        const from = this.o.clock() - this.windowSeconds * 1000;
        for (const r of since) this.buckets.addCall(r, from);
        this.changed();
      },
      (err) => {
        this.pendingBuckets = null;
        this.failed(err);
      },
    );
  }

  private push(r: CallRow): void {
    this.ring.push(r);
    if (this.hostsSeen > 1) return;
    if (this.firstHost === null) this.firstHost = r.host;
    else if (r.host !== this.firstHost) this.hostsSeen = 2;
  }

  private onRows(rows: readonly CallRow[]): void {
    const from = this.o.clock() - this.windowSeconds * 1000;
    for (const r of rows) {
      this.push(r);
      this.buckets.addCall(r, from);
    }
    this.pendingBuckets?.push(...rows);
    this.arrived += rows.length;
    this.empty = false;
    this.recovered();
    this.changed();
  }

  private computeReadouts(refreshTop: boolean): void {
    const src = this.source;
    const gen = this.gen;
    // a top-n refresh asked for while a read is in flight is served by that read
    if (refreshTop) this.wantTop = true;
    if (!src || this.readoutsGen === gen) return;
    this.readoutsGen = gen;
    const done = () => {
      if (this.readoutsGen === gen) this.readoutsGen = -1;
      return gen === this.gen && !this.stopped;
    };
    let inputs;
    try {
      inputs = src.readoutInputs(this.o.clock(), this.query());
    } catch (err) {
      done();
      this.failed(err as Error);
      return;
    }
    whenReady(
      inputs,
      (i) => {
        if (!done()) return;
        this.readouts = computeReadouts(i, this.o.settings);
        if (this.wantTop) this.top = this.readouts.top;
        this.wantTop = false;
        this.recovered();
        this.changed();
      },
      (err) => {
        if (done()) this.failed(err);
      },
    );
  }

  /** Once a second: the clock moves, old buckets fall off, readouts are read (top every 5th). */
  tick(): void {
    if (!this.source) {
      this.tryOpen();
      this.dirty = true;
      return;
    }
    if (this.retryAt !== null) {
      if (!this.loading && performance.now() >= this.retryAt) this.reload();
      return;
    }
    this.ticks++;
    if (this.loading) return; // the reload reads the readouts when its rows are in
    this.buckets.prune(this.o.clock() - this.windowSeconds * 1000);
    // an empty top-n (a tape still filling, a quiet hour) is re-read every tick, not left blank for 5 s
    this.computeReadouts(this.ticks % (this.o.topEveryTicks ?? 5) === 0 || this.top.length === 0);
    this.dirty = true;
  }

  setWindow(seconds: number): void {
    if (seconds === this.windowSeconds) return;
    const wider = seconds > this.windowSeconds;
    this.windowSeconds = seconds;
    if (!this.source || this.loading) return;
    if (wider) {
      const upTo = this.handle?.position;
      if (upTo !== undefined) this.rebuildBuckets(this.o.clock(), upTo);
      else whenReady(this.source.lastCursor(), (pos) => this.rebuildBuckets(this.o.clock(), pos), (err) => this.failed(err));
    }
    this.computeReadouts(false);
  }

  /** The screen's filter (null clears it), on top of the command line's. */
  setFilter(extra: RowFilter | null): void {
    const next = mergeFilter(this.o.filter, extra);
    if (JSON.stringify(next) === JSON.stringify(this.filter)) return;
    this.filter = next;
    if (this.base && this.source) {
      this.source = this.base.withFilter(next);
      this.reload();
    }
    this.dirty = true;
  }

  snapshot(): FeedSnapshot {
    this.dirty = false;
    const now = this.o.clock();
    const buckets = this.buckets.values();
    return {
      phase: !this.source ? 'waiting' : this.loading && this.ring.size === 0 ? 'loading' : 'live',
      waitingWhy: this.waitingWhy,
      notice: this.notice,
      label: this.base?.label ?? this.label,
      now,
      rows: this.ring.newest(),
      capacity: this.ring.capacity,
      arrived: this.arrived,
      empty: this.empty,
      manyHosts: (this.base?.manyHosts ?? false) || this.hostsSeen > 1,
      buckets,
      readouts: this.readouts,
      top: this.top,
      callsPerSec: callsPerSecond(buckets, now),
      windowSeconds: this.windowSeconds,
      filter: this.filter,
      seq: ++this.seq,
    };
  }

  stop(): void {
    this.stopped = true;
    this.gen++;
    this.handle?.stop();
    this.handle = null;
    void this.base?.close();
    this.base = null;
    this.source = null;
  }
}
