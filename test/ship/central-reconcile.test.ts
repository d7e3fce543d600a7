import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { cliEnv, runCli } from '../helpers/tape.js';
import { hostTape, calls, type HostTape } from './fixtures.js';
import type { CallRow, NewCall } from '../../src/tape/row.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { loadBill, type LoadedBill } from '../../src/reconcile/load.js';
import { addToRollup, naturalKeys, sha256, storeBills, type Agg } from '../../src/reconcile/store.js';
import { reconcile, type DiffOptions } from '../../src/reconcile/diff.js';
import { localReconcileSource } from '../../src/reconcile/source.js';
import { openCentralReconcile } from '../../src/reconcile/central.js';
import { CENTRAL_MIGRATIONS } from '../../src/tape/pg/schema.js';
import { invoicePeriods } from '../../src/reconcile/periods.js';
import { centralInvoicePeriods } from '../../src/reconcile/central-periods.js';
import { compileFilter, type RowFilter } from '../../src/tape/filter.js';
import pgClient from 'pg';

const DEC1 = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 10);
const OPTS: DiffOptions = { threshold: 0.005, priceListMs: null };

function asNew(r: CallRow): NewCall {
  const { id: _id, ...rest } = r;
  return { ...rest };
}

/** Integer micro-USD as an exact decimal string. */
function usd(m: number): string {
  return `${Math.floor(m / 1e6)}.${String(m % 1e6).padStart(6, '0')}`;
}

/** OpenRouter generations on one host: ids gen-<host>-<i>, every one priced. */
function generations(host: string, seed: number, n: number, t0: number): NewCall[] {
  return calls(seed, n, t0, 2 * DAY - 60_000).map((c, i) => ({ ...c, provider: 'openrouter', model: 'openai/gpt-4.1', request_id: `gen-${host}-${i}`, cost_micros: 100 + ((i * 37) % 900), status: 200 }));
}

/**
 * Generic bills written from a host tape: `partial` is the first day exported mid-day (three buckets
 * short), otherwise every day in full; `crlf` and `quote` make other bytes of the same amounts.
 */
function billWriter(t: HostTape): (name: string, partial: boolean, crlf?: boolean, quote?: boolean) => string {
  const sums = t.db.prepare(`SELECT (ts - ts % ${DAY}) AS day, provider, model, project, SUM(cost_micros) AS cost FROM tape
    WHERE provider IN ('anthropic', 'openai') AND cost_micros IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`).all() as { day: number; provider: string; model: string; project: string; cost: number }[];
  return (name, partial, crlf = false, quote = false) => {
    const rows = sums.filter((x) => !partial || x.day === DEC1).map((x, i) => {
      const day = new Date(x.day).toISOString().slice(0, 10);
      return `${quote ? `"${day}"` : day},${x.provider},${x.model},${x.project},${usd(partial && i < 3 ? Math.floor(x.cost * 0.6) : x.cost)}`;
    });
    const p = join(t.dir, name);
    writeFileSync(p, ['date,provider,model,project,cost_usd', ...rows].join(crlf ? '\r\n' : '\n') + '\n');
    return p;
  };
}

describe('tape reconcile against the central tape', () => {
  let pg: PgCluster;
  let url: string;
  let a: HostTape;
  let b: HostTape;
  let union: HostTape;
  let genericCsv: string;
  let routerCsv: string;
  let routerOverlapCsv: string;
  const prices = new PriceBook();
  const load = (paths: string[]): LoadedBill[] => paths.map((p) => loadBill(p, null, prices));

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('org_bills');
    a = hostTape('box-a');
    b = hostTape('box-b');
    union = hostTape('union');
    a.writer.appendBatch([...calls(21, 3_000, DEC1 + 1_111, 2 * DAY - 5_000), ...generations('a', 23, 250, DEC1 + 77)]);
    b.writer.appendBatch([...calls(22, 2_000, DEC1 + 999_999, 2 * DAY - 2_000_000), ...generations('b', 24, 180, DEC1 + 5_555)]);
    for (const t of [a, b]) union.writer.appendBatch((t.db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[]).map(asNew));
    for (const t of [a, b]) {
      const env = cliEnv(t.dir, { TAPE_DB: t.path, TAPE_SHIP_TO: url });
      if (t === a) assert.equal(runCli(['ship', '--init'], env).status, 0);
      const r = runCli(['ship'], env);
      assert.equal(r.status, 0, r.stderr);
    }
    // a generic bill per day x provider x model x project, built from the tape and then made to differ
    const sums = union.db.prepare(`SELECT (ts - ts % ${DAY}) AS day, provider, model, project, SUM(cost_micros) AS cost FROM tape
      WHERE provider IN ('anthropic', 'openai') AND cost_micros IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`).all() as { day: number; provider: string; model: string; project: string; cost: number }[];
    const rows = sums.map((s, i) => {
      const billed = i === 3 ? s.cost + Math.round(s.cost / 50) : s.cost; // one bucket 2% over the tape
      return `${new Date(s.day).toISOString().slice(0, 10)},${s.provider},${s.model},${s.project},${usd(billed)}`;
    });
    rows.splice(5, 1); // one bucket only on the tape
    rows.push(`2026-12-02,anthropic,claude-sonnet-4-5,research,${usd(4_321_000)}`); // one only on the bill
    genericCsv = join(union.dir, 'generic.csv');
    writeFileSync(genericCsv, ['date,provider,model,project,cost_usd', ...rows].join('\r\n') + '\r\n');
    // OpenRouter call by call: most generations, a few missing, one priced differently, one unknown id
    const gens = union.db.prepare("SELECT request_id, ts, cost_micros FROM tape WHERE provider = 'openrouter' ORDER BY ts, request_id").all() as { request_id: string; ts: number; cost_micros: number }[];
    const line = (g: { request_id: string; ts: number; cost_micros: number }) => `${g.request_id},${new Date(g.ts).toISOString().replace('T', ' ').slice(0, 23)},${usd(g.cost_micros)},openai/gpt-4.1`;
    const billedGens = gens.filter((_, i) => i % 97 !== 5).map((g, i) => (i === 10 ? { ...g, cost_micros: g.cost_micros + 50 } : g));
    const head = 'generation_id,created_at,cost_total,model_permaslug';
    routerCsv = join(union.dir, 'router-1.csv');
    writeFileSync(routerCsv, [head, ...billedGens.slice(0, 300).map(line), line({ request_id: 'gen-nowhere', ts: DEC1 + DAY + 3_600_000, cost_micros: 777 })].join('\n') + '\n');
    routerOverlapCsv = join(union.dir, 'router-2.csv');
    writeFileSync(routerOverlapCsv, [head, ...billedGens.slice(250).map(line)].join('\n') + '\n');
  });
  after(() => {
    for (const t of [a, b, union]) t?.close();
    pg?.stop();
  });

  it('gives the same report as the union of the local tapes, file by file, with re-imports and overlapping exports', async () => {
    const central = await openCentralReconcile(url);
    try {
      for (const files of [[genericCsv], [routerCsv], [routerOverlapCsv], [genericCsv, routerCsv]]) {
        const bills = load(files);
        const storedLocal = storeBills(union.db, bills, prices.version, NOW);
        const storedCentral = await central.store(bills, prices.version, NOW);
        assert.deepEqual(storedCentral, storedLocal);
        const local = await reconcile(localReconcileSource(union.db), bills.map((l) => l.bill), OPTS);
        const got = await reconcile(central.source, bills.map((l) => l.bill), OPTS);
        assert.deepEqual(got, local, `files ${files.join(', ')}`);
        assert.ok(local.buckets.length > 0);
      }
      // the overlap counted once: the second OpenRouter export added only its new lines
      const [, overlap] = load([routerCsv, routerOverlapCsv]).map((l) => l.bill.lines.length);
      const added = await pg.query<{ added: string; lines: string }>('org_bills', "SELECT added, lines FROM invoice_file WHERE name LIKE '%router-2.csv'");
      assert.equal(Number(added[0]!.lines), overlap);
      assert.ok(Number(added[0]!.added) < overlap);
    } finally {
      await central.close();
    }
  });

  it('gives the variance band the same periods over the central tables as over the union tape', async () => {
    const c = new pgClient.Client({ connectionString: url });
    await c.connect();
    try {
      const filters: RowFilter[] = [{}, { provider: ['openrouter'] }, { project: ['research', 'sales-*'] }, { host: ['box-a'] }, { model: ['claude-*'], provider: ['anthropic'] }];
      for (const filter of filters) {
        for (const now of [NOW, DEC1 + DAY + 12 * 3_600_000 + 1]) {
          const local = invoicePeriods(union.db, now, compileFilter(filter));
          assert.ok(local.length > 0);
          assert.deepEqual(await centralInvoicePeriods(c, now, filter), local, `${JSON.stringify(filter)} at ${new Date(now).toISOString()}`);
        }
      }
    } finally {
      await c.end();
    }
  });

  it('names the differences it was built with', async () => {
    const central = await openCentralReconcile(url);
    try {
      const generic = await reconcile(central.source, load([genericCsv]).map((l) => l.bill), OPTS);
      assert.ok(generic.buckets.every((x) => x.level === 'project'));
      // the bill left out one priced bucket; the unpriced model's buckets are on the tape only, with their unpriced calls named
      const onlyTape = generic.buckets.filter((x) => x.only === 'tape');
      assert.equal(onlyTape.filter((x) => x.tape_micros > 0).length, 1);
      assert.ok(onlyTape.filter((x) => x.tape_micros === 0).every((x) => x.model === 'mystery-model' && x.unpriced_calls > 0 && /unpriced/.test(x.reasons.join(' '))));
      assert.equal(generic.buckets.filter((x) => x.only === 'billed').length, 1);
      assert.equal(generic.buckets.filter((x) => !x.only && x.beyond).length, 1);
      const router = await reconcile(central.source, load([routerCsv, routerOverlapCsv]).map((l) => l.bill), OPTS);
      const c = router.calls!;
      assert.equal(c.only_billed, 1);
      assert.equal(c.cost_differs, 1);
      assert.equal(c.only_tape, 5);
      assert.equal(c.matched, 430 - 5);
    } finally {
      await central.close();
    }
  });

  it('prints the same table and JSON from --db postgres://... as from the union tape, exit code 3 beyond --threshold', () => {
    const cases: [string[], number][] = [
      [[genericCsv, routerCsv, '--json'], 3], // one-sided buckets are beyond any threshold
      [[genericCsv, routerCsv], 3],
      [[routerCsv, '--threshold', '0.01'], 3],
      [[routerCsv, '--threshold', '50'], 0],
    ];
    for (const [extra, code] of cases) {
      const args = ['reconcile', ...extra, '--now', new Date(NOW).toISOString()];
      const central = runCli([...args, '--db', url], cliEnv(union.dir));
      const local = runCli([...args, '--db', union.path], cliEnv(union.dir));
      assert.equal(central.stdout, local.stdout);
      assert.equal(central.status, code, central.stderr);
      assert.equal(local.status, code, local.stderr);
      assert.match(central.stderr, /password in --db shows in the process list/);
      assert.ok(!central.stderr.includes(pg.password));
    }
  });

  it('keeps the central invoice tables append-only', async () => {
    await assert.rejects(pg.query('org_bills', 'UPDATE invoice_line SET cost_micros = 0'), /append-only/);
    await assert.rejects(pg.query('org_bills', 'DELETE FROM invoice_file'), /append-only/);
    await assert.rejects(pg.query('org_bills', 'TRUNCATE invoice_line'), /append-only/);
  });

  it('asks for `tape ship --init` on a v1 central tape, which then migrates it with its rows', async () => {
    const old = await pg.createDatabase('org_v1');
    await pg.query('org_v1', CENTRAL_MIGRATIONS[1]!);
    await pg.query('org_v1', "INSERT INTO tape_meta (key, value) VALUES ('application', 'tape'), ('schema_version', '1')");
    const env = cliEnv(a.dir, { TAPE_DB: old });
    const before = runCli(['reconcile', genericCsv], env);
    assert.equal(before.status, 5, before.stderr);
    assert.match(before.stderr, /central schema v1; run `tape ship --init` to migrate it to v3/);
    assert.equal(runCli(['ship', '--init'], cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: old })).status, 0);
    const r = runCli(['ship'], cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: old }));
    assert.equal(r.status, 0, r.stderr);
    const after = runCli(['reconcile', routerCsv, '--json', '--threshold', '100'], env);
    assert.equal(after.status, 0, after.stderr);
    const doc = JSON.parse(after.stdout);
    assert.equal(doc.calls.billed_calls, 301);
    const meta = await pg.query<{ value: string }>('org_v1', "SELECT value FROM tape_meta WHERE key = 'schema_version'");
    assert.equal(meta[0]!.value, '3');
  });

  it('lets a later export of a bucket supersede its earlier amount, as the local store does', async () => {
    const url2 = await pg.createDatabase('org_supersede');
    const env = cliEnv(a.dir, { TAPE_DB: a.path, TAPE_SHIP_TO: url2 });
    assert.equal(runCli(['ship', '--init'], env).status, 0);
    assert.equal(runCli(['ship'], env).status, 0);
    const bill = billWriter(a);
    const partial = bill('partial.csv', true);
    const full = bill('full.csv', false);
    const steps: [string[], number[]][] = [
      [[partial], [0]],
      [[full], [3]],
      [[full], [0]], // known
      [[bill('partial-late.csv', true, true)], [3]], // imported last: wins
      [[bill('partial-again.csv', true, false, true), bill('full-fresh.csv', false, true)], [0, 3]], // same amounts as now: nothing; then the complete one wins
    ];
    const central = await openCentralReconcile(url2);
    const c = new pgClient.Client({ connectionString: url2 });
    await c.connect();
    try {
      let last = null;
      for (const [files, superseded] of steps) {
        const bills = load(files);
        const storedLocal = storeBills(a.db, bills, prices.version, NOW);
        const storedCentral = await central.store(bills, prices.version, NOW);
        assert.deepEqual(storedCentral, storedLocal);
        assert.deepEqual(storedLocal.map((f) => f.superseded), superseded, files.join(', '));
        last = await reconcile(localReconcileSource(a.db), bills.map((l) => l.bill), OPTS);
        assert.deepEqual(await reconcile(central.source, bills.map((l) => l.bill), OPTS), last);
        assert.deepEqual(await centralInvoicePeriods(c, NOW), invoicePeriods(a.db, NOW, compileFilter({})));
      }
      // the complete amounts are read: every bucket on both sides at 0.00%
      const both = last!.buckets.filter((x) => !x.only);
      assert.ok(both.length >= 3);
      assert.ok(both.every((x) => x.variance === 0 && x.billed_micros === x.tape_micros), JSON.stringify(both.filter((x) => x.variance !== 0)));
      // the rollup is the latest line of each bucket, on both sides; no line was changed
      const latest = `SELECT COALESCE(SUM(cost_micros), 0) AS s FROM invoice_line l
        WHERE NOT EXISTS (SELECT 1 FROM invoice_line n WHERE n.bucket_key = COALESCE(l.bucket_key, l.natural_key) AND n.file_id > l.file_id)`;
      const [centralLatest] = await pg.query<{ s: string }>('org_supersede', latest);
      const [centralRollup] = await pg.query<{ s: string }>('org_supersede', 'SELECT SUM(billed_micros) AS s FROM invoice_rollup');
      assert.equal(Number(centralLatest!.s), Number(centralRollup!.s));
      assert.equal(Number(centralRollup!.s), a.db.prepare('SELECT SUM(billed_micros) FROM invoice_rollup').pluck().get());
      assert.equal(Number(centralLatest!.s), a.db.prepare(latest).pluck().get());
      const [n] = await pg.query<{ n: string }>('org_supersede', 'SELECT COUNT(*) AS n FROM invoice_line');
      assert.equal(Number(n!.n), a.db.prepare('SELECT COUNT(*) FROM invoice_line').pluck().get());
      await assert.rejects(pg.query('org_supersede', 'UPDATE invoice_line SET cost_micros = 0'), /append-only/);
    } finally {
      await c.end();
      await central.close();
    }
  });

  it('migrates a v2 central tape with bills to v3 with `tape ship --init`: the same figures, and a later export then supersedes', async () => {
    const v2 = await pg.createDatabase('org_v2');
    for (const v of [1, 2]) await pg.query('org_v2', CENTRAL_MIGRATIONS[v]!);
    await pg.query('org_v2', "INSERT INTO tape_meta (key, value) VALUES ('application', 'tape'), ('schema_version', '2')");
    const bill = billWriter(b);
    const [partial] = load([bill('partial.csv', true)]);
    // the partial bill as the v2 importer stored it: JSON natural keys, no bucket_key
    const keyOf = naturalKeys(partial!.bill.format, (parts) => JSON.stringify(parts));
    await pg.query('org_v2', "INSERT INTO invoice_file (id, sha256, name, format, imported_at, lines, added, price_version) VALUES (1, $1, 'partial.csv', $2, $3, $4, $4, 'test')",
      [sha256(partial!.bytes), partial!.bill.format, NOW, partial!.bill.lines.length]);
    const aggs = new Map<string, Agg>();
    for (const [k, l] of partial!.bill.lines.entries()) {
      await pg.query('org_v2', `INSERT INTO invoice_line (file_id, seq, line, start_ms, end_ms, provider, model, project, item, request_id, cost_micros, natural_key)
        VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [k + 1, l.line, l.start_ms, l.end_ms, l.provider, l.model, l.project, l.item, l.request_id, l.cost_micros, keyOf(l)]);
      addToRollup(aggs, partial!.bill.format, l);
    }
    for (const r of aggs.values()) await pg.query('org_v2', 'INSERT INTO invoice_rollup VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', r);
    const env = cliEnv(b.dir, { TAPE_DB: b.path, TAPE_SHIP_TO: v2 });
    assert.equal(runCli(['ship', '--init'], env).status, 0);
    assert.equal(runCli(['ship'], env).status, 0);
    const c = new pgClient.Client({ connectionString: v2 });
    await c.connect();
    const central = await openCentralReconcile(v2);
    try {
      const [meta] = await pg.query<{ value: string }>('org_v2', "SELECT value FROM tape_meta WHERE key = 'schema_version'");
      assert.equal(meta!.value, '3');
      // the v2 bill reads as before, next to the same bill imported into the local tape
      assert.deepEqual(storeBills(b.db, [partial!], prices.version, NOW).map((f) => f.added), [partial!.bill.lines.length]);
      assert.deepEqual(await reconcile(central.source, [partial!.bill], OPTS), await reconcile(localReconcileSource(b.db), [partial!.bill], OPTS));
      assert.deepEqual(await centralInvoicePeriods(c, NOW), invoicePeriods(b.db, NOW, compileFilter({})));
      // the same file again is known; the complete export supersedes the three short buckets stored under v2
      assert.equal((await central.store([partial!], prices.version, NOW))[0]!.known, true);
      const full = load([bill('full.csv', false)]);
      const [stored] = await central.store(full, prices.version, NOW);
      assert.equal(stored!.superseded, 3);
      assert.deepEqual([stored], storeBills(b.db, full, prices.version, NOW));
      const d = await reconcile(central.source, full.map((l) => l.bill), OPTS);
      assert.deepEqual(d, await reconcile(localReconcileSource(b.db), full.map((l) => l.bill), OPTS));
      assert.ok(d.buckets.filter((x) => !x.only).every((x) => x.variance === 0));
    } finally {
      await central.close();
      await c.end();
    }
  });
});
