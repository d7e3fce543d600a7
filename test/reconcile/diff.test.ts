import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { loadBill, type LoadedBill } from '../../src/reconcile/load.js';
import { naturalKeys, storeBills } from '../../src/reconcile/store.js';
import { reconcile } from '../../src/reconcile/diff.js';
import { localReconcileSource } from '../../src/reconcile/source.js';
import { invoicePeriods } from '../../src/reconcile/periods.js';
import { compileFilter } from '../../src/tape/filter.js';
import { varianceBand } from '../../src/readouts/variance.js';
import { openReader } from '../../src/tape/db.js';
import { APPLICATION_ID, MIGRATIONS } from '../../src/tape/schema.js';
import { FIX, DEC1, DEC2, DEC3, HOUR, tempTape } from './helpers.js';

const NOW = Date.UTC(2026, 11, 10);
const BIN = new URL('../../bin/tape', import.meta.url).pathname;

function importAll(t: ReturnType<typeof tempTape>, paths: string[]): LoadedBill[] {
  const loaded = paths.map((p) => loadBill(p, null, t.prices));
  storeBills(t.db, loaded, 'test', NOW);
  return loaded;
}

describe('natural keys', () => {
  it('keep the text stored by earlier versions, so old imports still count once', () => {
    const line = { line: 2, start_ms: DEC1, end_ms: DEC2, provider: 'anthropic', model: 'm', project: 'p', item: 'i', request_id: null, cost_micros: 1 };
    const local = naturalKeys('generic-csv');
    assert.equal(local(line), `b\u0000generic-csv\u0000anthropic\u0000${DEC1}\u0000${DEC2}\u0000m\u0000p\u0000i\u00000`);
    assert.equal(local(line), `b\u0000generic-csv\u0000anthropic\u0000${DEC1}\u0000${DEC2}\u0000m\u0000p\u0000i\u00001`);
    assert.equal(local({ ...line, request_id: 'gen-1' }), 'c\u0000anthropic\u0000gen-1');
    const central = naturalKeys('generic-csv', (parts) => JSON.stringify(parts));
    assert.equal(central({ ...line, request_id: 'gen-1' }), '["c","anthropic","gen-1"]');
    assert.equal(central(line), `["b","generic-csv","anthropic",${DEC1},${DEC2},"m","p","i",0]`);
  });
});

describe('re-import and overlapping exports', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('adds nothing when the same file is imported twice', () => {
    const a = loadBill(`${FIX}anthropic-cost-report.json`, null, t.prices);
    const [first] = storeBills(t.db, [a], 'test', NOW);
    const [again] = storeBills(t.db, [a], 'test', NOW);
    assert.equal(first!.added, 5);
    assert.equal(again!.added, 0);
    assert.equal(again!.known, true);
    assert.equal(t.db.prepare('SELECT COUNT(*) FROM invoice_line').pluck().get(), 5);
  });
  it('counts a bucket two overlapping exports both hold once', () => {
    const overlap = t.file('later.json', JSON.stringify({
      data: [
        { starting_at: '2026-12-02T00:00:00Z', ending_at: '2026-12-03T00:00:00Z', results: [{ currency: 'USD', amount: '2000', workspace_id: null, description: 'Claude Sonnet 4.5 Usage - Input Tokens', cost_type: 'tokens', context_window: '0-200k', model: 'claude-sonnet-4-5-20250929', service_tier: 'standard', token_type: 'uncached_input_tokens' }] },
        { starting_at: '2026-12-03T00:00:00Z', ending_at: '2026-12-04T00:00:00Z', results: [{ currency: 'USD', amount: '500', workspace_id: null, description: 'Claude Sonnet 4.5 Usage - Input Tokens', cost_type: 'tokens', context_window: '0-200k', model: 'claude-sonnet-4-5-20250929', service_tier: 'standard', token_type: 'uncached_input_tokens' }] },
      ],
      has_more: false,
      next_page: null,
    }, null, 2));
    const [f] = storeBills(t.db, [loadBill(overlap, null, t.prices)], 'test', NOW);
    assert.equal(f!.added, 1);
    const dec2 = t.db.prepare('SELECT SUM(billed_micros) FROM invoice_rollup WHERE start_ms = ?').pluck().get(DEC2);
    assert.equal(dec2, 20_000_000);
  });
  it('counts overlapping call-level exports once, also when lines go in 50 to a statement', () => {
    const gen = (from: number, to: number) => ['generation_id,created_at,cost_total,model_permaslug', ...Array.from({ length: to - from }, (_, k) => `gen-x${from + k},2026-12-05T10:00:00.000Z,0.000100,openai/gpt-4.1`)].join('\n') + '\n';
    const [a] = storeBills(t.db, [loadBill(t.file('g1.csv', gen(0, 120)), null, t.prices)], 'test', NOW);
    const [b] = storeBills(t.db, [loadBill(t.file('g2.csv', gen(60, 180)), null, t.prices)], 'test', NOW);
    assert.deepEqual([a!.added, b!.added], [120, 60]);
    const r = t.db.prepare("SELECT SUM(calls), SUM(billed_micros) FROM invoice_rollup WHERE provider = 'openrouter'").raw().get();
    assert.deepEqual(r, [180, 18_000]);
  });
  it('keeps the invoice tables append-only', () => {
    assert.throws(() => t.db.prepare('UPDATE invoice_line SET cost_micros = 0').run(), /append-only/);
    assert.throws(() => t.db.prepare('DELETE FROM invoice_file').run(), /append-only/);
  });
  it('refuses INSERT OR REPLACE of a billed line through a second plain connection, and replaces nothing', async () => {
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(t.db.name);
    try {
      const before = raw.prepare('SELECT * FROM invoice_line ORDER BY file_id, seq').all();
      const first = before[0] as Record<string, unknown>;
      const cols = Object.keys(first);
      const ins = raw.prepare(`INSERT OR REPLACE INTO invoice_line (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
      // the same (file, entry) with a new natural key: refused
      assert.throws(() => ins.run({ ...first, natural_key: 'something new', cost_micros: 1 }), /append-only/);
      // a new (file, entry) with a natural key already billed: skipped, the billed line stays
      ins.run({ ...first, seq: 999_999, cost_micros: 1 });
      assert.deepEqual(raw.prepare('SELECT * FROM invoice_line ORDER BY file_id, seq').all(), before);
    } finally {
      raw.close();
    }
  });
});

describe('the difference, bucket by bucket, on a tape built to differ in known ways', () => {
  const t = tempTape();
  after(() => t.cleanup());
  before(() => {
    t.add([
      { ts: DEC1 + HOUR, cost_micros: 5_000_000 },
      { ts: DEC1 + 2 * HOUR, cost_micros: 7_345_000 },
      { ts: DEC1 + 3 * HOUR, model: 'claude-haiku-4-5-20251001', cost_micros: 501_235 },
      { ts: DEC2 + HOUR, cost_micros: 20_200_000 },
      { ts: DEC2 + 2 * HOUR, cost_micros: null, flags: 0 },
      { ts: DEC1 + HOUR, provider: 'google', model: 'gemini-2.5-pro', cost_micros: 999 },
    ]);
  });
  it('agrees exactly where the tape matches, and names what differs', async () => {
    const d = await reconcile(localReconcileSource(t.db), importAll(t, [`${FIX}anthropic-cost-report.json`]).map((l) => l.bill), { threshold: 0.005, priceListMs: null });
    const rows = d.buckets.map((b) => [b.period, b.model, b.tape_micros, b.billed_micros, b.variance, b.only, b.beyond]);
    assert.deepEqual(rows, [
      ['2026-12-01', 'claude-haiku-4-5-20251001', 501_235, 501_235, 0, null, false],
      ['2026-12-01', 'claude-sonnet-4-5-20250929', 12_345_000, 12_345_000, 0, null, false],
      ['2026-12-01', '', 0, 300_000, -1, 'billed', true],
      ['2026-12-02', 'claude-sonnet-4-5-20250929', 20_200_000, 20_000_000, 0.01, null, true],
    ]);
    assert.match(d.buckets[3]!.reasons.join(' '), /1 unpriced call on the tape/);
    assert.match(d.buckets[2]!.reasons.join(' '), /billed but not on the tape/);
    assert.equal(d.beyond, 2);
  });
  it('matches Console display names ("Claude Sonnet 4.5") to API model ids', async () => {
    const d = await reconcile(localReconcileSource(t.db), importAll(t, [`${FIX}anthropic-console-cost.csv`]).map((l) => l.bill), { threshold: 0.005, priceListMs: null });
    assert.deepEqual(d.buckets.map((b) => [b.period, b.model, b.variance]), [
      ['2026-12-01', 'Claude Haiku 4.5', 0],
      ['2026-12-01', 'Claude Sonnet 4.5', 0],
      ['2026-12-02', 'Claude Sonnet 4.5', 0.01],
    ]);
  });
  it('names a price list older than the period as a likely cause', async () => {
    const d = await reconcile(localReconcileSource(t.db), importAll(t, [`${FIX}anthropic-console-cost.csv`]).map((l) => l.bill), { threshold: 0.005, priceListMs: Date.UTC(2026, 5, 1) });
    assert.match(d.buckets[2]!.reasons.join(' '), /price list from 2026-06-01 is older than the period/);
  });
});

describe('a tape priced at list price against usage reports and dated model ids', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('agrees to the micro-dollar: aliases meet snapshots, and a day of calls is never priced at a long-context tier', async () => {
    // 30 Sonnet 4.5 calls of 10k input (300k in the day: past the 200k tier no single call reaches)
    const calls = Array.from({ length: 30 }, (_, k) => ({ ts: DEC1 + k * 60_000, model: 'claude-sonnet-4-5', input_tok: 10_000, output_tok: 500, cached_tok: 2_000, cache_write_tok: 1_000, cache_write_1h_tok: 400, price_version: undefined }));
    const alias = Array.from({ length: 5 }, (_, k) => ({ ts: DEC1 + HOUR + k, model: 'claude-sonnet-4-0', input_tok: 1_000, output_tok: 100, price_version: undefined }));
    t.add([...calls, ...alias]);
    const tape = t.db.prepare("SELECT model, SUM(cost_micros) AS c FROM tape GROUP BY model ORDER BY model").all() as { model: string; c: number }[];
    assert.equal(tape.length, 2);
    const usage = t.file('usage.json', JSON.stringify({
      data: [{ starting_at: '2026-12-01T00:00:00Z', ending_at: '2026-12-02T00:00:00Z', results: [
        { uncached_input_tokens: 30 * 7_000, cache_read_input_tokens: 30 * 2_000, cache_creation: { ephemeral_5m_input_tokens: 30 * 600, ephemeral_1h_input_tokens: 30 * 400 }, output_tokens: 30 * 500, model: 'claude-sonnet-4-5-20250929', workspace_id: null, api_key_id: null, service_tier: 'standard', context_window: '0-200k', server_tool_use: { web_search_requests: 0 } },
        { uncached_input_tokens: 5_000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 500, model: 'claude-sonnet-4-20250514', workspace_id: null, api_key_id: null, service_tier: 'standard', context_window: '0-200k', server_tool_use: { web_search_requests: 0 } },
      ] }],
      has_more: false, next_page: null,
    }));
    const d = await reconcile(localReconcileSource(t.db), importAll(t, [usage]).map((l) => l.bill), { threshold: 0.005, priceListMs: null });
    assert.deepEqual(d.buckets.map((b) => [b.model, b.tape_micros, b.billed_micros, b.only]), [
      ['claude-sonnet-4-20250514', tape[0]!.c, tape[0]!.c, null],
      ['claude-sonnet-4-5-20250929', tape[1]!.c, tape[1]!.c, null],
    ]);
    assert.equal(d.beyond, 0);
  });
});

describe('call by call where the bill has ids', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('finds matched, billed-only, tape-only and differently priced calls', async () => {
    const base = { provider: 'openrouter', model: 'openai/gpt-4.1' };
    t.add([
      { ...base, ts: DEC1 + 9 * HOUR + 123, request_id: 'gen-001', cost_micros: 1500 },
      { ...base, ts: DEC1 + 10.5 * HOUR, request_id: 'gen-002', cost_micros: 2000 },
      { ...base, ts: DEC1 + 10.75 * HOUR, request_id: 'gen-999', cost_micros: 700 },
    ]);
    const d = await reconcile(localReconcileSource(t.db), importAll(t, [`${FIX}openrouter-activity.csv`]).map((l) => l.bill), { threshold: 0.005, priceListMs: null });
    const c = d.calls!;
    assert.deepEqual([c.billed_calls, c.matched, c.only_billed, c.only_tape, c.cost_differs], [3, 2, 1, 1, 1]);
    assert.deepEqual(c.examples.map((e) => e.request_id), ['gen-003', 'gen-002']);
    const gpt = d.buckets.find((b) => b.model === 'openai/gpt-4.1')!;
    assert.deepEqual([gpt.tape_micros, gpt.billed_micros], [4200, 3600]);
  });
});

describe('the variance band readout', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('is an incident when two consecutive periods are beyond 0.5%, with a likely cause', () => {
    const m = 'claude-sonnet-4-5-20250929';
    t.add([{ ts: DEC1 + HOUR, cost_micros: 1_000_000 }, { ts: DEC2 + HOUR, cost_micros: 1_010_000 }, { ts: DEC3 + HOUR, cost_micros: 1_000_000 }, { ts: DEC3 + 2 * HOUR, cost_micros: null }]);
    const csv = t.file('g.csv', `date,provider,model,cost_usd\n2026-12-01,anthropic,${m},1\n2026-12-02,anthropic,${m},1\n2026-12-03,anthropic,${m},1.01\n`);
    importAll(t, [csv]);
    const periods = invoicePeriods(t.db, NOW, compileFilter({}));
    assert.deepEqual(periods.map((p) => [p.label, p.tape_micros, p.billed_micros]), [
      ['2026-12-01 anthropic', 1_000_000, 1_000_000],
      ['2026-12-02 anthropic', 1_010_000, 1_000_000],
      ['2026-12-03 anthropic', 1_000_000, 1_010_000],
    ]);
    const band = varianceBand(periods, 0.005, NOW);
    assert.equal(band.state, 'incident');
    assert.equal(band.latest, -0.009901);
    assert.match(band.cause ?? '', /1 unpriced call on the tape/);
    assert.deepEqual(invoicePeriods(t.db, DEC2 - 1, compileFilter({})).map((p) => p.label), ['2026-12-01 anthropic']);
  });
  it('is empty on a v1 tape that has no invoice tables (opened read-only)', () => {
    const path = t.file('v1.db', '');
    const raw = new Database(path);
    raw.exec(MIGRATIONS[1]!);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 1');
    raw.close();
    const db = openReader(path);
    assert.deepEqual(invoicePeriods(db, NOW, compileFilter({})), []);
    db.close();
  });
});

describe('tape reconcile (the command)', () => {
  const t = tempTape();
  after(() => t.cleanup());
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, '--db', t.path, 'reconcile', ...args], { encoding: 'utf8', env: { ...process.env, TAPE_STATE_DIR: t.dir, TAPE_CONFIG: `${t.dir}/none.json` } });
  it('exits 8 and writes nothing for a bad file, even next to a good one', () => {
    const bad = t.file('bad.csv', 'date,provider,model,cost_usd\n2026-12-01,openai,gpt-4o,"1,5"\n');
    const r = run(`${FIX}generic.csv`, bad);
    assert.equal(r.status, 8);
    assert.match(r.stderr, /bad\.csv:2:26: cost_usd: the amount "1,5" is ambiguous/);
    assert.equal(t.db.prepare('SELECT COUNT(*) FROM invoice_line').pluck().get(), 0);
  });
  it('exits 3 beyond the threshold, 0 within it, and prints JSON for scripts', () => {
    t.add([{ ts: DEC1 + HOUR, project: 'sales-tool', cost_micros: 12_345_000 }, { ts: DEC1 + HOUR, provider: 'openai', model: 'gpt-4o-2024-08-06', project: 'underwriting', cost_micros: 4_600_000 }]);
    const r = run(`${FIX}generic.csv`, '--json');
    assert.equal(r.status, 3, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.type, 'reconcile');
    assert.deepEqual(doc.buckets.map((b: { project: string; level: string; variance: number }) => [b.project, b.level, b.variance]), [['sales-tool', 'project', 0], ['underwriting', 'project', 0.022219]]);
    const ok = run(`${FIX}generic.csv`, '--threshold', '2.5');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /already imported, nothing added/);
    assert.match(ok.stdout, /every bucket within ±2\.50%/);
  });
  it('reads its fixtures as documented', () => {
    assert.match(readFileSync(`${FIX}README.md`, 'utf8'), /generic CSV/i);
  });
});
