import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tempTape } from '../helpers/tape.js';
import { DemoSimulator } from '../../src/demo/simulator.js';
import { callsInSecond } from '../../src/demo/traffic.js';

const DAY_START = Date.UTC(2026, 11, 2);

function dump(db: import('../../src/tape/db.js').Db): unknown[] {
  return db.prepare('SELECT ts, project, provider, model, input_tok, output_tok, cached_tok, cache_write_tok, cache_write_1h_tok, duration_ms, cost_micros, status, flags, request_id FROM tape ORDER BY id').all();
}

describe('the demo tape', () => {
  it('is the same for the same seed, however the time range is cut into chunks', () => {
    const a = tempTape();
    const b = tempTape();
    try {
      new DemoSimulator(a.writer, { seed: 42, rate: 1 }).backfill(DAY_START, DAY_START + 3_600_000);
      // the same hour written in two uneven pieces
      new DemoSimulator(b.writer, { seed: 42, rate: 1 }).backfill(DAY_START, DAY_START + 1_234_567);
      assert.ok(a.db.prepare('SELECT count(*) FROM tape').pluck().get()! as number > 1000);
      const first = dump(a.db).slice(0, 200);
      const second = dump(b.db).slice(0, 200);
      assert.deepEqual(second, first);
    } finally {
      a.close();
      b.close();
    }
  });

  it('differs for another seed', () => {
    assert.notDeepEqual(callsInSecond(1_796_000_000, { seed: 1, rate: 5 }), callsInSecond(1_796_000_000, { seed: 2, rate: 5 }));
  });

  it('looks like a real company: every model family, errors, unknown models, caching, the sales tool every 12 s', () => {
    const t = tempTape();
    try {
      new DemoSimulator(t.writer, { seed: 7, rate: 1 }).backfill(DAY_START, DAY_START + 86_400_000);
      const q = (sql: string) => t.db.prepare(sql).pluck().get() as number;
      const models = t.db.prepare('SELECT DISTINCT model FROM tape').pluck().all() as string[];
      for (const fam of ['opus', 'sonnet', 'haiku', 'gpt', 'gemini']) assert.ok(models.some((m) => m.includes(fam)), `has ${fam}`);
      for (const s of [429, 500, 529]) assert.ok(q(`SELECT count(*) FROM tape WHERE status = ${s}`) > 0, `has ${s}`);
      assert.ok(q('SELECT count(*) FROM tape WHERE cost_micros IS NULL') > 0, 'has unpriced calls');
      assert.equal(q('SELECT count(*) FROM tape WHERE cost_micros = 0 AND status = 200 AND output_tok > 0'), 0, 'no successful call is free');
      assert.ok(q('SELECT count(*) FROM tape WHERE cached_tok > 0') > 0 && q('SELECT count(*) FROM tape WHERE cache_write_1h_tok > 0') > 0);
      const sales = q("SELECT count(*) FROM tape WHERE project = 'sales-tool'");
      assert.ok(Math.abs(sales - 86_400 / 12 * 2) < 50, `sales tool fires two calls every 12 s (${sales})`);
      assert.ok(q("SELECT count(*) FROM tape WHERE project = 'nightly-batch' AND (ts % 86400000) / 3600000 NOT IN (1, 2)") === 0, 'batch jobs run at night');
    } finally {
      t.close();
    }
  });
});
