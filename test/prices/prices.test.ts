import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { reprice, repriceTable, type RepriceRow } from '../../src/report/reprice.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { Overrides } from '../../src/pricing/overrides.js';
import { openReader } from '../../src/tape/db.js';
import { tempTape, DEC1, DEC2, HOUR } from '../reconcile/helpers.js';

const BIN = new URL('../../bin/tape', import.meta.url).pathname;
const DATA = [{ id: 'anthropic', name: 'Anthropic', api_pattern: 'https://api\\.anthropic\\.com', models: [{ id: 'claude-test-1', match: { equals: 'claude-test-1' }, prices: { input_mtok: 2, output_mtok: 10, cache_read_mtok: 0.2 } }] }];

function hash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('tape reprice', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('prices a range with another list, per day and model, leaving the tape byte-identical', () => {
    t.add([
      { ts: DEC1 + HOUR, model: 'claude-test-1', input_tok: 1_000_000, output_tok: 100_000, cost_micros: 3_000_000 },
      { ts: DEC2 + HOUR, model: 'claude-test-1', input_tok: 500_000, output_tok: 0, cost_micros: 1_000_000 },
      { ts: DEC2 + HOUR, model: 'unknown-model', cost_micros: null },
    ]);
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    const before = hash(t.path);
    const data = t.file('data.json', JSON.stringify(DATA));
    const r = spawnSync(process.execPath, [BIN, '--db', t.path, 'reprice', '--since', '2026-12-01', '--until', '2026-12-03', '--prices-data', data, '--json'], { encoding: 'utf8', env: { ...process.env, TAPE_STATE_DIR: t.dir, TAPE_CONFIG: `${t.dir}/none.json` } });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => [x.day, x.model, x.tape_micros, x.repriced_micros, x.diff_micros, x.repriced_unpriced]), [
      ['2026-12-01', 'claude-test-1', 3_000_000, 3_000_000, 0, 0],
      ['2026-12-02', 'claude-test-1', 1_000_000, 1_000_000, 0, 0],
      ['2026-12-02', 'unknown-model', 0, 0, 0, 1],
    ]);
    assert.equal(hash(t.path), before);
  });
  it('shows what an overrides file would change', () => {
    const o = new Overrides({ models: { 'anthropic/claude-test-1': { input_mtok: 1, output_mtok: 5 } } }, 'x');
    const db = openReader(t.path);
    const rows = reprice(db, new PriceBook(o, DATA as never, 'd'), DEC1, DEC2);
    db.close();
    assert.deepEqual(rows.map((x) => [x.model, x.tape_micros, x.repriced_micros, x.diff_micros]), [['claude-test-1', 3_000_000, 1_500_000, -1_500_000]]);
  });
});

describe('the reprice table', () => {
  it('reads "unpriced" for a day whose calls are all unpriced, and counts them beside the money otherwise', () => {
    const row = (over: Partial<RepriceRow>): RepriceRow => ({ day: '2026-12-01', provider: 'acme', model: 'house-1', calls: 3, tape_micros: 0, tape_unpriced: 0, repriced_micros: 0, repriced_unpriced: 0, diff_micros: 0, ...over });
    const table = repriceTable([
      row({ tape_unpriced: 3, repriced_micros: 1_500_000, diff_micros: 1_500_000 }),
      row({ model: 'house-2', tape_micros: 1_000_000, tape_unpriced: 1, repriced_micros: 1_200_000, diff_micros: 200_000 }),
    ], 'as stored', 'v2');
    const [first, second] = table.split('\n').slice(1, 3);
    assert.match(first!, /house-1\s+3\s+unpriced \(3\)\s+\$1\.500000\s+\$1\.500000\s+n\/a$/);
    assert.match(second!, /house-2\s+3\s+\$1\.000000 \+ 1 unpriced\s+\$1\.200000\s+\$0\.200000\s+\+20\.00%$/);
    assert.doesNotMatch(table, /\$0\.000000 \+/);
  });
});

describe('tape prices', () => {
  const t = tempTape();
  after(() => t.cleanup());
  const env = { ...process.env, TAPE_STATE_DIR: `${t.dir}/state`, TAPE_CONFIG: `${t.dir}/none.json` };
  const run = (...a: string[]) => spawnSync(process.execPath, [BIN, '--db', t.path, 'prices', ...a], { encoding: 'utf8', env });
  it('shows per-MTok prices and the price list version', () => {
    const r = run('anthropic/claude-sonnet-4-5', '--json', '--now', '2026-12-01T00:00:00Z');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.match(doc.price_version, /^genai-prices@/);
    const m = doc.models[0];
    assert.deepEqual([m.input, m.output, m.cache_read, m.cache_write_5m, m.cache_write_1h], ['3', '15', '0.3', '3.75', '6']);
    assert.ok(m.tiers.some((x: { kind: string; above_input_tokens: number }) => x.kind === 'input' && x.above_input_tokens === 200000));
    assert.equal(run('no-such-model-anywhere').status, 1);
  });
  it('stores refreshed data from a file, and new rows are priced with it', () => {
    const data = t.file('data.json', JSON.stringify(DATA));
    const r = spawnSync(process.execPath, [BIN, '--db', t.path, 'prices', 'update', '--from', data, '--now', '2026-12-02T00:00:00Z'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /stored as data:[0-9a-f]{8}/);
    assert.ok(existsSync(`${t.dir}/state/prices.json`));
    const doc = JSON.parse(run('anthropic/claude-test-1', '--json').stdout);
    assert.match(doc.price_version, /\+data:[0-9a-f]{8}$/);
    assert.equal(doc.fetched_at, '2026-12-02T00:00:00.000Z');
    assert.equal(doc.models[0].input, '2');
    assert.equal(t.db.prepare("SELECT value FROM meta WHERE key = 'prices_fetched_at'").pluck().get(), '2026-12-02T00:00:00.000Z');
  });
  it('refuses a file that is not price data, changing nothing', () => {
    const bad = t.file('bad.json', '{"hello": 1}');
    writeFileSync(`${t.dir}/x`, '');
    const r = spawnSync(process.execPath, [BIN, '--db', t.path, 'prices', 'update', '--from', bad], { encoding: 'utf8', env });
    assert.equal(r.status, 8);
    assert.match(JSON.parse(run('anthropic/claude-test-1', '--json').stdout).price_version, /\+data:/);
  });
});
