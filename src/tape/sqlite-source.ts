/**
 * The local tape behind the TapeSource interface: the existing queries and Tailer, unchanged.
 * Every read answers synchronously (better-sqlite3), so a screen over a local tape draws its
 * first frame from its first read and rows reach it straight from the Tailer's 50 ms poll and
 * -wal watch.
 */
import { openReader, type Db } from './db.js';
import type { CallRow } from './row.js';
import { compileFilter, type RowFilter } from './filter.js';
import { TapeQueries, lastId, firstIdSince } from './queries.js';
import { Tailer } from './tail.js';
import type { OpenSourceOptions, TapeSource, SourcePage, PageBounds, TickGroup } from './source.js';

/** how far back (in ids) the newest rows are looked for while following */
const LOOK_BACK = 100_000;

export function openSqliteSource(path: string, o: OpenSourceOptions = {}): TapeSource {
  const db = openReader(path);
  let closed = false;
  const close = () => {
    if (!closed) db.close();
    closed = true;
  };
  return sqliteView(db, path, o, o.filter ?? {}, close);
}

function sqliteView(db: Db, path: string, o: OpenSourceOptions, filter: RowFilter, close: (() => void) | null): TapeSource {
  const f = compileFilter(filter);
  let queries: TapeQueries | null = null; // prepared on first use: a base source read only through views never prepares them
  return {
    kind: 'sqlite',
    label: path,
    manyHosts: false,
    withFilter: (next) => sqliteView(db, path, o, next, null),
    readoutInputs: (now, q) => (queries ??= new TapeQueries(db, filter)).readoutInputs(now, { ...q, periods: q.periods ?? o.periods }),
    lastCursor: () => lastId(db),
    cursorBefore: async (since) => firstIdSince(db, since) - 1,
    latest(limit, at) {
      const rows =
        'upTo' in at
          ? db.prepare(`SELECT * FROM tape WHERE id > ? AND id <= ? AND ${f.sql} ORDER BY id DESC LIMIT ?`).all(Math.max(0, at.upTo - LOOK_BACK), at.upTo, ...f.params, limit)
          : db.prepare(`SELECT * FROM tape WHERE ts <= ? AND ${f.sql} ORDER BY ts DESC, id DESC LIMIT ?`).all(at.until, ...f.params, limit);
      return rows as CallRow[];
    },
    tickGroups(lo, hi, upTo, bucketMs) {
      return db.prepare(`SELECT ts / ${Math.trunc(bucketMs)} AS b, model, COUNT(*) AS n, MAX(duration_ms) AS d, MAX(cost_micros) AS c
        FROM tape WHERE ts > ? AND ts <= ? AND id <= ? AND ${f.sql} GROUP BY b, model`).all(lo, hi, upTo, ...f.params) as TickGroup[];
    },
    async page(after: number, upTo: number, limit: number, b: PageBounds = {}): Promise<SourcePage> {
      const extra: number[] = [];
      let sql = `SELECT * FROM tape WHERE id > ? AND id <= ? AND ${f.sql}`;
      if (b.since !== undefined) (sql += ' AND ts >= ?'), extra.push(b.since);
      if (b.until !== undefined) (sql += ' AND ts <= ?'), extra.push(b.until);
      const rows = db.prepare(`${sql} ORDER BY id LIMIT ?`).all(after, upTo, ...f.params, ...extra, limit) as CallRow[];
      const done = rows.length < limit;
      return { rows, cursor: done ? upTo : rows[rows.length - 1]!.id, done };
    },
    follow(from, onRows, onError, events) {
      const t = new Tailer(db, { path, fromId: from, filter, pollMs: o.pollMs, onRows, onError, onReplaced: events?.onReplaced }).start();
      return {
        get position() {
          return t.position;
        },
        stop: () => t.stop(),
      };
    },
    close: async () => close?.(),
  };
}
