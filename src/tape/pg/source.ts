/**
 * The organisation's tape: the central PostgreSQL table behind the TapeSource interface.
 * Rows come back as CallRow (local `id` and `host`, `ts` in epoch ms); the cursor is the
 * central `seq`. New rows arrive by LISTEN/NOTIFY (the insert trigger notifies inside the
 * shipping transaction) with a slow poll as the fallback, and the listener reconnects.
 */
import pg from 'pg';
import type { CallRow } from '../row.js';
import type { OpenSourceOptions, PageBounds, SourcePage, TapeSource, FollowHandle, FollowEvents, TickGroup } from '../source.js';
import type { RowFilter } from '../filter.js';
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
  const message = f.message.includes(target.redacted) ? f.message : `reading the central tape ${target.redacted} failed: ${f.message}`;
  throw new TapeError(message, f.transient ? ExitCode.unavailable : ExitCode.failure);
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
  let closed: Promise<void> | null = null;
  const close = () => (closed ??= pool.end().catch(() => undefined));
  return pgView(pool, config, target, o, o.filter ?? {}, close);
}

/** how far back (in seq) the newest rows are looked for while following */
const LOOK_BACK = 100_000;

function pgView(pool: pg.Pool, config: pg.ClientConfig, target: PgTarget, o: OpenSourceOptions, filter: RowFilter, close: (() => Promise<void>) | null): TapeSource {
  const queries = new PgQueries(pool, filter, o.centralPeriods ?? null);
  const f = pgFilter(filter, 0);
  const k = f.params.length;
  const query = (sql: string, args: unknown[]) => pool.query(sql, [...f.params, ...args]).catch((err) => fail(err, target));
  return {
    kind: 'postgres',
    label: target.redacted,
    manyHosts: true,
    withFilter: (next) => pgView(pool, config, target, o, next, null),
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
    async latest(limit, at) {
      const r =
        'upTo' in at
          ? await query(`SELECT ${ROW_COLUMNS} FROM tape WHERE ${f.sql} AND seq > $${k + 1} AND seq <= $${k + 2} ORDER BY seq DESC LIMIT $${k + 3}`, [Math.max(0, at.upTo - LOOK_BACK), at.upTo, limit])
          : await query(`SELECT ${ROW_COLUMNS} FROM tape WHERE ${f.sql} AND ts_ms <= $${k + 1} ORDER BY ts_ms DESC, seq DESC LIMIT $${k + 2}`, [at.until, limit]);
      return strip(r.rows as SeqRow[]);
    },
    async tickGroups(lo, hi, upTo, bucketMs) {
      const r = await query(
        `SELECT ts_ms / ${Math.trunc(bucketMs)} AS b, model, count(*) AS n, max(duration_ms) AS d, max(cost_micros) AS c
          FROM tape WHERE ${f.sql} AND ts_ms > $${k + 1} AND ts_ms <= $${k + 2} AND seq <= $${k + 3} GROUP BY b, model`,
        [lo, hi, upTo],
      );
      return r.rows as TickGroup[];
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
    follow: (from, onRows, onError, events) =>
      followCentral({ pool, config, target, from, matches: f.empty ? null : f.matches, onRows, onError, events: events ?? {}, pollMs: o.pollMs ?? 1000 }),
    close: async () => {
      if (close) await close();
    },
  };
}

/** a reader retries at least this often while the server is away, so it catches up soon after */
const RETRY_CAP_MS = 5000;

interface FollowOptions {
  readonly pool: pg.Pool;
  readonly config: pg.ClientConfig;
  readonly target: PgTarget;
  readonly from: number;
  readonly matches: ((r: CallRow) => boolean) | null;
  readonly onRows: (rows: CallRow[]) => void;
  readonly onError: (err: Error) => void;
  readonly events: FollowEvents;
  readonly pollMs: number;
}

/**
 * Follows new rows by `seq`: woken by NOTIFY, polled as a fallback, never overlapping reads.
 * When the server goes away, the poll and the listener retry with backoff and jitter (the
 * first error is reported once, recovery too), and reading resumes from the cursor.
 */
function followCentral(o: FollowOptions): FollowHandle {
  const { pool, config, target } = o;
  let cursor = o.from;
  let stopped = false;
  let running = false;
  let again = false;
  let listener: pg.Client | null = null;
  let listenAttempt = 0;
  let failures = 0;
  let lastError = '';
  let timer: NodeJS.Timeout | null = null;
  const LIMIT = 2000;
  const report = (err: unknown) => {
    failures++;
    const msg = classifyPgError(err, target).message;
    if (msg !== lastError) o.onError(new Error(msg));
    lastError = msg;
  };
  const recovered = () => {
    failures = 0;
    if (!lastError) return;
    lastError = '';
    o.events.onRecovered?.();
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
          if (stopped) break;
          const rows = r.rows as SeqRow[];
          recovered();
          if (rows.length === 0) break;
          cursor = rows[rows.length - 1]!.seq!;
          const kept = strip(o.matches ? rows.filter(o.matches) : rows);
          if (kept.length) o.onRows(kept);
          if (rows.length < LIMIT) break;
        }
      } while (again && !stopped);
    } catch (err) {
      if (!stopped) report(err);
    } finally {
      running = false;
    }
  };
  // the fallback poll: every pollMs while reads work, backing off while they fail
  const poll = () => {
    timer = null;
    if (stopped) return;
    void drain().finally(() => {
      if (!stopped) timer = setTimeout(poll, failures ? Math.max(o.pollMs, backoffMs(failures, Math.random, 250, RETRY_CAP_MS)) : o.pollMs);
    });
  };
  const listen = async (): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client(config);
    let gone = false;
    // the listening connection broke (once per client, however it ends): reconnect with backoff
    const relisten = () => {
      if (gone) return;
      gone = true;
      if (listener === c) listener = null;
      void c.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void listen(), backoffMs(listenAttempt++, Math.random, 250, RETRY_CAP_MS)).unref();
    };
    c.on('notification', () => void drain());
    c.on('error', relisten);
    c.on('end', relisten);
    try {
      await c.connect();
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
      if (stopped) return void c.end().catch(() => undefined);
      listener = c;
      listenAttempt = 0;
      void drain(); // rows committed while the listener was down
    } catch (err) {
      if (!stopped) report(err);
      relisten();
    }
  };
  void listen();
  timer = setTimeout(poll, o.pollMs);
  return {
    get position() {
      return cursor;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      void listener?.end().catch(() => undefined);
      listener = null;
    },
  };
}
