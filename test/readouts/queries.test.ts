import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempTape, call, type TempTape } from '../helpers/tape.js';
import { TapeQueries } from '../../src/tape/queries.js';

const NOW = Date.UTC(2026, 11, 20, 10, 30, 0);
const Q = { windowSeconds: 90, budgetRateSeconds: 86_400, budgetMicros: null };

/** Rows with explicit costs, so every expected figure is plain arithmetic. */
function priced(ts: number, cost: number | null, project = 'p') {
  return call({ ts, project, cost_micros: cost, price_version: 'test@1' });
}

describe('readout queries read exactly their windows', () => {
  let t: TempTape;
  before(() => {
    t = tempTape();
    t.writer.appendBatch([
      priced(NOW, 1), // in every window (ts <= now)
      priced(NOW + 1, 1000), // the future: in none
      priced(NOW - 60_000, 10), // exactly 60 s ago: not in the 60 s window (now - W < ts)
      priced(NOW - 59_999, 100), // just inside 60 s
      priced(NOW - 90_000, 10_000), // edge of 90 s window: out
      priced(NOW - 89_999, 20_000), // in 90 s window
      priced(NOW - 900_000, 100_000), // edge of 15 min: out
      priced(NOW - 899_999, 200_000, 'q'), // in 15 min
      priced(NOW - 1000, null), // unpriced: counted, adds no cost
      priced(Date.UTC(2026, 11, 1) - 1, 7_000_000), // last ms of November: not month to date
      priced(Date.UTC(2026, 11, 1), 3_000_000, 'r'), // first ms of December
      priced(NOW - 86_400_000, 50_000_000), // exactly 24 h ago: out of the trailing 24 h
      priced(NOW - 86_399_999, 60_000_000, 'r'), // just inside
      priced(NOW - 3_600_000, 400_000, 'q'), // exactly an hour ago: out of top-n hour
    ]);
  });
  after(() => t.close());

  it('sums the 60 s, 15 min and window totals on the right side of each edge', () => {
    const i = new TapeQueries(t.db).readoutInputs(NOW, Q);
    assert.equal(i.sum60sMicros, 1 + 100);
    assert.equal(i.windowMicros, 1 + 100 + 10 + 20_000);
    assert.equal(i.windowCalls, 5); // includes the unpriced call
    assert.equal(i.sum15mMicros, 1 + 10 + 100 + 10_000 + 20_000 + 200_000);
  });

  it('reads month to date and the trailing 24 h through the rollup, edges from the tape', () => {
    const i = new TapeQueries(t.db).readoutInputs(NOW, Q);
    const recent = 1 + 10 + 100 + 10_000 + 20_000 + 100_000 + 200_000 + 400_000;
    assert.equal(i.monthToDateMicros, recent + 3_000_000 + 50_000_000 + 60_000_000);
    assert.equal(i.budgetRateWindowMicros, recent + 60_000_000);
    assert.equal(i.unpricedCalls, 1);
  });

  it('gives the hour\'s cost per project, and the hour before the last refresh', () => {
    const i = new TapeQueries(t.db).readoutInputs(NOW, { ...Q, topRefreshMs: 5000 });
    const byName = Object.fromEntries(i.projects.map((p) => [p.project, p]));
    assert.equal(byName.p!.cost_micros, 1 + 10 + 100 + 10_000 + 20_000 + 100_000);
    assert.equal(byName.q!.cost_micros, 200_000);
    // five seconds ago the hour still held the row from exactly an hour ago, and not the row at now
    assert.equal(byName.q!.prev_cost_micros, 600_000);
    assert.equal(byName.p!.prev_cost_micros, 10 + 100 + 10_000 + 20_000 + 100_000);
  });

  it('filters every figure by project', () => {
    const i = new TapeQueries(t.db, { project: ['r'] }).readoutInputs(NOW, Q);
    assert.equal(i.monthToDateMicros, 63_000_000);
    assert.equal(i.sum15mMicros, 0);
  });

  it('shows the tape as it stood at an earlier moment', () => {
    const i = new TapeQueries(t.db).readoutInputs(Date.UTC(2026, 11, 1), Q);
    assert.equal(i.monthToDateMicros, 3_000_000);
  });
});

describe('the rollup path and the raw path agree', () => {
  it('gives the same readout inputs at many moments of a demo day', async () => {
    const { DemoSimulator } = await import('../../src/demo/simulator.js');
    const t = tempTape();
    try {
      const start = Date.UTC(2026, 10, 30, 20);
      new DemoSimulator(t.writer, { seed: 3, rate: 1 }).backfill(start, start + 8 * 3_600_000);
      const fast = new TapeQueries(t.db);
      // a filter that matches every row forces the raw/rollup_hour path
      const slow = new TapeQueries(t.db, { project: ['*'] });
      for (let i = 0; i < 40; i++) {
        const now = start + 1 + Math.floor((i * 8 * 3_600_000) / 40) + i * 7_919;
        const opts = { windowSeconds: [90, 300, 900, 3600][i % 4]!, budgetRateSeconds: 86_400, budgetMicros: null };
        const a = fast.readoutInputs(now, opts);
        const b = slow.readoutInputs(now, opts);
        const sortP = (x: typeof a) => ({ ...x, projects: [...x.projects].filter((p) => p.cost_micros || p.prev_cost_micros).sort((p, q) => (p.project < q.project ? -1 : 1)) });
        assert.deepEqual(sortP(a), sortP(b), `at ${new Date(now).toISOString()}`);
      }
    } finally {
      t.close();
    }
  });
});
