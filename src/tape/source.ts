/**
 * One reader interface over a tape, two backends: a local SQLite file, or the organisation's
 * central tape in PostgreSQL (`--db postgres://...`). Everything is async because the central
 * one is; the cursor is the local `id` for SQLite and the central `seq` for PostgreSQL, so
 * callers keep a number and never look inside it.
 */
import type { CallRow } from './row.js';
import type { RowFilter } from './filter.js';
import type { ReadoutQueryOptions } from './queries.js';
import type { ReadoutInputs } from '../readouts/types.js';
import { isPostgresUrl, parsePgUrl } from './pg/connect.js';
import type { CentralPeriods } from './pg/queries.js';
import { openSqliteSource } from './sqlite-source.js';

/** A local tape answers at once (so the screen's first frame is drawn from its first read); the central one later. */
export type Awaitable<T> = T | Promise<T>;

/** The ticker's unit: calls in one time bucket and model, with the longest and the costliest. */
export interface TickGroup {
  /** floor(ts / bucketMs) */
  readonly b: number;
  readonly model: string;
  readonly n: number;
  /** longest duration_ms */
  readonly d: number;
  /** costliest cost_micros (null: none priced) */
  readonly c: number | null;
}

/** Where the newest rows end: at a cursor (following), or at a pinned moment (`--now`). */
export type LatestAt = { readonly upTo: number } | { readonly until: number };

export interface SourcePage {
  readonly rows: CallRow[];
  /** the position reached: pass it as `after` to read on */
  readonly cursor: number;
  /** no more rows up to the bound asked for */
  readonly done: boolean;
}

export interface PageBounds {
  /** only rows with ts >= since */
  readonly since?: number;
  /** only rows with ts <= until */
  readonly until?: number;
}

export interface FollowHandle {
  /** the cursor reached so far */
  readonly position: number;
  stop(): void;
}

export interface FollowEvents {
  /** a local tape file was deleted or replaced underneath */
  readonly onReplaced?: (why: 'deleted' | 'replaced') => void;
  /** reading works again after onError: rows resume from the cursor */
  readonly onRecovered?: () => void;
}

export interface TapeSource {
  readonly kind: 'sqlite' | 'postgres';
  /** the path, or the redacted URL: safe to print */
  readonly label: string;
  /** the tape merges the rows of many boxes: readers show the host */
  readonly manyHosts: boolean;
  /** the same tape through another filter, sharing this source's connection (close this one, not the view) */
  withFilter(filter: RowFilter): TapeSource;
  /** every readout's inputs at `now`, from indexed queries (rollup for long windows) */
  readoutInputs(now: number, o: ReadoutQueryOptions): Awaitable<ReadoutInputs>;
  /** the cursor of the newest row (0 when the tape is empty) */
  lastCursor(): Awaitable<number>;
  /**
   * The newest matching rows, newest first, at most `limit`: up to a cursor (looking back at most
   * 100,000 rows, so a rare filter stays cheap), or with ts <= until in time order.
   */
  latest(limit: number, at: LatestAt): Awaitable<CallRow[]>;
  /** matching rows with lo < ts <= hi and cursor <= upTo, grouped by (floor(ts / bucketMs), model) */
  tickGroups(lo: number, hi: number, upTo: number, bucketMs: number): Awaitable<TickGroup[]>;
  /** a cursor at or before the first row with ts >= since */
  cursorBefore(since: number): Promise<number>;
  /** matching rows with after < cursor <= upTo, oldest first, at most `limit` */
  page(after: number, upTo: number, limit: number, bounds?: PageBounds): Promise<SourcePage>;
  /** delivers matching rows committed after `from`, in order, until stopped; retries on its own after onError */
  follow(from: number, onRows: (rows: CallRow[]) => void, onError: (err: Error) => void, events?: FollowEvents): FollowHandle;
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  readonly filter?: RowFilter;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** SQLite only: reconciled periods for the variance band */
  readonly periods?: ReadoutQueryOptions['periods'];
  /** PostgreSQL only: reconciled periods for the variance band over the central tape */
  readonly centralPeriods?: CentralPeriods;
  /** how often to look for new rows when no notification arrives, ms */
  readonly pollMs?: number;
}

/**
 * `--db`: a postgres:// URL opens the central tape (a promise: it connects and checks the
 * schema), anything else a local tape file, at once (a TapeError `noTape` while it does not exist).
 */
export function openTapeSource(db: string, o: OpenSourceOptions = {}): Awaitable<TapeSource> {
  if (isPostgresUrl(db)) return import('./pg/source.js').then(({ openPgSource }) => openPgSource(db, o));
  return openSqliteSource(db, o);
}

/** How to name a tape on screen: the path, or the URL without its password. */
export function tapeLabel(db: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (!isPostgresUrl(db)) return db;
  try {
    return parsePgUrl(db, env).redacted;
  } catch {
    return 'postgres://…';
  }
}
