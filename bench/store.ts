/**
 * npm run bench:store [-- append|export|readouts|follow ...]
 * Each figure is printed beside a baseline measured in the same run, because these machines are noisy.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWriter, openReader } from '../src/tape/db.js';
import { TapeWriter } from '../src/tape/writer.js';
import { PriceBook } from '../src/pricing/price-book.js';
import { TapeQueries } from '../src/tape/queries.js';
import { computeReadouts, DEFAULT_READOUT_SETTINGS } from '../src/readouts/index.js';
import { bigTape, syntheticCall, CACHE } from './lib/big-tape.js';
import type { NewCall } from '../src/tape/row.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/tape');
const END = Date.UTC(2026, 11, 20, 12);
const want = process.argv.slice(2);
const run = (name: string) => want.length === 0 || want.includes(name);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tape-bench-'));
}

/** Batched appends: our writer (validation, pricing, dedupe, triggers, rollup) against a bare insert loop. */
function benchAppend(): void {
  const N = 300_000;
  const B = 1000;
  const batches: NewCall[][] = [];
  for (let i = 0; i < N; i += B) {
    const b: NewCall[] = [];
    for (let j = i; j < i + B; j++) {
      const c = syntheticCall(j, N, END - 86_400_000, END);
      delete c.cost_micros; // priced at insertion, as live rows are
      delete c.price_version;
      c.request_id = `req-${j}`;
      b.push(c);
    }
    batches.push(b);
  }
  const dir = tmp();
  try {
    const bare = new Database(join(dir, 'bare.db'));
    bare.pragma('journal_mode = WAL');
    bare.pragma('synchronous = FULL');
    bare.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, ts INTEGER, project TEXT, provider TEXT, model TEXT, input_tok INTEGER, output_tok INTEGER, duration_ms INTEGER, status INTEGER)');
    const ins = bare.prepare('INSERT INTO t (ts, project, provider, model, input_tok, output_tok, duration_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const tx = bare.transaction((b: NewCall[]) => {
      for (const c of b) ins.run(c.ts, c.project, c.provider, c.model, c.input_tok, c.output_tok, c.duration_ms, c.status);
    });
    let t0 = performance.now();
    for (const b of batches) tx.immediate(b);
    const bareRate = N / ((performance.now() - t0) / 1000);
    bare.close();

    // the same bare loop into the tape's own schema (its two indexes and the append-only trigger, which
    // the design requires): the ceiling for any writer of this table, before pricing, dedupe or rollups
    const schemaDb = openWriter(join(dir, 'schema.db'));
    const sins = schemaDb.prepare(`INSERT INTO tape (ts, host, project, provider, model, input_tok, output_tok, cached_tok, cache_write_tok,
      cache_write_1h_tok, duration_ms, cost_micros, price_version, provider_cost_micros, status, flags, request_id, source)
      VALUES (?, 'bench', ?, ?, ?, ?, ?, ?, 0, 0, ?, 1, 'bench@1', NULL, ?, 0, ?, 'bench')`);
    const stx = schemaDb.transaction((b: NewCall[]) => {
      for (const c of b) sins.run(c.ts, c.project, c.provider, c.model, c.input_tok, c.output_tok, c.cached_tok ?? 0, c.duration_ms, c.status, c.request_id);
    });
    t0 = performance.now();
    for (const b of batches) stx.immediate(b);
    const schemaRate = N / ((performance.now() - t0) / 1000);
    schemaDb.close();

    const db = openWriter(join(dir, 'tape.db'));
    const w = new TapeWriter(db, new PriceBook(), { host: 'bench' });
    t0 = performance.now();
    for (const b of batches) w.appendBatch(b);
    const ours = N / ((performance.now() - t0) / 1000);
    db.close();
    console.log(`append   ${fmt(ours)} rows/s through TapeWriter (1,000-row batches, synchronous=FULL, priced, deduped, rollup)`);
    console.log(`         ${fmt(bareRate)} rows/s bare better-sqlite3 insert loop; ratio ${(ours / bareRate).toFixed(2)} (target: at least 150,000 rows/s)`);
    console.log(`         ${fmt(schemaRate)} rows/s bare loop into the tape's schema (indexes + append-only trigger); ratio ${(ours / schemaRate).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASELINE_EXPORT = `
import Database from 'better-sqlite3';
const db = new Database(process.argv[2], { readonly: true });
let buf = [];
let size = 0;
const out = process.stdout;
async function main() {
  for (const row of db.prepare('SELECT * FROM tape ORDER BY id').iterate()) {
    const s = JSON.stringify(row);
    buf.push(s);
    size += s.length + 1;
    if (size >= 65536) {
      const ok = out.write(buf.join('\\n') + '\\n');
      buf = [];
      size = 0;
      if (!ok) await new Promise((r) => out.once('drain', r));
    }
  }
  out.write(buf.join('\\n') + '\\n');
}
main();
`;

/** Runs a command into a pipe we drain; returns seconds, bytes, lines and the child's peak RSS (MB). */
function pipeRun(args: string[]): Promise<{ secs: number; bytes: number; lines: number; peakMb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    let lines = 0;
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const status = require('node:fs').readFileSync(`/proc/${child.pid}/status`, 'utf8') as string;
        const m = /VmHWM:\s+(\d+)/.exec(status);
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* gone */
      }
    }, 50);
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++;
    });
    child.on('error', reject);
    child.on('close', () => {
      clearInterval(poll);
      resolve({ secs: (performance.now() - t0) / 1000, bytes, lines, peakMb: peak });
    });
  });
}

async function benchExport(): Promise<void> {
  const path = bigTape(1_000_000, 30, END);
  const dir = tmp();
  const base = join(ROOT, 'bench', '.baseline-export.mjs');
  writeFileSync(base, BASELINE_EXPORT);
  try {
    const b = await pipeRun([base, path]);
    const o = await pipeRun([BIN, '--db', path, '--json', '--no-follow']);
    const b2 = await pipeRun([base, path]);
    const o2 = await pipeRun([BIN, '--db', path, '--json', '--no-follow']);
    const bs = Math.min(b.secs, b2.secs);
    const os = Math.min(o.secs, o2.secs);
    console.log(`export   ${fmt(o.lines / os)} rows/s: tape --json --no-follow over 1M rows into a pipe (${(o.bytes / 1e6).toFixed(0)} MB), peak RSS ${o.peakMb.toFixed(0)} MB`);
    console.log(`         ${fmt(b.lines / bs)} rows/s bare iterate + JSON.stringify with backpressure, peak RSS ${b.peakMb.toFixed(0)} MB; ratio ${(bs / os).toFixed(2)} (target: at least 0.80)`);
  } finally {
    rmSync(base, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

function timeReadouts(path: string, reps: number): number {
  const db = openReader(path);
  const q = new TapeQueries(db);
  const opts = { windowSeconds: 90, budgetRateSeconds: 86_400, budgetMicros: 5_000_000_000 };
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const now = END - i * 7_000; // a different moment each time: no result is cached
    const t0 = performance.now();
    computeReadouts(q.readoutInputs(now, opts), DEFAULT_READOUT_SETTINGS);
    times.push(performance.now() - t0);
  }
  db.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Two 10k-row baselines: spread over the same 30 days (0.23 calls a minute), and at the big tape's
 * own rate (231 calls a minute, so 43 minutes long). The readouts read the buckets and partial
 * minutes of their windows, so their cost follows how busy the last hour was, not the tape's size:
 * the second ratio isolates size.
 */
function benchReadouts(): void {
  const sparse = bigTape(10_000, 30, END);
  const dense = bigTape(10_000, 30 / 1000, END);
  const big = bigTape(10_000_000, 30, END);
  timeReadouts(sparse, 20);
  const s = timeReadouts(sparse, 300);
  const d = timeReadouts(dense, 300);
  const b = timeReadouts(big, 300);
  console.log(`readouts ${b.toFixed(2)} ms median for all readouts on a 10M-row, 30-day tape (target: at most 20 ms)`);
  console.log(`         ${s.toFixed(2)} ms on a 10k-row tape over the same 30 days; ratio ${(b / s).toFixed(2)} (target: at most 3)`);
  console.log(`         ${d.toFixed(2)} ms on a 10k-row tape at the big tape's rate (its last 43 min); ratio ${(b / d).toFixed(2)}`);
}

async function benchFollow(): Promise<void> {
  const dir = tmp();
  const path = join(dir, 'tape.db');
  const db = openWriter(path);
  const w = new TapeWriter(db, new PriceBook(), { host: 'bench' });
  w.appendBatch([syntheticCall(0, 1, END, END)]);
  const child = spawn(process.execPath, [BIN, '--db', path, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const committed = new Map<string, number>();
  const lat: number[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    const now = performance.now() + performance.timeOrigin;
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const id = /"request_id":"([^"]+)"/.exec(line)?.[1];
      const c = id ? committed.get(id) : undefined;
      if (c !== undefined) lat.push(now - c);
    }
  });
  await new Promise((r) => setTimeout(r, 800));
  const N = 400;
  for (let i = 0; i < N; i++) {
    const c = syntheticCall(i, N, END, END + 1000);
    c.request_id = `f-${i}`;
    w.appendBatch([c]);
    committed.set(`f-${i}`, performance.now() + performance.timeOrigin);
    await new Promise((r) => setTimeout(r, 5 + ((i * 37) % 40)));
  }
  await new Promise((r) => setTimeout(r, 500));
  // idle: the follower's CPU over 10 s with no writes
  const cpu = () => {
    const f = require('node:fs').readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ');
    return (Number(f[13]) + Number(f[14])) / 100; // clock ticks -> s (CLK_TCK = 100)
  };
  const c0 = cpu();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = (cpu() - c0) / ((performance.now() - t0) / 1000);
  child.kill('SIGTERM');
  db.close();
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  console.log(`follow   commit-to-stdout p50 ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms over ${lat.length}/${N} rows (targets: p95 <= 50 ms, p99 <= 100 ms)`);
  console.log(`         follower idle CPU ${(idle * 100).toFixed(2)}% of a core (target: below 1%)`);
}

const { createRequire } = await import('node:module');
const require = createRequire(import.meta.url);
console.log(`bench:store (cache: ${CACHE})`);
if (run('append')) benchAppend();
if (run('export')) await benchExport();
if (run('readouts')) benchReadouts();
if (run('follow')) await benchFollow();
