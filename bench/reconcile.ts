// Reconcile benchmark: an OpenRouter per-generation bill (1M rows, and 100k as the baseline)
// against a 10M-row tape. Goals: 1M billed rows in <= 10 s; 10x the input in <= 11x the time.
// The tape is built once into .bench-cache/ (raw inserts through openWriter's schema, rollup_hour
// filled from the same rows) and copied for every run, since reconcile appends invoice lines.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openWriter } from '../src/tape/db.js';
import { PriceBook } from '../src/pricing/price-book.js';
import { loadBill } from '../src/reconcile/load.js';
import { storeBills } from '../src/reconcile/store.js';
import { reconcile } from '../src/reconcile/diff.js';
import { localReconcileSource } from '../src/reconcile/source.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CACHE = join(ROOT, '.bench-cache');
const TAPE_ROWS = Number(process.env.BENCH_TAPE_ROWS ?? 10_000_000);
const START = Date.UTC(2026, 10, 1);
const SPAN = 30 * 86_400_000;
const HOUR = 3_600_000;
const MODELS: [string, string][] = [['anthropic', 'claude-sonnet-4-5-20250929'], ['anthropic', 'claude-haiku-4-5-20251001'], ['openai', 'gpt-4o-2024-08-06'], ['openai', 'gpt-5-2025-08-07']];
const OR_MODELS = ['openai/gpt-4.1', 'anthropic/claude-sonnet-4.5', 'google/gemini-2.5-pro'];
const PROJECTS = ['sales-tool', 'underwriting', 'support-bot', 'search', 'ops', 'research'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row i of the synthetic tape: every 5th row is an OpenRouter call with a generation id. */
function row(i: number, r: () => number): [number, string, string, string, number, string | null] {
  const ts = START + Math.floor((i * SPAN) / TAPE_ROWS);
  const project = PROJECTS[Math.floor(r() * PROJECTS.length)]!;
  const cost = 100 + Math.floor(r() * 50_000);
  if (i % 5 === 0) return [ts, project, 'openrouter', OR_MODELS[(i / 5) % OR_MODELS.length]!, cost, `gen-${i}`];
  const [p, m] = MODELS[i % MODELS.length]!;
  return [ts, project, p, m, cost, null];
}

function buildTape(path: string): void {
  const t0 = performance.now();
  const db = openWriter(path);
  db.pragma('synchronous = OFF');
  const ins = db.prepare(`INSERT INTO tape (ts, host, project, provider, model, input_tok, output_tok, duration_ms, cost_micros, price_version, status, request_id, source)
    VALUES (?, 'bench', ?, ?, ?, 1000, 200, 900, ?, 'bench', 200, ?, 'bench')`);
  const roll = db.prepare(`INSERT INTO rollup_hour (hour, project, provider, model, calls, cost_micros, unpriced_calls, error_calls, flagged_calls,
    input_tok, output_tok, cached_tok, cache_write_tok) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, 0, 0)`);
  const r = rng(42);
  const buckets = new Map<string, [number, string, string, string, number, number]>();
  const batch = 200_000;
  for (let lo = 0; lo < TAPE_ROWS; lo += batch) {
    db.transaction(() => {
      for (let i = lo; i < Math.min(TAPE_ROWS, lo + batch); i++) {
        const [ts, project, provider, model, cost, rid] = row(i, r);
        ins.run(ts, project, provider, model, cost, rid);
        const hour = ts - (ts % HOUR);
        const k = `${hour}|${project}|${provider}|${model}`;
        const b = buckets.get(k);
        if (b) {
          b[4] += 1;
          b[5] += cost;
        } else buckets.set(k, [hour, project, provider, model, 1, cost]);
      }
    })();
    process.stderr.write(`\rbuilding the tape: ${Math.min(TAPE_ROWS, lo + batch).toLocaleString('en-US')} rows`);
  }
  db.transaction(() => {
    for (const [hour, project, provider, model, calls, cost] of buckets.values()) roll.run(hour, project, provider, model, calls, cost, calls * 1000, calls * 200);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  process.stderr.write(`\nbuilt ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** A bill of the first n OpenRouter calls: 1% priced 10 micros higher, 0.1% not on the tape. */
function buildBill(path: string, n: number): void {
  const r = rng(42);
  const out: string[] = ['generation_id,created_at,cost_total,model_permaslug'];
  let billed = 0;
  for (let i = 0; billed < n; i++) {
    const [ts, , provider, model, cost, rid] = row(i, r);
    if (provider !== 'openrouter') continue;
    billed++;
    const id = billed % 1000 === 0 ? `gen-missing-${billed}` : rid!;
    const c = cost + (billed % 100 === 0 ? 10 : 0);
    out.push(`${id},${new Date(ts).toISOString()},${(c / 1e6).toFixed(6)},${model}`);
  }
  writeFileSync(path, out.join('\n') + '\n');
}

async function runOnce(tape: string, bill: string): Promise<{ total: number; cpu: number; parse: number; store: number; diff: number; lines: number }> {
  const copy = join(CACHE, 'run.db');
  rmSync(copy, { force: true });
  rmSync(`${copy}-wal`, { force: true });
  rmSync(`${copy}-shm`, { force: true });
  copyFileSync(tape, copy);
  const prices = new PriceBook();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const loaded = loadBill(bill, null, prices);
  const t1 = performance.now();
  const db = openWriter(copy);
  db.pragma('cache_size = -262144');
  storeBills(db, [loaded], prices.version, Date.now());
  const t2 = performance.now();
  const d = await reconcile(localReconcileSource(db), [loaded.bill], { threshold: 0.005, priceListMs: null });
  const t3 = performance.now();
  db.close();
  if (!d.calls || d.calls.billed_calls !== loaded.bill.lines.length) throw new Error('bench: the call check did not see every billed call');
  const c = process.cpuUsage(c0);
  return { total: (t3 - t0) / 1000, cpu: (c.user + c.system) / 1e6, parse: (t1 - t0) / 1000, store: (t2 - t1) / 1000, diff: (t3 - t2) / 1000, lines: loaded.bill.lines.length };
}

mkdirSync(CACHE, { recursive: true });
const tape = join(CACHE, `tape-${TAPE_ROWS}.db`);
if (!existsSync(tape)) buildTape(tape);
const sizes = [100_000, 1_000_000];
for (const n of sizes) {
  const p = join(CACHE, `bill-openrouter-${n}-of-${TAPE_ROWS}.csv`);
  if (!existsSync(p)) buildBill(p, n);
}
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at start`);
console.log(`tape: ${TAPE_ROWS.toLocaleString('en-US')} rows (${(statSync(tape).size / 1e9).toFixed(2)} GB); bill: OpenRouter per-generation CSV`);
const results: Awaited<ReturnType<typeof runOnce>>[] = [];
for (const n of sizes) {
  const bill = join(CACHE, `bill-openrouter-${n}-of-${TAPE_ROWS}.csv`);
  const runs = [await runOnce(tape, bill), await runOnce(tape, bill)];
  const best = runs.sort((a, b) => a.total - b.total)[0]!;
  console.log(`${n.toLocaleString('en-US').padStart(9)} billed rows: ${best.total.toFixed(2)} s wall, ${best.cpu.toFixed(2)} s CPU (parse ${best.parse.toFixed(2)}, store ${best.store.toFixed(2)}, diff ${best.diff.toFixed(2)}), ${Math.round(best.lines / best.total).toLocaleString('en-US')} rows/s`);
  results.push(best);
}
const ratio = results[1]!.total / results[0]!.total;
console.log(`10x the input took ${ratio.toFixed(2)}x the time (goal <= 11x); 1M rows ${results[1]!.total <= 10 ? 'within' : 'OVER'} the 10 s goal (load average now ${loadavg()[0]!.toFixed(1)})`);
rmSync(join(CACHE, 'run.db'), { force: true });
