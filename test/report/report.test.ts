import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildReport, reportCsv, reportTable, periodLabel, zoneOffset } from '../../src/report/report.js';
import { budgetView } from '../../src/report/budget.js';
import { readCsv } from '../../src/reconcile/csv.js';
import { tempTape, DEC1, DEC2, HOUR } from '../reconcile/helpers.js';

const BIN = new URL('../../bin/tape', import.meta.url).pathname;

describe('tape report', () => {
  const t = tempTape();
  after(() => t.cleanup());
  before(() => {
    t.add([
      { ts: DEC1 + HOUR, project: 'a', cost_micros: 1_000_000, input_tok: 100, output_tok: 10 },
      { ts: DEC1 + 2 * HOUR, project: 'a', cost_micros: null, model: 'mystery' },
      { ts: DEC1 + 23 * HOUR + 30 * 60_000, project: 'b', provider: 'openai', model: 'gpt-4o', cost_micros: 500_000, status: 500 },
      { ts: DEC2 + HOUR, project: 'a', cost_micros: 2_000_000 },
    ]);
  });
  it('sums cost, calls, tokens and errors per day and group, with unpriced calls apart', () => {
    const rows = buildReport(t.db, DEC1, DEC2 + 86_400_000, 'day', 'project', 'UTC');
    assert.deepEqual(rows.map((r) => [r.period, r.group, r.cost_micros, r.calls, r.unpriced_calls, r.error_calls]), [
      ['2026-12-01', 'a', 1_000_000, 2, 1, 0],
      ['2026-12-01', 'b', 500_000, 1, 0, 1],
      ['2026-12-02', 'a', 2_000_000, 1, 0, 0],
    ]);
    const byModel = buildReport(t.db, DEC1, DEC2, 'day', 'model', 'UTC');
    assert.match(reportTable(byModel, 'model'), /mystery\s+unpriced\s+1\s+1/);
  });
  it('shifts day boundaries with --tz', () => {
    const rows = buildReport(t.db, DEC1, DEC2 + 86_400_000, 'day', 'provider', '+02:00');
    assert.deepEqual(rows.map((r) => [r.period, r.group, r.calls]), [
      ['2026-12-01', 'anthropic', 2],
      ['2026-12-02', 'anthropic', 1],
      ['2026-12-02', 'openai', 1],
    ]);
    assert.equal(zoneOffset('Europe/Paris')(DEC1), 3_600_000);
    assert.equal(periodLabel(DEC1, 'week', zoneOffset('UTC')), '2026-11-30 (week)');
    assert.equal(periodLabel(DEC1, 'month', zoneOffset('UTC')), '2026-12');
  });
  it('writes CSV that reads back', () => {
    const csv = reportCsv(buildReport(t.db, DEC1, DEC2 + 86_400_000, 'month', 'model', 'UTC'));
    const recs: string[][] = [];
    readCsv(csv, (r) => recs.push([...r.fields]));
    assert.equal(recs[0]![2], 'cost_usd');
    assert.deepEqual(recs.slice(1).map((r) => [r[0], r[1], r[2], r[4]]), [['2026-12', 'claude-sonnet-4-5-20250929', '3.000000', '0'], ['2026-12', 'gpt-4o', '0.500000', '0'], ['2026-12', 'mystery', '0.000000', '1']]);
  });
  it('groups and filters by host on a local tape (from the rows: the local rollup has no host)', () => {
    // on 2026-12-05, after the other tests' ranges
    t.add([{ ts: DEC2 + 3 * 86_400_000 + 2 * HOUR, project: 'a', cost_micros: 250_000, host: 'other-box' }]);
    const END = DEC2 + 4 * 86_400_000;
    const byHost = buildReport(t.db, DEC1, END, 'month', 'host', 'UTC');
    assert.deepEqual(byHost.map((r) => [r.group, r.cost_micros, r.calls, r.unpriced_calls, r.error_calls]), [
      [byHost[0]!.group, 3_500_000, 4, 1, 1],
      ['other-box', 250_000, 1, 0, 0],
    ]);
    const one = buildReport(t.db, DEC1, END, 'day', 'project', 'UTC', { host: ['other-*'] });
    assert.deepEqual(one.map((r) => [r.period, r.group, r.cost_micros, r.calls]), [['2026-12-05', 'a', 250_000, 1]]);
    const all = buildReport(t.db, DEC1, END, 'day', 'project', 'UTC', { host: ['*'] });
    assert.deepEqual(all, buildReport(t.db, DEC1, END, 'day', 'project', 'UTC'));
  });
  it('runs as a command with --json', () => {
    const r = spawnSync(process.execPath, [BIN, '--db', t.path, 'report', '--since', '2026-12-01', '--until', '2026-12-03', '--group', 'provider', '--provider', 'anthropic', '--provider', 'openai', '--json'], { encoding: 'utf8', env: { ...process.env, TAPE_CONFIG: `${t.dir}/none.json` } });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.period, l.group, l.cost_micros, l.unpriced_calls]), [['2026-12-01', 'anthropic', 1_000_000, 1], ['2026-12-01', 'openai', 500_000, 0], ['2026-12-02', 'anthropic', 2_000_000, 0]]);
  });
});

describe('budgets', () => {
  const t = tempTape();
  after(() => t.cleanup());
  it('gauges the whole tape and each project with a budget', () => {
    t.add([{ ts: DEC1 + HOUR, project: 'a', cost_micros: 24_000_000 }, { ts: DEC1 + 2 * HOUR, project: 'b', cost_micros: 1_000_000 }]);
    const now = DEC2; // 24 h after the month began: rate = month to date / 24 h
    const v = budgetView(t.db, now, 86_400, 1_000_000_000, { a: 720_000_000, b: 100_000_000 });
    // projection = mtd + mtd/24h x 30 days left = 31 x mtd
    assert.deepEqual([v.total.projected_micros, v.total.state], [775_000_000, 'under']);
    assert.deepEqual(v.projects.map((p) => [p.project, p.projected_micros, p.state]), [['a', 744_000_000, 'on'], ['b', 31_000_000, 'under']]);
  });
  it('sets and clears budgets in the config file', () => {
    const env = { ...process.env, TAPE_CONFIG: `${t.dir}/config.json`, TAPE_STATE_DIR: t.dir };
    const run = (...a: string[]) => spawnSync(process.execPath, [BIN, '--db', t.path, 'budget', ...a, '--now', '2026-12-02T00:00:00Z'], { encoding: 'utf8', env });
    assert.equal(run('5000').status, 0);
    const r = run('700', '--project', 'a', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(`${t.dir}/config.json`, 'utf8')), { budget: '5000', project_budgets: { a: '700' } });
    const doc = JSON.parse(r.stdout);
    assert.deepEqual([doc.total.budget_micros, doc.projects[0].project, doc.projects[0].state], [5_000_000_000, 'a', 'ahead']);
    assert.equal(run('12,5').status, 2);
    assert.equal(run('--clear', '--project', 'a').status, 0);
    assert.deepEqual(JSON.parse(readFileSync(`${t.dir}/config.json`, 'utf8')), { budget: '5000' });
  });
});

describe('per-project budget gauges in the readouts', () => {
  it('adds project_budgets only when a project budget is configured', async () => {
    const { computeReadouts } = await import('../../src/readouts/index.js');
    const base = { now: DEC2, sum60sMicros: 0, sum15mMicros: 0, windowSeconds: 90, windowMicros: 0, windowCalls: 0, projects: [], monthToDateMicros: 0, budgetRateSeconds: 86_400, budgetRateWindowMicros: 0, budgetMicros: null, periods: [], unpricedCalls: 0 };
    assert.equal('project_budgets' in computeReadouts(base), false);
    const r = computeReadouts({ ...base, projectBudgets: [{ project: 'a', mtdMicros: 24_000_000, rateWindowMicros: 24_000_000, budgetMicros: 700_000_000 }] });
    assert.deepEqual(r.project_budgets!.map((p) => [p.project, p.projected_micros, p.state]), [['a', 744_000_000, 'ahead']]);
  });
});
