/**
 * One batch to the central tape: a single INSERT ... SELECT FROM unnest(...) (19 array
 * parameters whatever the batch size) with ON CONFLICT (host, id) DO NOTHING, so a re-sent
 * batch adds nothing. Rows that met an existing key are checked: the same key with different
 * content means two tapes ship under one host name, which would lose rows, so it stops.
 */
import type pg from 'pg';
import type { CallRow } from '../tape/row.js';
import { TapeError, ExitCode } from '../errors.js';

const COLUMNS: readonly (readonly [keyof CallRow | 'ts_ms', string])[] = [
  ['host', 'text'], ['id', 'bigint'], ['ts_ms', 'bigint'], ['project', 'text'], ['provider', 'text'], ['model', 'text'],
  ['input_tok', 'bigint'], ['output_tok', 'bigint'], ['cached_tok', 'bigint'], ['cache_write_tok', 'bigint'],
  ['cache_write_1h_tok', 'bigint'], ['duration_ms', 'bigint'], ['cost_micros', 'bigint'], ['price_version', 'text'],
  ['provider_cost_micros', 'bigint'], ['status', 'integer'], ['flags', 'integer'], ['request_id', 'text'], ['source', 'text'],
];

const NAMES = COLUMNS.map(([n]) => n).join(', ');
const ARRAYS = COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');

export const INSERT_SQL = `WITH ins AS (
  INSERT INTO tape (${NAMES}) SELECT * FROM unnest(${ARRAYS})
  ON CONFLICT (host, id) DO NOTHING RETURNING 1)
SELECT count(*)::int AS n FROM ins`;

const MISMATCH_SQL = `SELECT u.host, u.id::text AS id FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])
    AS u(host, id, ts_ms, model, request_id)
  JOIN tape t ON t.host = u.host AND t.id = u.id
  WHERE t.ts_ms <> u.ts_ms OR t.model <> u.model OR t.request_id IS DISTINCT FROM u.request_id LIMIT 1`;

/** Column arrays for the insert, in COLUMNS order. */
export function batchParams(rows: readonly CallRow[]): unknown[][] {
  const cols: unknown[][] = COLUMNS.map(() => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < COLUMNS.length; c++) {
      const name = COLUMNS[c]![0];
      cols[c]![r] = name === 'ts_ms' ? row.ts : row[name];
    }
  }
  return cols;
}

export type CrashPoint = 'before-send' | 'after-send' | 'after-commit';

/**
 * Sends rows in one transaction and commits; returns how many were new centrally.
 * `hook` runs at each crash point (fault injection in tests; a no-op otherwise).
 */
export async function sendBatch(c: pg.Client, rows: readonly CallRow[], hook: (p: CrashPoint) => void = () => undefined): Promise<number> {
  const params = batchParams(rows);
  hook('before-send');
  await c.query('BEGIN');
  try {
    const n = (await c.query<{ n: number }>(INSERT_SQL, params)).rows[0]!.n;
    if (n < rows.length) {
      const clash = await c.query<{ host: string; id: string }>(MISMATCH_SQL, [params[0], params[1], params[2], params[5], params[17]]);
      if (clash.rows.length) {
        const { host, id } = clash.rows[0]!;
        throw new TapeError(`the central tape already holds host "${host}" id ${id} with different content: two tapes ship under the same host name; give each box its own "host" in its config (nothing was shipped from this batch)`, ExitCode.failure);
      }
    }
    hook('after-send');
    await c.query('COMMIT');
    hook('after-commit');
    return n;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
