import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadBill, type LoadedBill } from '../../src/reconcile/load.js';
import { addToRollup, naturalKeys, sha256, storeBills, type Agg, type StoredFile } from '../../src/reconcile/store.js';
import { reconcile, type Diff } from '../../src/reconcile/diff.js';
import { localReconcileSource } from '../../src/reconcile/source.js';
import { invoicePeriods } from '../../src/reconcile/periods.js';
import { reconcileTable } from '../../src/reconcile/render.js';
import { compileFilter } from '../../src/tape/filter.js';
import { openWriter, type Db } from '../../src/tape/db.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/tape/schema.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { DEC1, DEC2, DEC3, HOUR, tempTape, type TempTape } from './helpers.js';

const NOW = Date.UTC(2026, 11, 10);
const BIN = new URL('../../bin/tape', import.meta.url).pathname;
const M = 'claude-sonnet-4-5-20250929';
const OPTS = { threshold: 0.005, priceListMs: null };
const HEAD = 'date,provider,model,cost_usd';

/** Exported at noon on Dec 1: the day so far. */
const PARTIAL = `${HEAD}\n2026-12-01,anthropic,${M},1.00\n`;
/** Exported after the month: Dec 1 complete, and Dec 2. */
const FULL = `${HEAD}\n2026-12-01,anthropic,${M},1.50\n2026-12-02,anthropic,${M},2.00\n`;

/** A tape with a call before the partial export and one after it on Dec 1, and one on Dec 2. */
function dayTape(): TempTape {
  const t = tempTape();
  t.add([{ ts: DEC1 + HOUR, model: M, cost_micros: 1_000_000 }, { ts: DEC1 + 20 * HOUR, model: M, cost_micros: 500_000 }, { ts: DEC2 + HOUR, model: M, cost_micros: 2_000_000 }]);
  return t;
}

function importText(t: TempTape, name: string, text: string): { stored: StoredFile; bill: LoadedBill } {
  const bill = loadBill(t.file(name, text), null, t.prices);
  const [stored] = storeBills(t.db, [bill], 'test', NOW);
  return { stored: stored!, bill };
}

async function diffOf(t: TempTape, bills: readonly LoadedBill[]): Promise<Diff> {
  return reconcile(localReconcileSource(t.db), bills.map((b) => b.bill), OPTS);
}

const rows = (d: Diff) => d.buckets.map((b) => [b.period, b.tape_micros, b.billed_micros, b.variance]);

/** The rollup must equal the lines a reader takes: each bucket's latest line, and every call. */
function assertRollupIsLatestLines(db: Db): void {
  const latest = db.prepare(`SELECT COALESCE(SUM(cost_micros), 0) FROM invoice_line l
    WHERE NOT EXISTS (SELECT 1 FROM invoice_line n WHERE n.bucket_key = COALESCE(l.bucket_key, l.natural_key) AND n.file_id > l.file_id)`).pluck().get();
  assert.equal(db.prepare('SELECT COALESCE(SUM(billed_micros), 0) FROM invoice_rollup').pluck().get(), latest);
}

describe('a bucket billed again with another amount: the export imported last wins', () => {
  it('uses the complete amount after a partial-day export, 0.00% where the tape matches', async () => {
    const t = dayTape();
    try {
      const a = importText(t, 'partial.csv', PARTIAL);
      assert.deepEqual(rows(await diffOf(t, [a.bill])), [['2026-12-01', 1_500_000, 1_000_000, 0.5]]);
      const b = importText(t, 'full.csv', FULL);
      assert.deepEqual([b.stored.lines, b.stored.added, b.stored.superseded], [2, 2, 1]);
      const d = await diffOf(t, [b.bill]);
      assert.deepEqual(rows(d), [['2026-12-01', 1_500_000, 1_500_000, 0], ['2026-12-02', 2_000_000, 2_000_000, 0]]);
      assert.equal(d.beyond, 0);
      assert.deepEqual(invoicePeriods(t.db, NOW, compileFilter({})).map((p) => [p.label, p.tape_micros, p.billed_micros]), [
        ['2026-12-01 anthropic', 1_500_000, 1_500_000],
        ['2026-12-02 anthropic', 2_000_000, 2_000_000],
      ]);
      // both amounts stay stored; the bucket still counts as one line
      assert.equal(t.db.prepare('SELECT COUNT(*) FROM invoice_line').pluck().get(), 3);
      assert.equal(t.db.prepare('SELECT lines FROM invoice_rollup WHERE start_ms = ?').pluck().get(DEC1), 1);
      assert.equal(t.db.prepare("SELECT superseded FROM invoice_file WHERE name LIKE '%full.csv'").pluck().get(), 1);
      assertRollupIsLatestLines(t.db);
      assert.match(reconcileTable([b.stored], d, 0.005), /full\.csv: generic-csv, 2 lines added \(1 bucket updated from an earlier export\)/);
    } finally {
      t.cleanup();
    }
  });

  it('keeps the partial amount when the partial export is imported after the complete one, until a fresh complete export comes', async () => {
    const t = dayTape();
    try {
      importText(t, 'full.csv', FULL);
      const late = importText(t, 'partial.csv', PARTIAL);
      assert.deepEqual([late.stored.added, late.stored.superseded], [1, 1]);
      const d = await diffOf(t, [late.bill]);
      assert.deepEqual(rows(d), [['2026-12-01', 1_500_000, 1_000_000, 0.5]]);
      assert.equal(d.beyond, 1);
      // the very same file again is known and changes nothing; a complete export made afresh wins again
      assert.equal(importText(t, 'full-again.csv', FULL).stored.known, true);
      assert.equal(t.db.prepare('SELECT billed_micros FROM invoice_rollup WHERE start_ms = ?').pluck().get(DEC1), 1_000_000);
      const fresh = importText(t, 'full-fresh.csv', FULL.replaceAll('\n', '\r\n'));
      assert.deepEqual([fresh.stored.added, fresh.stored.superseded], [1, 1]);
      assert.deepEqual(rows(await diffOf(t, [fresh.bill])), [['2026-12-01', 1_500_000, 1_500_000, 0], ['2026-12-02', 2_000_000, 2_000_000, 0]]);
      assertRollupIsLatestLines(t.db);
    } finally {
      t.cleanup();
    }
  });

  it('adds nothing for an identical re-import, nor for another file with the same amounts', () => {
    const t = dayTape();
    try {
      importText(t, 'full.csv', FULL);
      const before = t.db.prepare('SELECT * FROM invoice_rollup ORDER BY start_ms').all();
      const again = importText(t, 'again.csv', FULL);
      assert.deepEqual([again.stored.known, again.stored.added], [true, 0]);
      const same = importText(t, 'same-amounts.csv', FULL.replaceAll('\n', '\r\n'));
      assert.deepEqual([same.stored.known, same.stored.added, same.stored.superseded], [false, 0, 0]);
      assert.deepEqual(t.db.prepare('SELECT * FROM invoice_rollup ORDER BY start_ms').all(), before);
      assert.equal(t.db.prepare('SELECT COUNT(*) FROM invoice_line').pluck().get(), 2);
    } finally {
      t.cleanup();
    }
  });

  it('counts overlapping exports once, and revises only the day that changed', async () => {
    const t = dayTape();
    try {
      importText(t, 'dec1-2.csv', FULL);
      const next = importText(t, 'dec2-3.csv', `${HEAD}\n2026-12-02,anthropic,${M},2.00\n2026-12-03,anthropic,${M},0.25\n`);
      assert.deepEqual([next.stored.added, next.stored.superseded], [1, 0]);
      assert.match(reconcileTable([next.stored], await diffOf(t, [next.bill]), 0.005), /1 of 2 lines added \(1 already billed by an overlapping export\)/);
      const fix = importText(t, 'dec2-3-late.csv', `${HEAD}\n2026-12-02,anthropic,${M},2.00\n2026-12-03,anthropic,${M},0.40\n`);
      assert.deepEqual([fix.stored.added, fix.stored.superseded], [1, 1]);
      const billed = t.db.prepare('SELECT start_ms, billed_micros, lines FROM invoice_rollup ORDER BY start_ms').raw().all();
      assert.deepEqual(billed, [[DEC1, 1_500_000, 1], [DEC2, 2_000_000, 1], [DEC3, 400_000, 1]]);
      assertRollupIsLatestLines(t.db);
    } finally {
      t.cleanup();
    }
  });

  it('revises every line of a provider report it changes (an Anthropic cost report, one line per token type)', async () => {
    const t = tempTape();
    try {
      t.add([{ ts: DEC1 + HOUR, model: M, cost_micros: 3_000_000 }]);
      const line = (cents: string, token: string) => ({ currency: 'USD', amount: cents, workspace_id: null, description: `Claude Sonnet 4.5 Usage - ${token}`, cost_type: 'tokens', context_window: '0-200k', model: M, service_tier: 'standard', token_type: token });
      const report = (input: string, output: string) => JSON.stringify({ data: [{ starting_at: '2026-12-01T00:00:00Z', ending_at: '2026-12-02T00:00:00Z', results: [line(input, 'uncached_input_tokens'), line(output, 'output_tokens')] }], has_more: false, next_page: null });
      importText(t, 'noon.json', report('100', '50'));
      const later = importText(t, 'month.json', report('150', '150'));
      assert.deepEqual([later.stored.added, later.stored.superseded], [2, 2]);
      assert.deepEqual(rows(await diffOf(t, [later.bill])), [['2026-12-01', 3_000_000, 3_000_000, 0]]);
      assert.equal(t.db.prepare('SELECT lines FROM invoice_rollup').pluck().get(), 2);
      assertRollupIsLatestLines(t.db);
    } finally {
      t.cleanup();
    }
  });

  it('leaves per-call bills as they were: a call billed again keeps its first amount', () => {
    const t = tempTape();
    try {
      const head = 'generation_id,created_at,cost_total,model_permaslug';
      importText(t, 'g1.csv', `${head}\ngen-a,2026-12-05T10:00:00.000Z,0.000100,openai/gpt-4.1\n`);
      const g2 = importText(t, 'g2.csv', `${head}\ngen-a,2026-12-05T10:00:00.000Z,0.000300,openai/gpt-4.1\ngen-b,2026-12-05T11:00:00.000Z,0.000200,openai/gpt-4.1\n`);
      assert.deepEqual([g2.stored.added, g2.stored.superseded], [1, 0]);
      assert.deepEqual(t.db.prepare('SELECT lines, calls, billed_micros FROM invoice_rollup').raw().all(), [[2, 2, 300]]);
      assert.equal(t.db.prepare('SELECT COUNT(*) FROM invoice_line WHERE bucket_key IS NOT NULL').pluck().get(), 0);
    } finally {
      t.cleanup();
    }
  });

  it('stores revisions as new lines: the invoice tables stay append-only', () => {
    const t = dayTape();
    try {
      importText(t, 'partial.csv', PARTIAL);
      importText(t, 'full.csv', FULL);
      assert.throws(() => t.db.prepare('UPDATE invoice_line SET cost_micros = 0').run(), /append-only/);
      assert.throws(() => t.db.prepare('DELETE FROM invoice_line').run(), /append-only/);
      assert.deepEqual(t.db.prepare('SELECT cost_micros, bucket_key IS NOT NULL FROM invoice_line ORDER BY file_id, seq').raw().all(), [[1_000_000, 0], [1_500_000, 1], [2_000_000, 0]]);
    } finally {
      t.cleanup();
    }
  });
});

describe('tape reconcile says when a file superseded earlier amounts', () => {
  const t = dayTape();
  after(() => t.cleanup());
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, '--db', t.path, 'reconcile', ...args], { encoding: 'utf8', env: { ...process.env, TAPE_STATE_DIR: t.dir, TAPE_CONFIG: `${t.dir}/none.json` } });
  it('in the table and in --json', () => {
    const first = run(t.file('partial.csv', PARTIAL), '--json');
    assert.equal(first.status, 3, first.stderr);
    assert.equal(JSON.parse(first.stdout).files[0].superseded, 0);
    const second = run(t.file('full.csv', FULL), '--json');
    assert.equal(second.status, 0, second.stderr);
    const doc = JSON.parse(second.stdout);
    assert.deepEqual(doc.files.map((f: { added: number; superseded: number }) => [f.added, f.superseded]), [[2, 1]]);
    assert.deepEqual(doc.buckets.map((b: { period: string; billed_micros: number; variance: number }) => [b.period, b.billed_micros, b.variance]), [['2026-12-01', 1_500_000, 0], ['2026-12-02', 2_000_000, 0]]);
    const table = run(t.file('full-crlf.csv', FULL.replaceAll('\n', '\r\n')));
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /full-crlf\.csv: generic-csv, 0 of 2 lines added \(2 already billed by an overlapping export\)/);
    assert.match(table.stdout, /2026-12-01 .* \$1\.500000 +\$1\.500000 +\$0\.000000 +0\.00%/);
  });
});

/** What storeBills wrote under schema v4 (no bucket_key, no superseded), for building a v4 tape. */
function storeV4(db: Database.Database, id: number, name: string, bytes: Buffer, bill: LoadedBill['bill']): void {
  const keyOf = naturalKeys(bill.format);
  const ins = db.prepare(`INSERT INTO invoice_line (file_id, seq, line, start_ms, end_ms, provider, model, project, item, request_id, cost_micros, natural_key)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`).pluck();
  const aggs = new Map<string, Agg>();
  let added = 0;
  bill.lines.forEach((l, k) => {
    if (ins.all(id, k + 1, l.line, l.start_ms, l.end_ms, l.provider, l.model, l.project, l.item, l.request_id, l.cost_micros, keyOf(l)).length === 0) return;
    added++;
    addToRollup(aggs, bill.format, l);
  });
  const roll = db.prepare(`INSERT INTO invoice_rollup (provider, format, start_ms, end_ms, model, project, lines, billed_micros, calls, first_call_ms, last_call_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const a of aggs.values()) roll.run(a);
  db.prepare('INSERT INTO invoice_file (id, sha256, name, format, imported_at, lines, added, price_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(id, sha256(bytes), name, bill.format, NOW, bill.lines.length, added, 'test');
}

describe('a v4 tape with bills', () => {
  it('migrates to v5 and reads the same, and a later export then supersedes its amounts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tape-v4-'));
    try {
      const path = join(dir, 'v4.db');
      const prices = new PriceBook();
      const files = [
        ['partial.csv', PARTIAL],
        ['gens.csv', 'generation_id,created_at,cost_total,model_permaslug\ngen-a,2026-12-05T10:00:00.000Z,0.000100,openai/gpt-4.1\n'],
      ].map(([name, text]) => {
        const p = join(dir, name!);
        writeFileSync(p, text!);
        return loadBill(p, null, prices);
      });
      const raw = new Database(path);
      raw.exec(MIGRATIONS[1]!);
      const call = raw.prepare(`INSERT INTO tape (ts, host, project, provider, model, input_tok, output_tok, duration_ms, cost_micros, price_version, status, request_id, source)
        VALUES (?, 'old-box', 'p', ?, ?, 10, 10, 100, ?, 'test', 200, ?, 'test')`);
      const hour = raw.prepare(`INSERT INTO rollup_hour (hour, project, provider, model, calls, cost_micros, unpriced_calls, error_calls, flagged_calls, input_tok, output_tok, cached_tok, cache_write_tok)
        VALUES (?, 'p', ?, ?, 1, ?, 0, 0, 0, 10, 10, 0, 0)`);
      for (const [ts, provider, model, cost, id] of [[DEC1 + HOUR, 'anthropic', M, 1_000_000, null], [DEC1 + 20 * HOUR, 'anthropic', M, 500_000, null], [Date.UTC(2026, 11, 5, 10), 'openrouter', 'openai/gpt-4.1', 100, 'gen-a']] as const) {
        call.run(ts, provider, model, cost, id);
        hour.run(ts, provider, model, cost);
      }
      for (const v of [2, 3, 4]) raw.exec(MIGRATIONS[v]!);
      files.forEach((f, k) => storeV4(raw, k + 1, f.name, f.bytes, f.bill));
      raw.pragma(`application_id = ${APPLICATION_ID}`);
      raw.pragma('user_version = 4');
      const periodsV4 = invoicePeriods(raw, NOW, compileFilter({}));
      const diffV4 = await reconcile(localReconcileSource(raw), files.map((f) => f.bill), OPTS);
      const linesV4 = raw.prepare('SELECT * FROM invoice_line ORDER BY file_id, seq').all();
      raw.close();

      const db = openWriter(path);
      try {
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.deepEqual(invoicePeriods(db, NOW, compileFilter({})), periodsV4);
        assert.deepEqual(await reconcile(localReconcileSource(db), files.map((f) => f.bill), OPTS), diffV4);
        assert.deepEqual(db.prepare('SELECT * FROM invoice_line ORDER BY file_id, seq').all(), linesV4.map((l) => ({ ...(l as object), bucket_key: null })));
        assert.deepEqual(db.prepare('SELECT superseded FROM invoice_file').pluck().all(), [0, 0]);
        // the same files again add nothing; the complete export supersedes the partial day stored under v4
        assert.ok(storeBills(db, files, 'test', NOW).every((f) => f.known && f.added === 0));
        writeFileSync(join(dir, 'full.csv'), FULL);
        const full = loadBill(join(dir, 'full.csv'), null, prices);
        const [stored] = storeBills(db, [full], 'test', NOW);
        assert.deepEqual([stored!.added, stored!.superseded], [2, 1]);
        const d = await reconcile(localReconcileSource(db), [full.bill], OPTS);
        assert.deepEqual(d.buckets.map((b) => [b.period, b.billed_micros, b.variance]), [['2026-12-01', 1_500_000, 0], ['2026-12-02', 2_000_000, -1]]);
        assertRollupIsLatestLines(db);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
