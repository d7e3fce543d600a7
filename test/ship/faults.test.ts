import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { cliEnv, runCli, spawnCli, waitFor } from '../helpers/tape.js';
import { hostTape, calls, LOCAL_SIGNATURE, CENTRAL_SIGNATURE, type HostTape } from './fixtures.js';
import { Rng } from '../../src/demo/random.js';

const T0 = Date.UTC(2026, 11, 3, 6, 0, 0);
type Sig = Record<string, unknown>;

function localRows(t: HostTape): Sig[] {
  return t.db.prepare(`SELECT ${LOCAL_SIGNATURE} FROM tape ORDER BY id`).all() as Sig[];
}

async function centralRows(pg: PgCluster, db: string, host: string): Promise<Sig[]> {
  const rows = await pg.query<Sig>(db, `SELECT ${CENTRAL_SIGNATURE} FROM tape WHERE host = $1 ORDER BY id`, [host]);
  // bigint columns come back as strings: compare as numbers
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^(id|ts|input_tok|output_tok|cost_micros)$/.test(k) ? Number(v) : v])));
}

async function assertRollupMatches(pg: PgCluster, db: string): Promise<void> {
  const [t] = await pg.query<{ n: string; c: string }>(db, 'SELECT count(*) AS n, COALESCE(sum(cost_micros), 0) AS c FROM tape');
  const [r] = await pg.query<{ n: string; c: string }>(db, 'SELECT COALESCE(sum(calls), 0) AS n, COALESCE(sum(cost_micros), 0) AS c FROM rollup_hour');
  assert.deepEqual(r, t, 'the rollup counts every central row exactly once');
}

describe('shipping survives crashes, outages and schema mismatches', () => {
  let pg: PgCluster;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.stop());

  it('two tapes with overlapping ids, shippers SIGKILLed again and again: central = union, 0 missing, 0 duplicated', async () => {
    const url = await pg.createDatabase('crash');
    const tapes = [hostTape('box-a'), hostTape('box-b')];
    try {
      const envs = tapes.map((t) => cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url }));
      assert.equal(runCli(['ship', '--init'], envs[0]!).status, 0);
      tapes.forEach((t, i) => t.writer.appendBatch(calls(10 + i, 15_000, T0, 2 * 3_600_000)));
      const rng = new Rng(42);
      const points = ['random', 'before-send', 'after-send', 'after-commit'] as const;
      let killed = 0;
      for (let round = 0; round < 12; round++) {
        const point = points[round % points.length]!;
        await Promise.all(tapes.map(async (t, i) => {
          const extra: Record<string, string> = point === 'random' ? {} : { TAPE_TEST_SHIP_CRASH: point };
          const child = spawnCli(['ship', '--batch', '700'], { ...envs[i]!, ...extra });
          const timer = point === 'random' ? setTimeout(() => child.kill('SIGKILL'), rng.int(50, 900)) : null;
          const [code, signal] = await once(child, 'exit');
          if (timer) clearTimeout(timer);
          if (signal === 'SIGKILL') killed++;
          else assert.equal(code, 0);
        }));
        // the boxes keep writing between (and while) shippers die
        tapes.forEach((t, i) => t.writer.appendBatch(calls(100 * round + i, 300, T0 + 2 * 3_600_000 + round * 60_000, 60_000)));
      }
      assert.ok(killed >= 8, `shippers were killed mid-way (${killed} times)`);
      for (const env of envs) {
        const r = runCli(['ship'], env);
        assert.equal(r.status, 0, r.stderr);
      }
      for (const t of tapes) {
        const host = t === tapes[0] ? 'box-a' : 'box-b';
        const local = localRows(t);
        const central = await centralRows(pg, 'crash', host);
        assert.equal(central.length, local.length, `${host}: central holds every local row once`);
        assert.deepEqual(central, local);
      }
      await assertRollupMatches(pg, 'crash');
    } finally {
      tapes.forEach((t) => t.close());
    }
  });

  it('PostgreSQL stopped under load: local writes go on, and the backlog drains afterwards', async () => {
    const url = await pg.createDatabase('outage');
    const t = hostTape('box-c');
    const env = cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url });
    assert.equal(runCli(['ship', '--init'], env).status, 0);
    const child = spawnCli(['ship', '--follow'], env);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let n = 0;
    const writer = setInterval(() => t.writer.appendBatch(calls(1000 + n++, 40, T0 + n * 1000, 1000)), 20);
    const central = async () => Number((await pg.query<{ n: string }>('outage', 'SELECT count(*) AS n FROM tape'))[0]!.n);
    try {
      let seen = 0;
      for (let i = 0; i < 200 && (seen = await central()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(seen > 0, 'shipping started');
      pg.pause();
      const before = n;
      await waitFor(() => n >= before + 60, 'local writes during the outage', 20_000);
      const status = await waitFor(() => {
        const s = JSON.parse(runCli(['status', '--json'], env).stdout).destinations[0];
        return s?.state === 'retrying' ? s : undefined;
      }, 'status to show the outage', 20_000);
      assert.ok(status.backlog_rows > 0);
      pg.resume();
      clearInterval(writer);
      const total = (t.db.prepare('SELECT count(*) FROM tape').pluck().get() as number);
      for (let i = 0; i < 600 && (await central()) < total; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await central(), total, 'the backlog drained');
      assert.deepEqual(await centralRows(pg, 'outage', 'box-c'), localRows(t));
      await assertRollupMatches(pg, 'outage');
      const after = JSON.parse(runCli(['status', '--json'], env).stdout).destinations[0];
      assert.equal(after.backlog_rows, 0);
      assert.equal(after.state, 'ok');
      assert.match(stderr, /retrying in/);
      assert.ok(!stderr.includes(pg.password));
    } finally {
      clearInterval(writer);
      child.kill('SIGTERM');
      await once(child, 'exit');
      t.close();
    }
  });

  it('a schema mismatch stops shipping with the SQLSTATE and resumes from the same cursor once fixed', async () => {
    const url = await pg.createDatabase('mismatch');
    const t = hostTape('box-d');
    const env = cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url });
    try {
      assert.equal(runCli(['ship', '--init'], env).status, 0);
      t.writer.appendBatch(calls(7, 3000, T0, 3_600_000));
      assert.equal(runCli(['ship', '--batch', '1000'], env).status, 0);
      t.writer.appendBatch(calls(8, 2000, T0 + 3_600_000, 3_600_000));
      await pg.query('mismatch', 'ALTER TABLE tape RENAME COLUMN model TO model_renamed');
      const r = runCli(['ship', '--batch', '1000'], env);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /SQLSTATE 42703/);
      assert.match(r.stderr, /before local row 3001 \(nothing skipped\)/);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one clear line');
      const s = JSON.parse(runCli(['status', '--json'], env).stdout).destinations[0];
      assert.deepEqual([s.state, s.cursor, s.backlog_rows, s.last_error.sqlstate], ['stopped', 3000, 2000, '42703']);
      const follow = runCli(['ship', '--follow'], env);
      assert.equal(follow.status, 1, 'following, a permanent failure ends shipping with its code');
      assert.match(follow.stderr, /^tape ship: shipping stopped before local row 3001 .*SQLSTATE 42703/m);
      await pg.query('mismatch', 'ALTER TABLE tape RENAME COLUMN model_renamed TO model');
      const ok = runCli(['ship', '--batch', '1000'], env);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stderr, /2000 rows sent \(2000 new\)/);
      assert.deepEqual(await centralRows(pg, 'mismatch', 'box-d'), localRows(t));
      const s2 = JSON.parse(runCli(['status', '--json'], env).stdout).destinations[0];
      assert.deepEqual([s2.state, s2.cursor, s2.last_error], ['ok', 5000, null]);
    } finally {
      t.close();
    }
  });

  it('following, waits for a tape that does not exist yet (the daemon creates it) and ships its rows', async () => {
    const url = await pg.createDatabase('later');
    const t = hostTape('box-e');
    const path = `${t.path}.later`;
    const env = cliEnv(t.dir, { TAPE_DB: path, TAPE_SHIP_TO: url });
    assert.equal(runCli(['ship', '--init'], env).status, 0);
    const child = spawnCli(['ship', '--follow'], env);
    try {
      await new Promise((r) => setTimeout(r, 700));
      const { openWriter } = await import('../../src/tape/db.js');
      const { TapeWriter } = await import('../../src/tape/writer.js');
      const db = openWriter(path);
      new TapeWriter(db, t.writer.prices, { host: 'box-e', path }).appendBatch(calls(5, 250, T0, 60_000));
      db.close();
      for (let i = 0; i < 300; i++) {
        const [c] = await pg.query<{ n: string }>('later', 'SELECT count(*) AS n FROM tape');
        if (Number(c!.n) === 250) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const [c] = await pg.query<{ n: string }>('later', 'SELECT count(*) AS n FROM tape');
      assert.equal(Number(c!.n), 250);
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
      t.close();
    }
  });

  it('two tapes shipping under one host name stop instead of losing rows', async () => {
    const url = await pg.createDatabase('clash');
    const a = hostTape('same-box');
    const b = hostTape('same-box');
    try {
      a.writer.appendBatch(calls(1, 100, T0, 1000));
      b.writer.appendBatch(calls(2, 100, T0 + 5000, 1000));
      const ea = cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: url });
      assert.equal(runCli(['ship', '--init'], ea).status, 0);
      assert.equal(runCli(['ship'], ea).status, 0);
      const r = runCli(['ship'], cliEnv(b.dir, { TAPE_DB: b.path, TAPE_SHIP_TO: url }));
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /same host name/);
    } finally {
      a.close();
      b.close();
    }
  });
});
