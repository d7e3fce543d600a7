import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTape, tempDir, call } from '../helpers/tape.js';
import { openReader, openWriter } from '../../src/tape/db.js';
import { TapeError, ExitCode } from '../../src/errors.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/tape/schema.js';
import { Flag } from '../../src/tape/row.js';

const T0 = Date.UTC(2026, 11, 3, 18, 0, 0);

function expectTapeError(fn: () => unknown, code: number, re: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof TapeError && err.exitCode === code && re.test(err.message));
}

describe('the tape is append-only, for every connection', () => {
  const t = tempTape();
  after(() => t.close());
  t.writer.appendBatch([call({ ts: T0, request_id: 'req-1' }), call({ ts: T0 + 1 })]);

  it('rejects UPDATE and DELETE through our connection', () => {
    assert.throws(() => t.db.prepare('UPDATE tape SET cost_micros = 0').run(), /append-only/);
    assert.throws(() => t.db.prepare('DELETE FROM tape').run(), /append-only/);
  });

  it('rejects UPDATE, DELETE and INSERT OR REPLACE through a second plain SQLite connection', () => {
    const other = new Database(t.path);
    try {
      assert.throws(() => other.prepare('UPDATE tape SET model = ? WHERE id = 1').run('x'), /append-only/);
      assert.throws(() => other.prepare('DELETE FROM tape WHERE id = 1').run(), /append-only/);
      const cols = 'ts, host, project, provider, model, input_tok, output_tok, duration_ms, price_version, status, source';
      assert.throws(() => other.prepare(`INSERT OR REPLACE INTO tape (id, ${cols}) VALUES (1, 0, 'h', 'p', 'x', 'm', 0, 0, 0, 'v', 200, 's')`).run(), /append-only/);
      assert.throws(() => other.prepare(`REPLACE INTO tape (request_id, ${cols}) VALUES ('req-1', 0, 'h', 'p', 'x', 'm', 0, 0, 0, 'v', 200, 's')`).run(), /append-only/);
      assert.equal((other.prepare('SELECT count(*) AS n FROM tape').get() as { n: number }).n, 2);
      assert.equal((other.prepare('SELECT model FROM tape WHERE id = 1').get() as { model: string }).model, 'claude-haiku-4-5');
    } finally {
      other.close();
    }
  });

  it('gives ids in arrival order and never reuses them', () => {
    const r = t.writer.appendBatch([call({ ts: T0 - 5000 }), call({ ts: T0 + 99 })]);
    assert.deepEqual(r.ids, [3, 4]);
  });
});

describe('the writer', () => {
  it('prices rows at insertion and stores unknown models as NULL, never 0', () => {
    const t = tempTape();
    try {
      t.writer.appendBatch([call({ ts: T0, model: 'claude-haiku-4-5', input_tok: 1_000_000, output_tok: 0 }), call({ ts: T0, model: 'no-such-model-xyz' })]);
      const rows = t.db.prepare('SELECT cost_micros, price_version FROM tape ORDER BY id').all() as { cost_micros: number | null; price_version: string }[];
      assert.equal(rows[0]!.cost_micros, 1_000_000);
      assert.equal(rows[1]!.cost_micros, null);
      assert.match(rows[1]!.price_version, /^genai-prices@\d+\.\d+\.\d+$/);
    } finally {
      t.close();
    }
  });

  it('keeps a given cost and price version', () => {
    const t = tempTape();
    try {
      t.writer.appendBatch([call({ ts: T0, cost_micros: 42, price_version: 'old@1' })]);
      assert.deepEqual(t.db.prepare('SELECT cost_micros, price_version FROM tape').get(), { cost_micros: 42, price_version: 'old@1' });
    } finally {
      t.close();
    }
  });

  it('adds nothing for a request_id already on the tape, within a batch or across batches', () => {
    const t = tempTape();
    try {
      const a = t.writer.appendBatch([call({ ts: T0, request_id: 'r1' }), call({ ts: T0, request_id: 'r1' })]);
      const b = t.writer.appendBatch([call({ ts: T0, request_id: 'r1' }), call({ ts: T0, request_id: 'r2' })]);
      assert.deepEqual([a.inserted, a.duplicates, b.inserted, b.duplicates], [1, 1, 1, 1]);
      assert.deepEqual(b.ids, [null, 2]);
    } finally {
      t.close();
    }
  });

  it('writes nothing of a batch with one invalid row', () => {
    const t = tempTape();
    try {
      expectTapeError(() => t.writer.appendBatch([call({ ts: T0 }), call({ ts: T0, cached_tok: 5000 })]), ExitCode.badInput, /row 2: cached_tok/);
      assert.equal(t.db.prepare('SELECT count(*) FROM tape').pluck().get(), 0);
    } finally {
      t.close();
    }
  });

  it('group-commits queued rows and resolves each with its id', async () => {
    const t = tempTape();
    try {
      const ids = await Promise.all([1, 2, 3].map((i) => t.writer.append(call({ ts: T0 + i }))));
      assert.deepEqual(ids, [1, 2, 3]);
    } finally {
      t.close();
    }
  });

  it('keeps the hourly rollup equal to the tape', () => {
    const t = tempTape();
    try {
      const rows = [];
      for (let i = 0; i < 500; i++) rows.push(call({ ts: T0 + i * 37_000, project: `p${i % 3}`, status: i % 10 === 0 ? 429 : 200, model: i % 7 === 0 ? 'mystery' : 'claude-haiku-4-5', flags: i % 50 === 0 ? Flag.stream_cut : 0 }));
      t.writer.appendBatch(rows.slice(0, 200));
      t.writer.appendBatch(rows.slice(200));
      const tape = t.db.prepare(`SELECT ts - ts % 3600000 AS hour, project, provider, model, count(*) AS calls, COALESCE(SUM(cost_micros),0) AS cost,
        SUM(cost_micros IS NULL) AS unpriced, SUM(status >= 400) AS errors, SUM(flags <> 0) AS flagged, SUM(input_tok) AS inp
        FROM tape GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`).all();
      const roll = t.db.prepare(`SELECT hour, project, provider, model, calls, cost_micros AS cost, unpriced_calls AS unpriced,
        error_calls AS errors, flagged_calls AS flagged, input_tok AS inp FROM rollup_hour ORDER BY 1, 2, 3, 4`).all();
      assert.deepEqual(roll, tape);
    } finally {
      t.close();
    }
  });

  it('keeps the minute, hour and day totals and the per-project sums equal to the tape', () => {
    const t = tempTape();
    try {
      const models = [['anthropic', 'claude-haiku-4-5'], ['anthropic', 'mystery'], ['openai', 'gpt-5'], ['google', 'gemini-2.5-flash']] as const;
      const rows = [];
      for (let i = 0; i < 3000; i++) {
        const [provider, model] = models[(i * 7) % models.length]!;
        rows.push(call({ ts: T0 + i * 61_003 + (i % 5) * 7, project: `p${(i * 13) % 7}`, provider, model }));
      }
      t.writer.appendBatch(rows.slice(0, 1234));
      t.writer.appendBatch(rows.slice(1234));
      const totals = (span: number) => [
        t.db.prepare(`SELECT ts - ts % ${span} AS start, count(*) AS calls, COALESCE(SUM(cost_micros), 0) AS cost, SUM(cost_micros IS NULL) AS unpriced FROM tape GROUP BY 1 ORDER BY 1`).all(),
        t.db.prepare(`SELECT start, calls, cost_micros AS cost, unpriced_calls AS unpriced FROM roll_total WHERE span = ${span} ORDER BY 1`).all(),
      ];
      const projects = (span: number) => [
        t.db.prepare(`SELECT ts - ts % ${span} AS start, project, count(*) AS calls, COALESCE(SUM(cost_micros), 0) AS cost FROM tape GROUP BY 1, 2 ORDER BY 1, 2`).all(),
        t.db.prepare(`SELECT start, project, calls, cost_micros AS cost FROM roll_project WHERE span = ${span} ORDER BY 1, 2`).all(),
      ];
      for (const span of [86_400_000, 3_600_000, 60_000]) {
        const [tape, roll] = totals(span);
        assert.ok(tape!.length > 1);
        assert.deepEqual(roll, tape, `roll_total span ${span}`);
      }
      for (const span of [600_000, 60_000]) {
        const [tape, roll] = projects(span);
        assert.deepEqual(roll, tape, `roll_project span ${span}`);
      }
    } finally {
      t.close();
    }
  });

  it('refuses a time it could not print (the year 10000 or later), writing nothing', () => {
    const t = tempTape();
    try {
      assert.throws(() => t.writer.appendBatch([call({ ts: T0 }), call({ ts: 253_402_300_800_000 })]), /row 2: ts must be a time/);
      assert.equal(t.db.prepare('SELECT count(*) FROM tape').pluck().get(), 0);
    } finally {
      t.close();
    }
  });
});

describe('opening a tape', () => {
  const d = tempDir();
  after(() => d.close());

  it('creates a new tape with WAL, our application id and schema version', () => {
    const p = join(d.dir, 'new.db');
    const db = openWriter(p);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db.close();
  });

  it('opens readers read-only and query-only', () => {
    const p = join(d.dir, 'ro.db');
    openWriter(p).close();
    const r = openReader(p);
    assert.equal(r.readonly, true);
    assert.throws(() => r.exec("INSERT INTO meta VALUES ('a', 'b')"));
    r.close();
  });

  it('refuses a missing tape with a hint', () => {
    expectTapeError(() => openReader(join(d.dir, 'missing.db')), ExitCode.noTape, /tape demo/);
    expectTapeError(() => openWriter(join(d.dir, 'missing2.db'), { create: false }), ExitCode.noTape, /no tape/);
  });

  it('refuses a file that is not SQLite', () => {
    const p = join(d.dir, 'text.db');
    writeFileSync(p, 'hello, this is not a database at all');
    expectTapeError(() => openReader(p), ExitCode.foreignTape, /not a tape/);
    expectTapeError(() => openWriter(p), ExitCode.foreignTape, /not a tape/);
  });

  it('migrates an older tape of ours to the current schema, keeping its rows', () => {
    const d = tempDir();
    try {
      const path = join(d.dir, 'v1.db');
      const f = new Database(path);
      f.exec(MIGRATIONS[1]!);
      f.pragma(`application_id = ${APPLICATION_ID}`);
      f.pragma('user_version = 1');
      f.prepare(`INSERT INTO tape (ts, host, project, provider, model, input_tok, output_tok, duration_ms, cost_micros, price_version, status, source)
        VALUES (?, 'old-box', 'p', 'anthropic', 'claude-haiku-4-5', 10, 1, 5, 123, 'v@1', 200, 'test')`).run(T0);
      f.close();
      const db = openWriter(path);
      try {
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.deepEqual(db.prepare('SELECT host, cost_micros FROM tape').raw().all(), [['old-box', 123]]);
        assert.deepEqual(db.prepare(`SELECT calls, cost_micros FROM roll_total WHERE span = ${86_400_000}`).raw().all(), [[1, 123]]);
        const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'invoice_line' ORDER BY name").pluck().all();
        assert.deepEqual(triggers, ['invoice_line_guard', 'invoice_line_no_delete', 'invoice_line_no_update']);
      } finally {
        db.close();
      }
    } finally {
      d.close();
    }
  });

  it('refuses someone else\'s SQLite database and never migrates it', () => {
    const p = join(d.dir, 'foreign.db');
    const f = new Database(p);
    f.exec('CREATE TABLE customers (id INTEGER)');
    f.close();
    expectTapeError(() => openWriter(p), ExitCode.foreignTape, /not a tape/);
    const again = new Database(p);
    assert.deepEqual(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['customers']);
    again.close();
  });

  it('refuses a tape written by a newer schema', () => {
    const p = join(d.dir, 'newer.db');
    openWriter(p).close();
    const f = new Database(p);
    f.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    f.close();
    expectTapeError(() => openReader(p), ExitCode.foreignTape, /newer tape/);
    expectTapeError(() => openWriter(p), ExitCode.foreignTape, /newer tape/);
  });

  it('says a corrupt tape is corrupt', () => {
    const p = join(d.dir, 'corrupt.db');
    const good = openWriter(p);
    good.close();
    const bytes = Buffer.alloc(8192, 0x5a);
    Buffer.from('SQLite format 3\u0000').copy(bytes);
    writeFileSync(p, bytes);
    expectTapeError(() => openReader(p), ExitCode.corrupt, /corrupt/);
  });

  it('turns a locked tape into one clear error, writing nothing', async () => {
    const p = join(d.dir, 'locked.db');
    openWriter(p).close();
    const holder = new Database(p);
    holder.exec('BEGIN IMMEDIATE');
    const w = openWriter(p, { busyTimeoutMs: 50 });
    const { TapeWriter } = await import('../../src/tape/writer.js');
    const { PriceBook } = await import('../../src/pricing/price-book.js');
    const writer = new TapeWriter(w, new PriceBook());
    try {
      expectTapeError(() => writer.appendBatch([call({ ts: T0 })]), ExitCode.unwritable, /locked/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal(w.prepare('SELECT count(*) FROM tape').pluck().get(), 0);
    w.close();
  });
});
