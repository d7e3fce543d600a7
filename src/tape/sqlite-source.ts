/** The local tape behind the TapeSource interface: the existing queries and Tailer, unchanged. */
import { openReader } from './db.js';
import type { CallRow } from './row.js';
import { compileFilter } from './filter.js';
import { TapeQueries, lastId, firstIdSince } from './queries.js';
import { Tailer } from './tail.js';
import type { OpenSourceOptions, TapeSource, SourcePage, PageBounds } from './source.js';

export function openSqliteSource(path: string, o: OpenSourceOptions = {}): TapeSource {
  const db = openReader(path);
  const filter = o.filter ?? {};
  const f = compileFilter(filter);
  const queries = new TapeQueries(db, filter);
  return {
    kind: 'sqlite',
    label: path,
    readoutInputs: async (now, q) => queries.readoutInputs(now, { ...q, periods: q.periods ?? o.periods }),
    lastCursor: async () => lastId(db),
    cursorBefore: async (since) => firstIdSince(db, since) - 1,
    async page(after: number, upTo: number, limit: number, b: PageBounds = {}): Promise<SourcePage> {
      const extra: number[] = [];
      let sql = `SELECT * FROM tape WHERE id > ? AND id <= ? AND ${f.sql}`;
      if (b.since !== undefined) (sql += ' AND ts >= ?'), extra.push(b.since);
      if (b.until !== undefined) (sql += ' AND ts <= ?'), extra.push(b.until);
      const rows = db.prepare(`${sql} ORDER BY id LIMIT ?`).all(after, upTo, ...f.params, ...extra, limit) as CallRow[];
      const done = rows.length < limit;
      return { rows, cursor: done ? upTo : rows[rows.length - 1]!.id, done };
    },
    follow(from, onRows, onError) {
      const t = new Tailer(db, { path, fromId: from, filter, pollMs: o.pollMs, onRows, onError }).start();
      return { stop: () => t.stop() };
    },
    close: async () => {
      db.close();
    },
  };
}
