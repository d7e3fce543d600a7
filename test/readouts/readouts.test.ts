import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runRate, topContributors, budgetGauge, monthBounds, varianceBand, varianceOf, computeReadouts, DEFAULT_READOUT_SETTINGS } from '../../src/readouts/index.js';
import type { ReadoutInputs } from '../../src/readouts/index.js';

const H = 3_600_000;

describe('run rate', () => {
  it('scales each window to an hour', () => {
    const r = runRate(9000, 105_000, 1.5, 0.5);
    assert.deepEqual(r, { w60s_micros_per_hour: 540_000, w15m_micros_per_hour: 420_000, diverging: null });
  });
  it('flags up above 1.5x and down below 0.5x, and not at the thresholds', () => {
    // r60 = s60*60, r15 = s15*4
    assert.equal(runRate(101, 1000, 1.5, 0.5).diverging, 'up'); // 6060 > 6000
    assert.equal(runRate(100, 1000, 1.5, 0.5).diverging, null); // 6000 = 1.5x
    assert.equal(runRate(33, 1000, 1.5, 0.5).diverging, 'down'); // 1980 < 2000
    assert.equal(runRate(34, 1000, 1.5, 0.5).diverging, null);
  });
  it('is quiet on an empty tape and "up" when spending starts from nothing', () => {
    assert.equal(runRate(0, 0, 1.5, 0.5).diverging, null);
    assert.equal(runRate(5, 5, 1.5, 0.5).diverging, 'up');
  });
  it('rounds fractional micros half away from zero', () => {
    assert.equal(runRate(0, 1, 1.5, 0.5).w15m_micros_per_hour, 4);
    assert.equal(runRate(0, 0, 1.5, 0.5).w60s_micros_per_hour, 0);
  });
});

describe('top contributors', () => {
  it('ranks by the hour\'s cost with shares of the hour\'s total', () => {
    const top = topContributors([
      { project: 'a', cost_micros: 72_000, prev_cost_micros: 72_000 },
      { project: 'b', cost_micros: 40_000, prev_cost_micros: 10_000 },
      { project: 'c', cost_micros: 10_000, prev_cost_micros: 50_000 },
      { project: 'd', cost_micros: 6_000, prev_cost_micros: 0 },
    ]);
    assert.deepEqual(top, [
      { project: 'a', cost_micros: 72_000, micros_per_hour: 72_000, share: 0.5625, rank_change: 0 },
      { project: 'b', cost_micros: 40_000, micros_per_hour: 40_000, share: 0.3125, rank_change: 1 },
      { project: 'c', cost_micros: 10_000, micros_per_hour: 10_000, share: 0.078125, rank_change: -1 },
    ]);
  });
  it('marks a newcomer with null and breaks ties by name', () => {
    const top = topContributors([
      { project: 'z', cost_micros: 5, prev_cost_micros: 5 },
      { project: 'y', cost_micros: 5, prev_cost_micros: 0 },
    ]);
    assert.deepEqual(top.map((t) => [t.project, t.rank_change]), [['y', null], ['z', -1]]);
  });
  it('is empty on an empty hour', () => {
    assert.deepEqual(topContributors([]), []);
  });
});

describe('fractions of six decimals round half away from zero exactly', () => {
  it('gives a share that falls on a half its upper neighbour (41/640 = 0.0640625)', () => {
    // Math.round(41 / 640 * 1e6) / 1e6 is 0.064062: the float product lands just under the half
    const top = topContributors([
      { project: 'a', cost_micros: 41, prev_cost_micros: 0 },
      { project: 'b', cost_micros: 323, prev_cost_micros: 0 },
      { project: 'c', cost_micros: 276, prev_cost_micros: 0 },
    ]);
    assert.deepEqual(top.map((t) => [t.project, t.share]), [['b', 0.504688], ['c', 0.43125], ['a', 0.064063]]);
  });
  it('gives a variance on a half its neighbour away from zero, both signs', () => {
    assert.equal(varianceOf(681, 640), 0.064063);
    assert.equal(varianceOf(599, 640), -0.064063);
  });
});

describe('budget gauge', () => {
  it('projects month-to-date plus the trailing rate over the hours left (DESIGN example)', () => {
    const now = Date.UTC(2026, 11, 20);
    const g = budgetGauge(now, 1_000_000, 57_600, 86_400, 2_000_000);
    assert.deepEqual(g, { month: '2026-12', mtd_micros: 1_000_000, rate_micros_per_hour: 2400, hours_left: 288, projected_micros: 1_691_200, budget_micros: 2_000_000, state: 'under' });
  });
  it('has three states at exactly 95% and 105%', () => {
    const end = Date.UTC(2027, 0, 1);
    assert.equal(budgetGauge(end - 1, 949_999, 0, 86_400, 1_000_000).state, 'under');
    assert.equal(budgetGauge(end - 1, 950_000, 0, 86_400, 1_000_000).state, 'on');
    assert.equal(budgetGauge(end - 1, 1_050_000, 0, 86_400, 1_000_000).state, 'on');
    assert.equal(budgetGauge(end - 1, 1_050_001, 0, 86_400, 1_000_000).state, 'ahead');
    assert.equal(budgetGauge(end - 1, 5, 0, 86_400, null).state, null);
  });
  it('uses UTC month boundaries, leap years included', () => {
    assert.deepEqual(monthBounds(Date.UTC(2028, 1, 29, 23, 59, 59, 999)), { start: Date.UTC(2028, 1, 1), end: Date.UTC(2028, 2, 1), label: '2028-02' });
    assert.equal(budgetGauge(Date.UTC(2028, 1, 1), 0, 0, 86_400, null).hours_left, 29 * 24);
    assert.equal(budgetGauge(Date.UTC(2027, 1, 1), 0, 0, 86_400, null).hours_left, 28 * 24);
    assert.equal(monthBounds(Date.UTC(2026, 11, 31, 23, 59, 59, 999)).label, '2026-12');
    assert.equal(monthBounds(Date.UTC(2027, 0, 1)).label, '2027-01');
  });
  it('computes the projection exactly and rounds it once', () => {
    // 1 micro over 24 h, 12 h left: 0.5 -> 1 (half away from zero)
    const g = budgetGauge(Date.UTC(2026, 11, 31, 12), 0, 1, 86_400, null);
    assert.equal(g.projected_micros, 1);
    assert.equal(g.hours_left, 12);
  });
  it('rounds hours left to 3 decimals half away from zero, exactly', () => {
    // 1,801,800 ms = 0.5005 h: Math.round(0.5005 * 1000) gives 500
    const end = Date.UTC(2027, 0, 1);
    assert.equal(budgetGauge(end - 1_801_800, 0, 0, 86_400, null).hours_left, 0.501);
    assert.equal(budgetGauge(end - 1_800, 0, 0, 86_400, null).hours_left, 0.001);
    assert.equal(budgetGauge(end - 1_799, 0, 0, 86_400, null).hours_left, 0);
  });
});

describe('variance band', () => {
  const p = (day: number, tape: number, billed: number) => ({ start_ms: Date.UTC(2026, 11, day), end_ms: Date.UTC(2026, 11, day + 1), label: `2026-12-${day}`, tape_micros: tape, billed_micros: billed });
  it('is "none" before any invoice', () => {
    assert.deepEqual(varianceBand([], 0.005), { latest: null, trend: null, periods: [], state: 'none', cause: null });
  });
  it('is ok within 0.5%, watch for one period beyond, incident for two in a row', () => {
    assert.equal(varianceBand([p(1, 1_005_000, 1_000_000)], 0.005).state, 'ok');
    assert.equal(varianceBand([p(1, 1_000_000, 1_000_000), p(2, 1_006_000, 1_000_000)], 0.005).state, 'watch');
    const inc = varianceBand([p(1, 990_000, 1_000_000), p(2, 1_006_000, 1_000_000)], 0.005);
    assert.equal(inc.state, 'incident');
    assert.equal(inc.latest, 0.006);
    assert.equal(inc.trend, 0.016);
  });
  it('decides "beyond" on the exact amounts, not on the variance rounded to 6 decimals', () => {
    // 0.0050000001: shown as 0.005, yet beyond 0.5 %; exactly 0.5 % is not beyond
    const over = varianceBand([p(1, 10_050_000_001, 10_000_000_000)], 0.005);
    assert.deepEqual([over.latest, over.state], [0.005, 'watch']);
    assert.equal(varianceBand([p(1, 10_050_000_000, 10_000_000_000)], 0.005).state, 'ok');
    assert.equal(varianceBand([p(1, 9_949_999_999, 10_000_000_000)], 0.005).state, 'watch');
    assert.equal(varianceBand([p(1, 5, 0)], 0.005).state, 'watch');
    assert.equal(varianceBand([p(1, 0, 0)], 0.005).state, 'ok');
  });
});

describe('all readouts together', () => {
  it('are computed from their inputs alone', () => {
    const inputs: ReadoutInputs = {
      now: Date.UTC(2026, 11, 20), sum60sMicros: 9000, sum15mMicros: 105_000, windowSeconds: 90, windowMicros: 9000, windowCalls: 4,
      projects: [{ project: 'underwriting', cost_micros: 72_000, prev_cost_micros: 72_000 }, { project: 'x', cost_micros: 56_000, prev_cost_micros: 56_000 }],
      monthToDateMicros: 1_000_000, budgetRateSeconds: 86_400, budgetRateWindowMicros: 57_600, budgetMicros: 2_000_000, periods: [], unpricedCalls: 0,
    };
    const r = computeReadouts(inputs, DEFAULT_READOUT_SETTINGS);
    assert.equal(r.now, '2026-12-20T00:00:00.000Z');
    assert.equal(r.top[0]!.share, 0.5625);
    assert.equal(r.budget.projected_micros, 1_691_200);
    assert.equal(r.variance.state, 'none');
    assert.equal(H, 3_600_000);
  });
});

describe('readouts stay exact with any configured threshold or window', () => {
  it('compares the 60 s rate with a threshold as the decimal it was written as', () => {
    // r60 = 115 x 60 = 6900 is exactly 2.3 x r15 = 2.3 x 3000, not above it; 2.3 * 3000 is 6899.999999999999 in floats
    assert.equal(runRate(115, 750, 2.3, 0.5).diverging, null);
    assert.equal(runRate(116, 750, 2.3, 0.5).diverging, 'up');
    // r60 = 63 x 60 = 3780 = 0.7 x 5400, not below it
    assert.equal(runRate(63, 1350, 1.5, 0.7).diverging, null);
    assert.equal(runRate(62, 1350, 1.5, 0.7).diverging, 'down');
  });
  it('scales sums past 2^53 / 3600 in integers', () => {
    assert.equal(runRate(9_007_199_254_741, 0, 1.5, 0.5).w60s_micros_per_hour, 540_431_955_284_460);
  });
  it('accepts a trailing budget window that is not a whole number of seconds', () => {
    // 7,200 micros over 3,600.5 s: 7199.0001 per hour; 12 h left: 86,388.0017
    const g = budgetGauge(Date.UTC(2026, 11, 31, 12), 0, 7_200, 3_600.5, null);
    assert.equal(g.rate_micros_per_hour, 7_199);
    assert.equal(g.projected_micros, 86_388);
  });
});
