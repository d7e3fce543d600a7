import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { cliEnv, runCli } from '../helpers/tape.js';
import { hostTape, calls, type HostTape } from './fixtures.js';
import type { CallRow, NewCall } from '../../src/tape/row.js';
import type { RowFilter } from '../../src/tape/filter.js';
import { aggregateReport, buildReport, reportHours, type ReportBy, type ReportGroup } from '../../src/report/report.js';
import { centralRollup } from '../../src/tape/pg/report.js';

const NOW = Date.UTC(2026, 11, 3, 18, 30, 15, 500);

function asNew(r: CallRow): NewCall {
  const { id: _id, ...rest } = r;
  return { ...rest };
}

describe('tape report over the central tape', () => {
  let pg: PgCluster;
  let url: string;
  let a: HostTape;
  let b: HostTape;
  let union: HostTape;
  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('org_report');
    a = hostTape('box-a');
    b = hostTape('box-b');
    union = hostTape('union');
    // from mid-November across the month edge to now; box-b's hours straddle box-a's
    const start = Date.UTC(2026, 10, 14, 21, 17, 0);
    a.writer.appendBatch(calls(11, 6_000, start, NOW - start));
    b.writer.appendBatch(calls(12, 4_000, start + 1_234_567, NOW - start - 1_234_567));
    for (const t of [a, b]) union.writer.appendBatch((t.db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[]).map(asNew));
    for (const t of [a, b]) {
      const env = cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url });
      if (t === a) assert.equal(runCli(['ship', '--init'], env).status, 0);
      const r = runCli(['ship'], env);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  after(() => {
    for (const t of [a, b, union]) t?.close();
    pg?.stop();
  });

  const cases: [ReportBy, ReportGroup, string, RowFilter][] = [
    ['day', 'project', 'UTC', {}],
    ['week', 'model', 'UTC', {}],
    ['month', 'provider', 'UTC', {}],
    ['day', 'host', 'UTC', {}],
    ['day', 'project', '+05:30', { model: ['claude-*'] }],
    ['week', 'host', 'America/New_York', { project: ['s*', 'research'] }],
    ['day', 'model', 'UTC', { host: ['box-b'] }],
    ['month', 'project', 'UTC', { host: ['box-*'], provider: ['openai'] }],
  ];
  for (const [by, group, tz, filter] of cases) {
    it(`equals the report over the union of the local tapes, by ${by} and ${group} in ${tz} with filter ${JSON.stringify(filter)}`, async () => {
      for (const [since, until] of [[Date.UTC(2026, 10, 1), NOW], [Date.UTC(2026, 10, 20, 5, 30), Date.UTC(2026, 11, 2, 7, 1)]] as const) {
        const [lo, hi] = reportHours(since, until);
        const central = aggregateReport(await centralRollup(url, lo, hi, group, filter), by, tz);
        const local = buildReport(union.db, since, until, by, group, tz, filter);
        assert.ok(local.length > 0);
        assert.deepEqual(central, local);
      }
    });
  }

  it('sums the hosts to the whole organisation', async () => {
    const [lo, hi] = reportHours(Date.UTC(2026, 10, 1), NOW);
    const byHost = aggregateReport(await centralRollup(url, lo, hi, 'host', {}), 'month', 'UTC');
    assert.deepEqual(byHost.map((r) => r.group).sort(), ['box-a', 'box-a', 'box-b', 'box-b']);
    const calls = byHost.reduce((s, r) => s + r.calls, 0);
    assert.equal(calls, 10_000);
  });

  it('prints the same --json, --csv and table from --db postgres://... as from the union tape, and warns about the password', () => {
    for (const fmt of [['--json'], ['--csv'], []]) {
      const args = ['report', '--since', '2026-11-01T00:00:00Z', '--now', new Date(NOW).toISOString(), '--by', 'week', '--group', 'host', '--host', 'box-*', ...fmt];
      const central = runCli([...args, '--db', url], cliEnv(union.dir));
      assert.equal(central.status, 0, central.stderr);
      assert.match(central.stderr, /password in --db shows in the process list/);
      assert.ok(!central.stderr.includes(pg.password));
      const local = runCli([...args, '--db', union.path], cliEnv(union.dir));
      assert.equal(local.status, 0, local.stderr);
      assert.equal(central.stdout, local.stdout);
      assert.match(central.stdout, /box-b/);
    }
    const fromEnv = runCli(['report', '--json', '--since', '30d', '--now', new Date(NOW).toISOString()], cliEnv(union.dir, { TAPE_DB: url }));
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.equal(fromEnv.stderr, '');
  });

  it('says how to create the central tape when the database has none, without the password', async () => {
    const empty = await pg.createDatabase('org_empty');
    const r = runCli(['report', '--db', empty], cliEnv(union.dir));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /tape ship --init/);
    assert.ok(!r.stderr.includes(pg.password));
  });
});
