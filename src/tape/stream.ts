import type { Db } from './db.js';
import type { CallRow } from './row.js';
import { compileFilter, type RowFilter } from './filter.js';
import { TapeQueries, type ReadoutQueryOptions, lastId, firstIdSince } from './queries.js';
import { Tailer } from './tail.js';
import { computeReadouts, type ReadoutSettings, type Readouts } from '../readouts/index.js';

/** Where lines go; `line` returns a promise when the consumer must wait (backpressure). */
export interface LineSink {
  line(s: string): Promise<void> | undefined;
  flush(): Promise<void> | undefined;
  readonly isClosed: boolean;
}

export interface StreamOptions {
  readonly db: Db;
  readonly path: string;
  readonly filter: RowFilter;
  /** epoch ms: history from here (by ts); undefined = start at the end when following, the start otherwise */
  readonly since?: number;
  readonly until?: number;
  readonly follow: boolean;
  readonly format: (row: CallRow) => string;
  readonly out: LineSink;
  readonly clock: () => number;
  /** interleave readouts every `everyMs` (and once at the end with follow off) */
  readonly readouts?: {
    readonly everyMs: number;
    readonly query: ReadoutQueryOptions;
    readonly settings: ReadoutSettings;
    readonly format: (r: Readouts) => string;
  } | null;
  /** resolves when following should stop */
  readonly stop: Promise<unknown>;
  readonly onNotice?: (text: string) => void;
}

const PAGE = 5000;

/**
 * Prints the tape in order: the history asked for, page by page in short reads up to a
 * snapshot of the last id, then (following) each new row as it commits. Readouts are
 * interleaved on a timer and printed once at the end of a finite selection.
 */
export async function streamTape(o: StreamOptions): Promise<void> {
  const f = compileFilter(o.filter);
  const untilClause = o.until !== undefined ? ' AND ts <= ?' : '';
  const sinceClause = o.since !== undefined ? ' AND ts >= ?' : '';
  const page = o.db.prepare(`SELECT * FROM tape WHERE id > ? AND id <= ? AND ${f.sql}${sinceClause}${untilClause} ORDER BY id LIMIT ${PAGE}`);
  const extra: number[] = [];
  if (o.since !== undefined) extra.push(o.since);
  if (o.until !== undefined) extra.push(o.until);
  const queries = o.readouts ? new TapeQueries(o.db, o.filter) : null;
  const emitReadouts = async () => {
    if (!queries || !o.readouts || o.out.isClosed) return;
    const r = computeReadouts(queries.readoutInputs(o.clock(), o.readouts.query), o.readouts.settings);
    await o.out.line(o.readouts.format(r));
  };

  const snapshot = lastId(o.db);
  let cursor: number;
  if (o.since !== undefined) cursor = firstIdSince(o.db, o.since) - 1;
  else cursor = o.follow ? snapshot : 0;

  // history, in pages: each page is its own short read, so a slow consumer never pins the WAL
  while (cursor < snapshot && !o.out.isClosed) {
    const rows = page.all(cursor, snapshot, ...f.params, ...extra) as CallRow[];
    if (rows.length === 0) break;
    for (const r of rows) {
      const wait = o.out.line(o.format(r));
      if (wait) await wait;
    }
    cursor = rows[rows.length - 1]!.id;
    if (rows.length < PAGE) break;
  }
  cursor = Math.max(cursor, snapshot);

  if (!o.follow) {
    await emitReadouts();
    await o.out.flush();
    return;
  }

  await o.out.flush();
  await emitReadouts();
  await o.out.flush();
  let pending: Promise<void> | undefined;
  const tailer = new Tailer(o.db, {
    path: o.path,
    fromId: cursor,
    filter: o.filter,
    onRows: (rows) => {
      for (const r of rows) {
        if (o.until !== undefined && r.ts > o.until) continue;
        o.out.line(o.format(r));
      }
      pending = o.out.flush();
    },
    onReplaced: (why) => o.onNotice?.(`the tape file was ${why} underneath; restart tape to read the new one`),
    onError: (err) => o.onNotice?.(`reading the tape failed: ${err.message}`),
  }).start();
  const timer = o.readouts
    ? setInterval(() => {
        void emitReadouts().then(() => o.out.flush());
      }, o.readouts.everyMs)
    : null;
  try {
    await o.stop;
  } finally {
    tailer.stop();
    if (timer) clearInterval(timer);
    if (pending) await pending;
    await o.out.flush();
  }
}
