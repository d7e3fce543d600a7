import { FAST_ROLLUPS_SQL } from './rollups.js';

/** Schema of the tape file. `user_version` carries the version; `application_id` says "this is a tape". */

/** 'TAPE' in ASCII: a file without it is not ours, and is never migrated. */
export const APPLICATION_ID = 0x54415045;
export const SCHEMA_VERSION = 5;
/** SQLite before 3.51.3 can corrupt a WAL database when a checkpoint races a reset. */
export const MIN_SQLITE = [3, 51, 3] as const;

/** Migrations, indexed by the version they produce. Each runs inside one transaction. */
export const MIGRATIONS: Record<number, string> = {
  1: `
CREATE TABLE tape (
  id                   INTEGER PRIMARY KEY,
  ts                   INTEGER NOT NULL,
  host                 TEXT    NOT NULL,
  project              TEXT    NOT NULL,
  provider             TEXT    NOT NULL,
  model                TEXT    NOT NULL,
  input_tok            INTEGER NOT NULL,
  output_tok           INTEGER NOT NULL,
  cached_tok           INTEGER NOT NULL DEFAULT 0,
  cache_write_tok      INTEGER NOT NULL DEFAULT 0,
  cache_write_1h_tok   INTEGER NOT NULL DEFAULT 0,
  duration_ms          INTEGER NOT NULL,
  cost_micros          INTEGER,
  price_version        TEXT    NOT NULL,
  provider_cost_micros INTEGER,
  status               INTEGER NOT NULL,
  flags                INTEGER NOT NULL DEFAULT 0,
  request_id           TEXT UNIQUE,
  source               TEXT    NOT NULL
);
-- (ts, cost_micros, project) covers the run-rate, window and top-n queries without touching the table.
-- No (project, ts) index: per-project figures over long windows read rollup_hour, short ones this index,
-- and a third index on every append cost a quarter of the write rate for no query.
CREATE INDEX tape_ts ON tape (ts, cost_micros, project);

-- append-only, enforced by the database for every connection, ours or not
CREATE TRIGGER tape_no_update BEFORE UPDATE ON tape
BEGIN SELECT RAISE(ABORT, 'tape is append-only: rows cannot be updated'); END;
CREATE TRIGGER tape_no_delete BEFORE DELETE ON tape
BEGIN SELECT RAISE(ABORT, 'tape is append-only: rows cannot be deleted'); END;
-- INSERT OR REPLACE deletes the old row without firing delete triggers: refuse it up front
CREATE TRIGGER tape_no_replace BEFORE INSERT ON tape
WHEN (NEW.id >= 0 AND EXISTS (SELECT 1 FROM tape WHERE id = NEW.id))
  OR (NEW.request_id IS NOT NULL AND EXISTS (SELECT 1 FROM tape WHERE request_id = NEW.request_id))
BEGIN SELECT RAISE(ABORT, 'tape is append-only: an insert may not replace an existing row'); END;

-- hourly rollup, kept by the writer in the same transaction as every append (one upsert per
-- (hour, project, provider, model) per batch, not per row); the tape never changes, so it never goes stale
CREATE TABLE rollup_hour (
  hour            INTEGER NOT NULL,
  project         TEXT    NOT NULL,
  provider        TEXT    NOT NULL,
  model           TEXT    NOT NULL,
  calls           INTEGER NOT NULL,
  cost_micros     INTEGER NOT NULL,
  unpriced_calls  INTEGER NOT NULL,
  error_calls     INTEGER NOT NULL,
  flagged_calls   INTEGER NOT NULL,
  input_tok       INTEGER NOT NULL,
  output_tok      INTEGER NOT NULL,
  cached_tok      INTEGER NOT NULL,
  cache_write_tok INTEGER NOT NULL,
  PRIMARY KEY (hour, project, provider, model)
) WITHOUT ROWID;

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`,
  // what providers billed (tape reconcile): append-only like the tape. A file is known by its sha256,
  // so importing it again adds nothing; a line by (file, entry) and by its natural key (provider,
  // period, model, project, item; or the call id), so two overlapping exports count once.
  2: `
CREATE TABLE invoice_file (
  id            INTEGER PRIMARY KEY,
  sha256        TEXT    NOT NULL UNIQUE,
  name          TEXT    NOT NULL,
  format        TEXT    NOT NULL,
  imported_at   INTEGER NOT NULL,
  lines         INTEGER NOT NULL,
  added         INTEGER NOT NULL,
  price_version TEXT    NOT NULL
);
CREATE TABLE invoice_line (
  file_id     INTEGER NOT NULL,            -- invoice_file.id (written after its lines, with their count)
  seq         INTEGER NOT NULL,            -- entry number in the file, from 1
  line        INTEGER NOT NULL,
  start_ms    INTEGER NOT NULL,
  end_ms      INTEGER NOT NULL,
  provider    TEXT    NOT NULL,
  model       TEXT    NOT NULL,
  project     TEXT    NOT NULL,
  item        TEXT    NOT NULL,
  request_id  TEXT,
  cost_micros INTEGER NOT NULL,
  natural_key TEXT    NOT NULL UNIQUE,
  PRIMARY KEY (file_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER invoice_file_no_update BEFORE UPDATE ON invoice_file
BEGIN SELECT RAISE(ABORT, 'invoices are append-only: rows cannot be updated'); END;
CREATE TRIGGER invoice_file_no_delete BEFORE DELETE ON invoice_file
BEGIN SELECT RAISE(ABORT, 'invoices are append-only: rows cannot be deleted'); END;
CREATE TRIGGER invoice_file_no_replace BEFORE INSERT ON invoice_file
WHEN EXISTS (SELECT 1 FROM invoice_file WHERE id = NEW.id OR sha256 = NEW.sha256)
BEGIN SELECT RAISE(ABORT, 'invoices are append-only: an insert may not replace an existing row'); END;
CREATE TRIGGER invoice_line_no_update BEFORE UPDATE ON invoice_line
BEGIN SELECT RAISE(ABORT, 'invoices are append-only: rows cannot be updated'); END;
CREATE TRIGGER invoice_line_no_delete BEFORE DELETE ON invoice_line
BEGIN SELECT RAISE(ABORT, 'invoices are append-only: rows cannot be deleted'); END;
CREATE TRIGGER invoice_line_no_replace BEFORE INSERT ON invoice_line
WHEN EXISTS (SELECT 1 FROM invoice_line WHERE file_id = NEW.file_id AND seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'invoices are append-only: an insert may not replace an existing row'); END;
-- a line already billed by an overlapping export is skipped, never counted twice nor replaced
CREATE TRIGGER invoice_line_overlap BEFORE INSERT ON invoice_line
WHEN EXISTS (SELECT 1 FROM invoice_line WHERE natural_key = NEW.natural_key)
BEGIN SELECT RAISE(IGNORE); END;

-- billed per (provider, period, format, model, project), kept by the importer in the same transaction
-- (like rollup_hour): the variance band reads this, never the lines. Calls count in their UTC day.
-- Two kinds of export for the same days (an API report and a Console CSV) are never added up:
-- readers take one format per provider and period.
CREATE TABLE invoice_rollup (
  provider     TEXT    NOT NULL,
  format       TEXT    NOT NULL,
  start_ms     INTEGER NOT NULL,
  end_ms       INTEGER NOT NULL,
  model        TEXT    NOT NULL,
  project      TEXT    NOT NULL,
  lines        INTEGER NOT NULL,
  billed_micros INTEGER NOT NULL,
  calls        INTEGER NOT NULL,
  first_call_ms INTEGER,
  last_call_ms  INTEGER,
  PRIMARY KEY (provider, start_ms, end_ms, format, model, project)
) WITHOUT ROWID;
`,
  // minute/hour/day totals and minute x project sums, filled from the rows already on the tape
  // (src/tape/rollups.ts): readouts over any window then cost the same on 10 million rows as on 10
  3: FAST_ROLLUPS_SQL,
  // one guard on invoice_line instead of two: the same two checks, one trigger program per line
  // (each BEFORE INSERT trigger copies the new row and runs its own sub-program; two of them were
  // a quarter of the time to store a 1M-line bill)
  4: `
DROP TRIGGER invoice_line_no_replace;
DROP TRIGGER invoice_line_overlap;
CREATE TRIGGER invoice_line_guard BEFORE INSERT ON invoice_line
BEGIN
  SELECT RAISE(ABORT, 'invoices are append-only: an insert may not replace an existing row')
    WHERE EXISTS (SELECT 1 FROM invoice_line WHERE file_id = NEW.file_id AND seq = NEW.seq);
  -- a line already billed by an overlapping export is skipped, never counted twice nor replaced
  SELECT RAISE(IGNORE) WHERE EXISTS (SELECT 1 FROM invoice_line WHERE natural_key = NEW.natural_key);
END;
`,
  // a bucket billed again with another amount (a month exported mid-day, then complete): the export
  // imported last wins, without touching a stored line. The revising line is a new line whose
  // natural key is the bucket's plus the file's id, and whose bucket_key names the bucket (the natural
  // key of the bucket's first line, as stored since v2); bucket_key is NULL on first lines and calls.
  // A bucket's amount is its latest revision, or its first line when it has none; the importer moves
  // invoice_rollup by (new - old) in the same transaction. Lines stored before v5 stay as they are:
  // they are first lines. The index holds revisions only, so per-call imports do not pay for it.
  5: `
ALTER TABLE invoice_line ADD COLUMN bucket_key TEXT;
CREATE INDEX invoice_line_bucket ON invoice_line (bucket_key, file_id, seq) WHERE bucket_key IS NOT NULL;
-- how many of a file's lines superseded an earlier export's amount for their bucket
ALTER TABLE invoice_file ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
`,
};
