/**
 * The central tape in PostgreSQL: the local columns keyed by (host, id), `ts` as TIMESTAMPTZ
 * beside `ts_ms`, a global cursor `seq` assigned on insert, an hourly rollup (with host) and a
 * NOTIFY kept by a statement trigger in the inserting transaction, so any writer keeps them right.
 */
import type pg from 'pg';
import { TapeError, ExitCode } from '../../errors.js';

export const CENTRAL_APPLICATION = 'tape';
export const CENTRAL_SCHEMA_VERSION = 3;
/** NOTIFY channel; the payload is the highest `seq` of the committed statement */
export const NOTIFY_CHANNEL = 'tape_rows';

/** Migrations by the version they produce; each runs in the init transaction. */
export const CENTRAL_MIGRATIONS: Record<number, string> = {
  1: `
CREATE TABLE tape_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE tape (
  host                 TEXT    NOT NULL,
  id                   BIGINT  NOT NULL,
  seq                  BIGINT  GENERATED ALWAYS AS IDENTITY,
  ts_ms                BIGINT  NOT NULL,
  ts                   TIMESTAMPTZ GENERATED ALWAYS AS (to_timestamp(ts_ms::double precision / 1000)) STORED,
  project              TEXT    NOT NULL,
  provider             TEXT    NOT NULL,
  model                TEXT    NOT NULL,
  input_tok            BIGINT  NOT NULL,
  output_tok           BIGINT  NOT NULL,
  cached_tok           BIGINT  NOT NULL DEFAULT 0,
  cache_write_tok      BIGINT  NOT NULL DEFAULT 0,
  cache_write_1h_tok   BIGINT  NOT NULL DEFAULT 0,
  duration_ms          BIGINT  NOT NULL,
  cost_micros          BIGINT,
  price_version        TEXT    NOT NULL,
  provider_cost_micros BIGINT,
  status               INTEGER NOT NULL,
  flags                INTEGER NOT NULL DEFAULT 0,
  request_id           TEXT,
  source               TEXT    NOT NULL,
  PRIMARY KEY (host, id)
);
CREATE UNIQUE INDEX tape_seq ON tape (seq);
CREATE INDEX tape_ts ON tape (ts_ms) INCLUDE (cost_micros, project, host);
CREATE INDEX tape_request_id ON tape (request_id) WHERE request_id IS NOT NULL;

CREATE TABLE rollup_hour (
  hour            BIGINT NOT NULL,
  host            TEXT   NOT NULL,
  project         TEXT   NOT NULL,
  provider        TEXT   NOT NULL,
  model           TEXT   NOT NULL,
  calls           BIGINT NOT NULL,
  cost_micros     BIGINT NOT NULL,
  unpriced_calls  BIGINT NOT NULL,
  error_calls     BIGINT NOT NULL,
  flagged_calls   BIGINT NOT NULL,
  input_tok       BIGINT NOT NULL,
  output_tok      BIGINT NOT NULL,
  cached_tok      BIGINT NOT NULL,
  cache_write_tok BIGINT NOT NULL,
  PRIMARY KEY (hour, host, project, provider, model)
);

CREATE FUNCTION tape_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'tape is append-only: rows cannot be updated or deleted' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER tape_no_change BEFORE UPDATE OR DELETE ON tape FOR EACH ROW EXECUTE FUNCTION tape_append_only();
CREATE TRIGGER tape_no_truncate BEFORE TRUNCATE ON tape FOR EACH STATEMENT EXECUTE FUNCTION tape_append_only();

-- inserts are serialised (a transaction-scoped advisory lock taken before any seq is drawn), so
-- seq commits in order and a reader's "seq > cursor" never skips a row that commits late
CREATE FUNCTION tape_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7365871286301);
  RETURN NULL;
END $$;
CREATE TRIGGER tape_order BEFORE INSERT ON tape FOR EACH STATEMENT EXECUTE FUNCTION tape_before_insert();

-- the rollup and the notification, in the inserting transaction; only rows really inserted
-- (ON CONFLICT DO NOTHING leaves re-sent rows out of the transition table)
CREATE FUNCTION tape_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE top BIGINT;
BEGIN
  SELECT max(seq) INTO top FROM new_rows;
  IF top IS NULL THEN RETURN NULL; END IF;
  INSERT INTO rollup_hour AS r (hour, host, project, provider, model, calls, cost_micros, unpriced_calls,
      error_calls, flagged_calls, input_tok, output_tok, cached_tok, cache_write_tok)
    SELECT ts_ms - ts_ms % 3600000, host, project, provider, model, count(*), COALESCE(sum(cost_micros), 0),
      count(*) FILTER (WHERE cost_micros IS NULL), count(*) FILTER (WHERE status >= 400),
      count(*) FILTER (WHERE flags <> 0), sum(input_tok), sum(output_tok), sum(cached_tok), sum(cache_write_tok)
    FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (hour, host, project, provider, model) DO UPDATE SET
    calls = r.calls + excluded.calls, cost_micros = r.cost_micros + excluded.cost_micros,
    unpriced_calls = r.unpriced_calls + excluded.unpriced_calls, error_calls = r.error_calls + excluded.error_calls,
    flagged_calls = r.flagged_calls + excluded.flagged_calls, input_tok = r.input_tok + excluded.input_tok,
    output_tok = r.output_tok + excluded.output_tok, cached_tok = r.cached_tok + excluded.cached_tok,
    cache_write_tok = r.cache_write_tok + excluded.cache_write_tok;
  PERFORM pg_notify('${NOTIFY_CHANNEL}', top::text);
  RETURN NULL;
END $$;
CREATE TRIGGER tape_rollup AFTER INSERT ON tape REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tape_after_insert();
`,
  // what providers billed (tape reconcile --db postgres://...), beside the organisation's tape:
  // append-only like the local invoice tables. A file is known by its sha256 (importing it again
  // adds nothing); a line by (file, entry) and by its natural key (the call id, or provider, period,
  // model, project, item), which is UNIQUE: two overlapping exports count once, whoever writes.
  // invoice_rollup is kept by the importer in the same transaction (src/reconcile/central.ts).
  2: `
CREATE TABLE invoice_file (
  id            BIGINT  PRIMARY KEY,
  sha256        TEXT    NOT NULL UNIQUE,
  name          TEXT    NOT NULL,
  format        TEXT    NOT NULL,
  imported_at   BIGINT  NOT NULL,
  lines         BIGINT  NOT NULL,
  added         BIGINT  NOT NULL,
  price_version TEXT    NOT NULL,
  imported_by   TEXT    NOT NULL DEFAULT current_user
);
CREATE TABLE invoice_line (
  file_id     BIGINT  NOT NULL REFERENCES invoice_file (id) DEFERRABLE INITIALLY DEFERRED,
  seq         BIGINT  NOT NULL,
  line        BIGINT  NOT NULL,
  start_ms    BIGINT  NOT NULL,
  end_ms      BIGINT  NOT NULL,
  provider    TEXT    NOT NULL,
  model       TEXT    NOT NULL,
  project     TEXT    NOT NULL,
  item        TEXT    NOT NULL,
  request_id  TEXT,
  cost_micros BIGINT  NOT NULL,
  natural_key TEXT    NOT NULL UNIQUE,
  PRIMARY KEY (file_id, seq)
);
CREATE TABLE invoice_rollup (
  provider      TEXT   NOT NULL,
  format        TEXT   NOT NULL,
  start_ms      BIGINT NOT NULL,
  end_ms        BIGINT NOT NULL,
  model         TEXT   NOT NULL,
  project       TEXT   NOT NULL,
  lines         BIGINT NOT NULL,
  billed_micros BIGINT NOT NULL,
  calls         BIGINT NOT NULL,
  first_call_ms BIGINT,
  last_call_ms  BIGINT,
  PRIMARY KEY (provider, start_ms, end_ms, format, model, project)
);
CREATE FUNCTION invoice_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'invoices are append-only: rows cannot be updated or deleted' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER invoice_file_no_change BEFORE UPDATE OR DELETE ON invoice_file FOR EACH ROW EXECUTE FUNCTION invoice_append_only();
CREATE TRIGGER invoice_file_no_truncate BEFORE TRUNCATE ON invoice_file FOR EACH STATEMENT EXECUTE FUNCTION invoice_append_only();
CREATE TRIGGER invoice_line_no_change BEFORE UPDATE OR DELETE ON invoice_line FOR EACH ROW EXECUTE FUNCTION invoice_append_only();
CREATE TRIGGER invoice_line_no_truncate BEFORE TRUNCATE ON invoice_line FOR EACH STATEMENT EXECUTE FUNCTION invoice_append_only();
`,
  // a bucket billed again with another amount: the export imported last wins, as in the local
  // schema v5 (src/tape/schema.ts), without touching a stored line. A revising line's natural key is
  // the bucket's plus the file id, and its bucket_key names the bucket (the natural key of the
  // bucket's first line); NULL on first lines and calls, so lines stored under v2 stay first lines.
  3: `
ALTER TABLE invoice_line ADD COLUMN bucket_key TEXT;
CREATE INDEX invoice_line_bucket ON invoice_line (bucket_key, file_id DESC, seq DESC) WHERE bucket_key IS NOT NULL;
ALTER TABLE invoice_file ADD COLUMN superseded BIGINT NOT NULL DEFAULT 0;
`,
};

/** Advisory lock that serialises bill imports into the central invoice tables. */
export const INVOICE_IMPORT_LOCK = 7365871286303;

type Queryable = Pick<pg.Client, 'query'>;

/** The schema version found, 0 for an empty database; throws for a foreign or newer one. */
export async function centralVersion(c: Queryable, label: string): Promise<number> {
  const r = await c.query<{ meta: string | null; tape: string | null }>(`SELECT to_regclass('tape_meta')::text AS meta, to_regclass('tape')::text AS tape`);
  const { meta, tape } = r.rows[0]!;
  if (!meta) {
    if (tape) throw new TapeError(`${label} has a table "tape" that tape did not create (no tape_meta); use another database or schema`, ExitCode.foreignTape);
    return 0;
  }
  const rows = (await c.query<{ key: string; value: string }>('SELECT key, value FROM tape_meta')).rows;
  const get = (k: string) => rows.find((x) => x.key === k)?.value;
  if (get('application') !== CENTRAL_APPLICATION) {
    throw new TapeError(`${label} holds a foreign tape_meta table (application ${JSON.stringify(get('application') ?? null)}); use another database`, ExitCode.foreignTape);
  }
  const v = Number(get('schema_version'));
  if (!Number.isInteger(v) || v < 1) throw new TapeError(`${label}: tape_meta has no valid schema_version; fix it by hand or use another database`, ExitCode.foreignTape);
  if (v > CENTRAL_SCHEMA_VERSION) {
    throw new TapeError(`${label} has central schema v${v}, newer than this tape knows (v${CENTRAL_SCHEMA_VERSION}); upgrade tape`, ExitCode.foreignTape);
  }
  return v;
}

/** Creates or migrates the central schema in one transaction; returns [from, to]. */
export async function initCentral(c: Queryable, label: string): Promise<[number, number]> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock(7365871286302)');
    const from = await centralVersion(c, label);
    for (let v = from + 1; v <= CENTRAL_SCHEMA_VERSION; v++) await c.query(CENTRAL_MIGRATIONS[v]!);
    await c.query(`INSERT INTO tape_meta (key, value) VALUES ('application', $1), ('schema_version', $2)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [CENTRAL_APPLICATION, String(CENTRAL_SCHEMA_VERSION)]);
    await c.query('COMMIT');
    return [from, CENTRAL_SCHEMA_VERSION];
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** For shippers and readers: the schema must be exactly ours. */
export async function requireCentral(c: Queryable, label: string): Promise<void> {
  const v = await centralVersion(c, label);
  if (v === 0) throw new TapeError(`${label} has no central tape yet; run \`tape ship --init\` once to create it`, ExitCode.noTape);
  if (v < CENTRAL_SCHEMA_VERSION) throw new TapeError(`${label} has central schema v${v}; run \`tape ship --init\` to migrate it to v${CENTRAL_SCHEMA_VERSION}`, ExitCode.foreignTape);
}
