/**
 * npm run bench:ship [-- ship|readouts|latency]   (BENCH_ROWS=10000000 for the readouts table)
 * Starts its own PostgreSQL (fsync on), prints each figure beside a baseline from the same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type PgCluster } from '../test/helpers/postgres.js';
import { openWriter } from '../src/tape/db.js';
import { TapeWriter } from '../src/tape/writer.js';
import { PriceBook } from '../src/pricing/price-book.js';
import { parsePgUrl } from '../src/tape/pg/connect.js';
import { initCentral } from '../src/tape/pg/schema.js';
import { INSERT_SQL, batchParams } from '../src/ship/batch.js';
import { ship } from '../src/ship/shipper.js';
import { openTapeSource } from '../src/tape/source.js';
import { computeReadouts } from '../src/readouts/index.js';
import type { CallRow, NewCall } from '../src/tape/row.js';

const ROOT = new URL('..', import.meta.url).pathname;
const NOW = Date.UTC(2026, 11, 3, 18, 30, 0);
const want = process.argv.slice(2);
const run = (name: string) => want.length === 0 || want.includes(name);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const PROJECTS = ['sales-tool', 'underwriting', 'support-bot', 'research', 'ops', 'eval'];
const MODELS = ['claude-haiku-4-5', 'claude-opus-4-5', 'gpt-5', 'gemini-2.5-pro'];

function call(i: number, ts: number): NewCall {
  return {
    ts, project: PROJECTS[i % 6]!, provider: 'anthropic', model: MODELS[(i >> 3) % 4]!, input_tok: 1000 + (i % 5000),
    output_tok: 100 + (i % 900), duration_ms: 500 + (i % 3000), cost_micros: i % 50 === 0 ? null : 100 + ((i * 7919) % 50_000),
    price_version: 'bench@1', status: i % 40 === 0 ? 529 : 200, request_id: `req-${i}`, source: 'bench',
  };
}

async function withCentral<T>(pgc: PgCluster, name: string, fn: (url: string, c: pg.Client) => Promise<T>): Promise<T> {
  const url = await pgc.createDatabase(name);
  const c = new pg.Client(parsePgUrl(url, {}).config);
  await c.connect();
  try {
    await initCentral(c, name);
    return await fn(url, c);
  } finally {
    await c.end();
  }
}

/** Rows per second through `ship` (read local, INSERT ... ON CONFLICT, trigger rollup, commit, cursor) vs a bare unnest insert. */
async function benchShip(pgc: PgCluster, dir: string): Promise<void> {
  const N = 300_000;
  const path = join(dir, 'ship.db');
  const db = openWriter(path);
  const w = new TapeWriter(db, new PriceBook(), { host: 'bench-box', path });
  for (let i = 0; i < N; i += 5000) w.appendBatch(Array.from({ length: 5000 }, (_, j) => call(i + j, NOW - 86_400_000 + (i + j) * 250)));
  const rows = db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[];
  db.close();
  await withCentral(pgc, 'bare', async (_url, c) => {
    await c.query('CREATE TABLE bare (LIKE tape INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED)');
    const sql = INSERT_SQL.replace('INSERT INTO tape', 'INSERT INTO bare').replace(/ON CONFLICT \(host, id\) DO NOTHING /, '');
    const t0 = performance.now();
    for (let i = 0; i < N; i += 5000) {
      await c.query('BEGIN');
      await c.query(sql, batchParams(rows.slice(i, i + 5000)));
      await c.query('COMMIT');
    }
    const bare = N / ((performance.now() - t0) / 1000);
    await withCentral(pgc, 'ship', async (url) => {
      const t1 = performance.now();
      const r = await ship({ tapePath: path, target: parsePgUrl(url, {}), statePath: join(dir, 'ship-state.json'), follow: false });
      const rate = r.shipped / ((performance.now() - t1) / 1000);
      console.log(`ship: ${fmt(r.shipped)} rows in batches of 5,000 over loopback: ${fmt(rate)} rows/s (target >= 20,000)`);
      console.log(`      baseline bare unnest INSERT (no key check, no indexes, no rollup): ${fmt(bare)} rows/s; ratio ${(rate / bare).toFixed(2)}`);
    });
  });
}

/** Generates `n` central rows server-side (generate_series, in chunks), over the 30 days before NOW. */
async function generate(c: pg.Client, n: number): Promise<void> {
  const span = 30 * 86_400_000;
  const step = span / n;
  const chunk = 1_000_000;
  for (let lo = 1; lo <= n; lo += chunk) {
    const hi = Math.min(n, lo + chunk - 1);
    await c.query(`INSERT INTO tape (host, id, ts_ms, project, provider, model, input_tok, output_tok, duration_ms, cost_micros, price_version, status, flags, request_id, source)
      SELECT 'box-' || (g % 20), g, ${NOW - span} + floor(g * ${step})::bigint,
        (ARRAY['${PROJECTS.join("','")}'])[1 + g % 6], 'anthropic', (ARRAY['${MODELS.join("','")}'])[1 + (g / 8) % 4],
        1000 + g % 5000, 100 + g % 900, 500 + g % 3000, CASE WHEN g % 50 = 0 THEN NULL ELSE 100 + (g * 7919) % 50000 END,
        'bench@1', CASE WHEN g % 40 = 0 THEN 529 ELSE 200 END, 0, NULL, 'bench'
      FROM generate_series(${lo}::bigint, ${hi}::bigint) g`);
  }
  await c.query('VACUUM ANALYZE tape');
  await c.query('VACUUM ANALYZE rollup_hour');
}

async function timeReadouts(url: string, host?: string): Promise<{ median: number; p95: number }> {
  const src = await openTapeSource(url, { filter: host ? { host: [host] } : {} });
  const q = { windowSeconds: 90, budgetRateSeconds: 86_400, budgetMicros: 5_000_000_000 };
  const times: number[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      computeReadouts(await src.readoutInputs(NOW - i * 1000, q));
      times.push(performance.now() - t0);
    }
  } finally {
    await src.close();
  }
  times.sort((a, b) => a - b);
  return { median: times[15]!, p95: times[28]! };
}

async function benchReadouts(pgc: PgCluster): Promise<void> {
  const n = Number(process.env.BENCH_ROWS ?? 10_000_000);
  const small = await withCentral(pgc, 'small', async (url, c) => {
    await generate(c, 10_000);
    return timeReadouts(url);
  });
  await withCentral(pgc, 'big', async (url, c) => {
    const t0 = performance.now();
    await generate(c, n);
    console.log(`readouts: generated ${fmt(n)} central rows server-side in ${((performance.now() - t0) / 1000).toFixed(0)}s`);
    const big = await timeReadouts(url);
    const host = await timeReadouts(url, 'box-7');
    console.log(`readouts over ${fmt(n)} central rows: median ${big.median.toFixed(1)} ms, p95 ${big.p95.toFixed(1)} ms (target <= 100 ms); --host box-7: median ${host.median.toFixed(1)} ms`);
    console.log(`          baseline over 10,000 rows: median ${small.median.toFixed(1)} ms; ratio ${(big.median / small.median).toFixed(2)}`);
  });
}

/** A row committed on box A, shipped by `tape ship --follow` (a child process), seen by a follower of the central tape. */
async function benchLatency(pgc: PgCluster, dir: string): Promise<void> {
  spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  await withCentral(pgc, 'live', async (url) => {
    const path = join(dir, 'live.db');
    const db = openWriter(path);
    const w = new TapeWriter(db, new PriceBook(), { host: 'box-a', path });
    w.appendBatch([call(0, NOW)]);
    const env = { ...process.env, TAPE_DB: path, TAPE_SHIP_TO: url, XDG_STATE_HOME: join(dir, 'state') };
    const child = spawn(process.execPath, [join(ROOT, 'bin/tape'), 'ship', '--follow'], { env, stdio: 'ignore' });
    const src = await openTapeSource(url);
    const committed = new Map<number, number>();
    const lat: number[] = [];
    const h = src.follow(0, (rows) => {
      const t = performance.now();
      for (const r of rows) if (committed.has(r.id)) lat.push(t - committed.get(r.id)!);
    }, () => undefined);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = 1; i <= 200; i++) {
        const id = w.appendBatch([call(i, Date.now())]).ids[0]!;
        committed.set(id!, performance.now());
        await new Promise((r) => setTimeout(r, 20 + ((i * 37) % 60)));
      }
      const end = Date.now() + 10_000;
      while (lat.length < 200 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    } finally {
      h.stop();
      await src.close();
      child.kill('SIGTERM');
      db.close();
    }
    lat.sort((a, b) => a - b);
    const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
    console.log(`latency: commit on box A -> row on a central follower (tape ship --follow, poll 100 ms; LISTEN/NOTIFY): ${lat.length}/200 rows, p50 ${p(0.5).toFixed(0)} ms, p95 ${p(0.95).toFixed(0)} ms, max ${lat.at(-1)!.toFixed(0)} ms (target p95 <= 1000 ms)`);
    console.log(`         baseline: the shipper's local poll interval 100 ms; ratio p95/poll ${(p(0.95) / 100).toFixed(2)}`);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tape-bench-ship-'));
const pgc = await startPostgres({ fsync: true });
try {
  if (run('ship')) await benchShip(pgc, dir);
  if (run('latency')) await benchLatency(pgc, dir);
  if (run('readouts')) await benchReadouts(pgc);
} finally {
  pgc.stop();
  rmSync(dir, { recursive: true, force: true });
}
