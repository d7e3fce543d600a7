import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { cliEnv, inTerminal, runCli } from '../helpers/tape.js';
import { hostTape, calls, type HostTape } from './fixtures.js';
import { parsePgUrl, redact } from '../../src/tape/pg/connect.js';
import { classifyPgError, backoffMs } from '../../src/tape/pg/errors.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

describe('tape ship to a real PostgreSQL', () => {
  let pg: PgCluster;
  let url: string;
  let a: HostTape;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('central');
    a = hostTape('box-a');
    a.writer.appendBatch(calls(1, 12_000, T0, 3 * 3_600_000));
    env = cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: url });
  });
  after(() => {
    a?.close();
    pg?.stop();
  });

  it('refuses to ship before the central schema exists, and says how to create it', () => {
    const r = runCli(['ship'], env);
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /tape ship --init/);
  });

  it('creates the schema with --init, and a second --init changes nothing', () => {
    const r1 = runCli(['ship', '--init'], env);
    assert.equal(r1.status, 0, r1.stderr);
    assert.match(r1.stdout, /schema v3 \(created\)/);
    const r2 = runCli(['ship', '--init'], env);
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stdout, /already current/);
  });

  it('copies every row once, with ts as TIMESTAMPTZ beside ts_ms, and the rollup in step', async () => {
    const r = runCli(['ship'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /12000 rows sent \(12000 new\)/);
    const [c] = await pg.query<{ n: string; lo: string; hi: string; ok: boolean }>('central',
      `SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, bool_and(ts = to_timestamp(ts_ms / 1000.0)) AS ok FROM tape WHERE host = 'box-a'`);
    assert.deepEqual([Number(c!.n), Number(c!.lo), Number(c!.hi), c!.ok], [12_000, 1, 12_000, true]);
    const [roll] = await pg.query<{ calls: string; cost: string }>('central', 'SELECT sum(calls) AS calls, sum(cost_micros) AS cost FROM rollup_hour');
    const local = a.db.prepare('SELECT count(*) AS calls, sum(cost_micros) AS cost FROM tape').get() as { calls: number; cost: number };
    assert.deepEqual([Number(roll!.calls), Number(roll!.cost)], [local.calls, local.cost]);
  });

  it('ships nothing twice: a re-run sends nothing, a reset cursor re-sends rows the key ignores', async () => {
    const r = runCli(['ship'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /0 rows sent/);
    const fresh = cliEnv(join(a.dir, 'other-state'), { TAPE_DB: a.path, TAPE_SHIP_TO: url });
    const again = runCli(['ship'], fresh);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /12000 rows sent \(0 new\)/);
    const [c] = await pg.query<{ n: string }>('central', 'SELECT count(*) AS n FROM tape');
    assert.equal(Number(c!.n), 12_000);
    const [roll] = await pg.query<{ calls: string }>('central', 'SELECT sum(calls) AS calls FROM rollup_hour');
    assert.equal(Number(roll!.calls), 12_000);
  });

  it('shows a bar with the count and rate while shipping in a terminal, and none through a pipe', () => {
    const fresh = cliEnv(join(a.dir, 'tty-state'), { TAPE_DB: a.path, TAPE_SHIP_TO: url });
    delete fresh.CI;
    const tty = inTerminal(['ship', '--batch', '1000'], fresh);
    assert.equal(tty.status, 0, tty.screen);
    assert.match(tty.screen, /ship █+ 100%\s+12,000 rows\s+[\d,]+\/s/);
    assert.ok(!tty.screen.includes(pg.password));
    // the pipe run above (and every other) printed its summary only: no bar, no carriage returns
    const piped = runCli(['ship'], fresh);
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /█|\r/);
  });

  it('shows the shipping state with tape status --json, destination redacted', () => {
    a.writer.appendBatch(calls(2, 7, T0 + 4 * 3_600_000, 1000));
    const r = runCli(['status', '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.type, 'ship_status');
    assert.equal(s.destinations.length, 1);
    const d = s.destinations[0];
    assert.equal(d.destination, `postgres://tape@127.0.0.1:${pg.port}/central`);
    assert.equal(d.cursor, 12_000);
    assert.equal(d.backlog_rows, 7);
    assert.equal(d.state, 'behind');
    assert.match(d.last_success, /Z$/);
    assert.ok(!r.stdout.includes(pg.password));
    const plain = runCli(['status'], env);
    assert.match(plain.stdout, /backlog 7 rows/);
  });

  it('never prints the password, even when it is given on the command line to an unreachable server', () => {
    const bad = url.replace(`:${pg.port}/`, ':1/');
    const r = runCli(['ship', '--to', bad, '--retry-for', '1s'], cliEnv(a.dir, { TAPE_DB: a.path }));
    assert.equal(r.status, 9, r.stderr);
    assert.match(r.stderr, /process list/);
    assert.match(r.stderr, /ECONNREFUSED|cannot reach/);
    assert.ok(!r.stderr.includes(pg.password), r.stderr);
    assert.ok(!r.stdout.includes(pg.password));
  });

  it('refuses a PostgreSQL URL where a local tape file is needed, without echoing it', () => {
    for (const args of [['status'], ['ship'], ['status', '--json']]) {
      const r = runCli([...args, '--db', url], cliEnv(a.dir, { TAPE_SHIP_TO: url }));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /local tape file|not at PostgreSQL/);
      assert.ok(!r.stderr.includes(pg.password) && !r.stdout.includes(pg.password));
    }
  });

  it('fails with a clear line when the password is wrong (SQLSTATE 28P01, no retry)', () => {
    const bad = url.replace(pg.password, 'wrong-password-123');
    const r = runCli(['ship'], cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: bad }));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /SQLSTATE 28P01/);
    assert.ok(!r.stderr.includes('wrong-password-123'));
  });

  it('refuses a foreign database that already has a tape table', async () => {
    const other = await pg.createDatabase('foreign');
    await pg.query('foreign', 'CREATE TABLE tape (x int)');
    const r = runCli(['ship', '--init'], cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: other }));
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /did not create/);
  });

  it('refuses a central schema newer than this tape knows', async () => {
    const newer = await pg.createDatabase('newer');
    const e = cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: newer });
    assert.equal(runCli(['ship', '--init'], e).status, 0);
    await pg.query('newer', "UPDATE tape_meta SET value = '99' WHERE key = 'schema_version'");
    const r = runCli(['ship', '--init'], e);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /v99, newer/);
  });
});

describe('PostgreSQL destinations', () => {
  it('verifies TLS (verify-full, with the host as servername) for any host that is not loopback', () => {
    const t = parsePgUrl('postgres://u:secret-pw@db.example.com:6543/org', {});
    assert.deepEqual(t.config.ssl, { rejectUnauthorized: true, servername: 'db.example.com' });
    assert.equal(t.redacted, 'postgres://u@db.example.com:6543/org');
    assert.throws(() => parsePgUrl('postgres://u@db.example.com/org?sslmode=require', {}), /verify-full/);
    assert.throws(() => parsePgUrl('postgres://u@10.0.0.5/org?sslmode=disable', {}), /verify-full/);
  });

  it('allows plain connections on loopback and unix sockets', () => {
    assert.equal(parsePgUrl('postgres://u@127.0.0.1/org', {}).config.ssl, false);
    assert.equal(parsePgUrl('postgres://u@localhost/org', {}).config.ssl, false);
    assert.equal(parsePgUrl('postgres://u@[::1]:5433/org', {}).config.ssl, false);
    const sock = parsePgUrl('postgres://u@/org?host=/var/run/postgresql', {});
    assert.equal(sock.config.host, '/var/run/postgresql');
    assert.equal(sock.config.ssl, false);
  });

  it('redacts the URL and the password from any message', () => {
    const raw = 'postgres://u:hunter22@db.example.com/org';
    const t = parsePgUrl(raw, {});
    assert.equal(redact(`failed ${raw} with hunter22`, t), 'failed postgres://u@db.example.com:5432/org with ***');
    assert.equal(redact('see postgres://x:y@z/db', t), 'see postgres://x:***@z/db');
  });

  it('sorts failures into transient (retry) and permanent (stop, with the SQLSTATE)', () => {
    const t = parsePgUrl('postgres://u@127.0.0.1/org', {});
    for (const code of ['57P01', '53300', '08006', '40P01']) assert.equal(classifyPgError({ code, message: 'x' }, t).transient, true, code);
    for (const code of ['42703', '22021', '23502', '28P01', '3D000']) {
      const f = classifyPgError({ code, message: 'x' }, t);
      assert.equal(f.transient, false, code);
      assert.match(f.message, new RegExp(`SQLSTATE ${code}`));
    }
    assert.equal(classifyPgError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, t).transient, true);
    assert.equal(classifyPgError(new Error('Connection terminated unexpectedly'), t).transient, true);
  });

  it('backs off exponentially with jitter, capped', () => {
    assert.equal(backoffMs(0, () => 0), 125);
    assert.equal(backoffMs(0, () => 1), 250);
    assert.equal(backoffMs(3, () => 0.5), 1500);
    assert.equal(backoffMs(30, () => 1), 30_000);
  });
});
