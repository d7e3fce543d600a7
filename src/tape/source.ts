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
import { isPostgresUrl } from './pg/connect.js';

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
  stop(): void;
}

export interface TapeSource {
  readonly kind: 'sqlite' | 'postgres';
  /** the path, or the redacted URL: safe to print */
  readonly label: string;
  /** every readout's inputs at `now`, from indexed queries (rollup for long windows) */
  readoutInputs(now: number, o: ReadoutQueryOptions): Promise<ReadoutInputs>;
  /** the cursor of the newest row (0 when the tape is empty) */
  lastCursor(): Promise<number>;
  /** a cursor at or before the first row with ts >= since */
  cursorBefore(since: number): Promise<number>;
  /** matching rows with after < cursor <= upTo, oldest first, at most `limit` */
  page(after: number, upTo: number, limit: number, bounds?: PageBounds): Promise<SourcePage>;
  /** delivers matching rows committed after `from`, in order, until stopped */
  follow(from: number, onRows: (rows: CallRow[]) => void, onError: (err: Error) => void): FollowHandle;
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  readonly filter?: RowFilter;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** SQLite only: reconciled periods for the variance band */
  readonly periods?: ReadoutQueryOptions['periods'];
  /** how often to look for new rows when no notification arrives, ms */
  readonly pollMs?: number;
}

/** `--db`: a postgres:// URL opens the central tape, anything else a local tape file. */
export async function openTapeSource(db: string, o: OpenSourceOptions = {}): Promise<TapeSource> {
  if (isPostgresUrl(db)) {
    const { openPgSource } = await import('./pg/source.js');
    return openPgSource(db, o);
  }
  const { openSqliteSource } = await import('./sqlite-source.js');
  return openSqliteSource(db, o);
}
