import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { cliEnv, runCli } from '../helpers/tape.js';
import { hostTape, type HostTape } from '../ship/fixtures.js';
import { perHour, type Readouts } from '../../src/readouts/index.js';
import type { RowFilter } from '../../src/tape/filter.js';
import { NOW, fixtureCalls, query, screen, money, KEYS } from './fixture.js';
import { fmtPercent } from '../../src/ui/format.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `tape --json --no-follow --readouts --now NOW --db URL`: its closing readouts line. */
function cliReadouts(url: string, dir: string, filter: RowFilter = {}): Readouts {
  const hosts = (filter.host ?? []).flatMap((h) => ['--host', h]);
  const r = runCli(['--json', '--no-follow', '--readouts', '--now', new Date(NOW).toISOString(), '--db', url, ...hosts], cliEnv(dir));
  assert.equal(r.status, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.type, 'readouts');
  return last as Readouts;
}

function ship(t: HostTape, url: string, init = false): void {
  const env = cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url });
  if (init) assert.equal(runCli(['ship', '--init'], env).status, 0);
  const r = runCli(['ship'], env);
  assert.equal(r.status, 0, r.stderr);
}

describe('the screen over the central tape (tape --db postgres://...)', () => {
  let pg: PgCluster;
  let url: string;
  let a: HostTape;
  let b: HostTape;
  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('screen');
    a = hostTape('box-a');
    b = hostTape('box-b');
    const all = fixtureCalls();
    a.writer.appendBatch(all.slice(0, 3));
    b.writer.appendBatch(all.slice(3));
    ship(a, url, true);
    ship(b, url);
  });
  after(() => {
    a?.close();
    b?.close();
    pg?.stop();
  });

  it('shows the same figures as tape --json --readouts over the central tape', async () => {
    const r = cliReadouts(url, a.dir);
    const s = screen(url, { columns: 100, rows: 30 });
    try {
      const f = await s.until(`calls  ${r.window.calls}`);
      assert.equal(r.window.calls, 4);
      assert.ok(f.includes(`total  ${money.amount(r.window.cost_micros)}`), f);
      assert.ok(f.includes(`rate   ${money.rate(perHour(r.window.cost_micros, r.window.seconds))}`), f);
      const g = await s.until(`${money.rate(r.run_rate.w60s_micros_per_hour)} | ${money.rate(r.run_rate.w15m_micros_per_hour)}`);
      assert.equal(r.top.length, 3);
      for (const [i, e] of r.top.entries()) {
        assert.match(g, new RegExp(`${i + 1} ${e.project.slice(0, 8)}\\S* +${money.rate(e.micros_per_hour).replace(/[$.]/g, '\\$&')}`), g);
        assert.ok(g.includes(`${Math.round(e.share * 100)}%`), g);
      }
      assert.ok(g.includes(`mtd ${money.amount(r.budget.mtd_micros)} proj ${money.amount(r.budget.projected_micros)}`), g);
      assert.ok(g.includes('VARIANCE no invoice yet'), g);
      assert.ok(g.includes(`${r.unpriced_calls} unpriced`), g);
    } finally {
      s.unmount();
    }
  });

  it('names the tape by its URL without the password, and shows the host of every call', async () => {
    const wide = screen(url, { columns: 200, rows: 40 });
    try {
      const f = await wide.until('box-b');
      assert.ok(f.includes(`tape postgres://tape@127.0.0.1:${pg.port}/screen  `), f);
      assert.ok(!f.includes(pg.password), 'the password never shows');
    } finally {
      wide.unmount();
    }
    const s = screen(url, { columns: 100, rows: 30 });
    try {
      const f = await s.until('box-b');
      assert.ok(f.includes(`tape 127.0.0.1:${pg.port}/screen  `), f);
      assert.match(f, /host/);
      assert.ok(f.includes('box-a'), f);
      for (const line of f.split('\n')) assert.ok(line.length <= 100, line);
      // the call detail names the host too
      s.write(' ');
      await s.until('PAUSED');
      s.write(KEYS.enter);
      const d = await s.until('CALL ');
      assert.match(d, /host\s+box-b/);
    } finally {
      s.unmount();
    }
  });

  it('keeps the host column at 80 columns, and filters by host (--host, globs) like tape --json', async () => {
    const filter = { host: ['box-b*'] };
    const r = cliReadouts(url, a.dir, filter);
    const s = screen(url, { columns: 80, rows: 24, q: query(90, null, filter) });
    try {
      const f = await s.until(`calls  ${r.window.calls}`);
      assert.equal(r.window.calls, 3);
      assert.ok(f.includes(`total  ${money.amount(r.window.cost_micros)}`), f);
      assert.ok(f.includes('box-b'), f);
      assert.ok(!f.includes('box-a'), f);
      for (const line of f.split('\n')) assert.ok(line.length <= 80, line);
    } finally {
      s.unmount();
    }
  });

  it('shows a row shipped after the screen opened, woken by LISTEN/NOTIFY (no polling)', async () => {
    const s = screen(url, { columns: 100, rows: 30, pollMs: 3_600_000, timeoutMs: 15_000 });
    try {
      await s.until('box-b');
      a.writer.appendBatch([{ ...fixtureCalls()[2]!, ts: NOW - 1000, project: 'live-notify', request_id: 'live-notify-1' }]);
      ship(a, url);
      const f = await s.until('live-notify');
      assert.match(f, /live-notify.*\n/);
    } finally {
      s.unmount();
    }
  });

  it('says so when the server goes away, keeps what it read, and resumes from its cursor', async () => {
    const s = screen(url, { columns: 100, rows: 30, pollMs: 200, timeoutMs: 20_000 });
    try {
      await s.until('box-b');
      pg.pause();
      const down = await s.until('reading the tape failed');
      assert.ok(down.includes('retrying'), down);
      assert.ok(down.includes('box-a'), 'what was read stays on screen');
      assert.ok(!down.includes(pg.password));
      pg.resume();
      b.writer.appendBatch([{ ...fixtureCalls()[3]!, ts: NOW - 500, project: 'post-outage', request_id: 'post-outage-1' }]);
      ship(b, url);
      const back = await s.until('post-outage');
      await s.until((text) => !text.includes('reading the tape failed'), 'the notice to go');
      assert.ok(back.includes('live-notify') || back.includes('box-a'), back);
    } finally {
      s.unmount();
    }
  });

  it('shows the variance band of bills imported into the central tape, as tape --json --readouts does', async () => {
    // the opus call of 2026-12-19 billed 1% above the tape
    const bill = join(a.dir, 'bill.csv');
    writeFileSync(bill, 'date,provider,model,project,cost_usd\n2026-12-19,anthropic,claude-opus-4-5,underwriting,0.115140\n');
    const imported = runCli(['reconcile', bill, '--db', url], cliEnv(a.dir));
    assert.ok(imported.status === 0 || imported.status === 3, imported.stderr);
    const r = cliReadouts(url, a.dir);
    assert.notEqual(r.variance.state, 'none');
    assert.notEqual(r.variance.latest, null);
    const s = screen(url, { columns: 100, rows: 30 });
    try {
      const word = r.variance.state === 'incident' ? 'INCIDENT' : r.variance.state === 'watch' ? 'WATCH' : 'OK';
      const f = await s.until(`VARIANCE ${word}`);
      await s.until(fmtPercent(r.variance.latest!), `the latest variance ${fmtPercent(r.variance.latest!)} in:\n${f}`);
    } finally {
      s.unmount();
    }
  });
});
