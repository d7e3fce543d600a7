/**
 * The organisation's tape: the central PostgreSQL table behind the TapeSource interface.
 * Rows come back as CallRow (local `id` and `host`, `ts` in epoch ms); the cursor is the
 * central `seq`. New rows arrive by LISTEN/NOTIFY (the insert trigger notifies inside the
 * shipping transaction) with a slow poll as the fallback, and the listener reconnects.
 */
import pg from 'pg';
import type { CallRow } from '../row.js';
import type { OpenSourceOptions, PageBounds, SourcePage, TapeSource, FollowHandle } from '../source.js';
import { TapeError, ExitCode } from '../../errors.js';
import { parsePgUrl, type PgTarget } from './connect.js';
import { backoffMs, classifyPgError } from './errors.js';
import { pgFilter } from './filter.js';
import { PgQueries } from './queries.js';
import { NOTIFY_CHANNEL, requireCentral } from './schema.js';

/** bigint and numeric as numbers: every value here is an integer below 2^53 */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export const ROW_COLUMNS = `seq, id, ts_ms AS ts, host, project, provider, model, input_tok, output_tok, cached_tok,
  cache_write_tok, cache_write_1h_tok, duration_ms, cost_micros, price_version, provider_cost_micros, status, flags, request_id, source`;

type SeqRow = CallRow & { seq?: number };

function strip(rows: SeqRow[]): CallRow[] {
  for (const r of rows) delete r.seq;
  return rows;
}

function fail(err: unknown, target: PgTarget): never {
  if (err instanceof TapeError) throw err;
  const f = classifyPgError(err, target);
  throw new TapeError(`reading the central tape ${target.redacted} failed: ${f.message}`, f.transient ? ExitCode.unavailable : ExitCode.failure);
}

export async function openPgSource(url: string, o: OpenSourceOptions = {}): Promise<TapeSource> {
  const target = parsePgUrl(url, o.env ?? process.env, 'tape reader');
  const config = { ...target.config, types: TYPES };
  const pool = new pg.Pool({ ...config, max: 4, idleTimeoutMillis: 30_000 });
  pool.on('error', () => undefined); // an idle client died: the pool replaces it
  try {
    await requireCentral(pool, target.redacted);
  } catch (err) {
    await pool.end().catch(() => undefined);
    fail(err, target);
  }
  const filter = o.filter ?? {};
  const queries = new PgQueries(pool, filter);
  const f = pgFilter(filter, 0);
  const k = f.params.length;
  return {
    kind: 'postgres',
    label: target.redacted,
    readoutInputs: (now, q) => queries.readoutInputs(now, q).catch((err) => fail(err, target)),
    async lastCursor() {
      const r = await pool.query('SELECT COALESCE(max(seq), 0) AS n FROM tape').catch((err) => fail(err, target));
      return r.rows[0].n as number;
    },
    async cursorBefore(since) {
      const r = await pool.query('SELECT min(seq) AS s, (SELECT COALESCE(max(seq), 0) FROM tape) AS top FROM tape WHERE ts_ms >= $1', [since]).catch((err) => fail(err, target));
      const { s, top } = r.rows[0] as { s: number | null; top: number };
      return s === null ? top : s - 1;
    },
    async page(after: number, upTo: number, limit: number, b: PageBounds = {}): Promise<SourcePage> {
      const args: unknown[] = [...f.params, after, upTo];
      let sql = `SELECT ${ROW_COLUMNS} FROM tape WHERE ${f.sql} AND seq > $${k + 1} AND seq <= $${k + 2}`;
      if (b.since !== undefined) sql += ` AND ts_ms >= $${args.push(b.since)}`;
      if (b.until !== undefined) sql += ` AND ts_ms <= $${args.push(b.until)}`;
      const r = await pool.query(`${sql} ORDER BY seq LIMIT $${args.push(limit)}`, args).catch((err) => fail(err, target));
      const rows = r.rows as SeqRow[];
      const done = rows.length < limit;
      const cursor = done ? upTo : rows[rows.length - 1]!.seq!;
      return { rows: strip(rows), cursor, done };
    },
    follow: (from, onRows, onError) => followCentral(pool, config, target, from, f.empty ? null : f.matches, onRows, onError, o.pollMs ?? 1000),
    close: () => pool.end(),
  };
}

/** Follows new rows by `seq`: woken by NOTIFY, polled as a fallback, never overlapping reads. */
function followCentral(
  pool: pg.Pool, config: pg.ClientConfig, target: PgTarget, from: number, matches: ((r: CallRow) => boolean) | null,
  onRows: (rows: CallRow[]) => void, onError: (err: Error) => void, pollMs: number,
): FollowHandle {
  let cursor = from;
  let stopped = false;
  let running = false;
  let again = false;
  let listener: pg.Client | null = null;
  let attempt = 0;
  let lastError = '';
  const LIMIT = 2000;
  const report = (err: unknown) => {
    const msg = classifyPgError(err, target).message;
    if (msg !== lastError) onError(new Error(`${target.redacted}: ${msg}`));
    lastError = msg;
  };
  const drain = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        for (;;) {
          const r = await pool.query(`SELECT ${ROW_COLUMNS} FROM tape WHERE seq > $1 ORDER BY seq LIMIT ${LIMIT}`, [cursor]);
          const rows = r.rows as SeqRow[];
          if (rows.length === 0 || stopped) break;
          cursor = rows[rows.length - 1]!.seq!;
          const kept = strip(matches ? rows.filter(matches) : rows);
          if (kept.length) onRows(kept);
          if (rows.length < LIMIT) break;
        }
      } while (again && !stopped);
      lastError = '';
    } catch (err) {
      report(err);
    } finally {
      running = false;
    }
  };
  const listen = async (): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client(config);
    c.on('notification', () => void drain());
    c.on('error', () => {
      if (listener === c) listener = null;
      void c.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void listen(), backoffMs(attempt++)).unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
      if (stopped) return void c.end().catch(() => undefined);
      listener = c;
      attempt = 0;
      void drain(); // rows committed while the listener was down
    } catch (err) {
      report(err);
      void c.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void listen(), backoffMs(attempt++)).unref();
    }
  };
  void listen();
  const timer = setInterval(() => void drain(), pollMs);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      void listener?.end().catch(() => undefined);
      listener = null;
    },
  };
}
