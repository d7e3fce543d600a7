// The live screen's benchmark (npm run bench:tui): first frame on a 10M-row tape against an
// empty one, CPU of the screen idle and at 100 and 1,000 calls/s, resident memory under sustained
// load, and commit-to-screen latency. The screen runs in a real pseudo-terminal (`script`), as a
// user runs it; this process writes the tape. The 10M-row tape is generated once into
// .bench-cache/ (raw inserts through the real schema, big transactions).
// Knobs: BENCH_ROWS (10000000), BENCH_SUSTAIN_S (120), BENCH_CPU_S (15).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openWriter } from '../src/tape/db.js';
import { TapeWriter } from '../src/tape/writer.js';
import { PriceBook } from '../src/pricing/price-book.js';
import type { NewCall } from '../src/tape/row.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/tape');
const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const SUSTAIN_S = Number(process.env.BENCH_SUSTAIN_S ?? 120);
const CPU_S = Number(process.env.BENCH_CPU_S ?? 15);
const CACHE = join(ROOT, '.bench-cache');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROJECTS = ['underwriting', 'sales-tool', 'support-copilot', 'search', 'eval-harness', 'docs-bot', 'ops', 'research'];
const MODELS: [string, string, number][] = [
  ['anthropic', 'claude-opus-4-5-20251101', 40_000], ['anthropic', 'claude-sonnet-4-5-20250929', 12_000],
  ['anthropic', 'claude-haiku-4-5-20251001', 2_000], ['openai', 'gpt-5-2025-08-07', 15_000],
  ['openai', 'gpt-4o-mini-2024-07-18', 400], ['google', 'gemini-2.5-pro', 18_000], ['google', 'gemini-2.5-flash', 900],
];

/** A 10M-row tape over the 30 days before `end`, with its hourly rollup. */
function generate(path: string, rows: number, end: number): void {
  const tmp = `${path}.part`;
  rmSync(tmp, { force: true });
  const db = openWriter(tmp);
  db.pragma('synchronous = OFF');
  const ins = db.prepare(`INSERT INTO tape (ts, host, project, provider, model, input_tok, output_tok, cached_tok, cache_write_tok,
    cache_write_1h_tok, duration_ms, cost_micros, price_version, provider_cost_micros, status, flags, request_id, source)
    VALUES (?, 'bench', ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, 'bench@1', NULL, ?, 0, NULL, 'bench')`);
  const roll = new Map<string, [number, string, string, string, number, number, number, number, number, number, number]>();
  const span = 30 * 86_400_000;
  const start = end - span;
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const t0 = performance.now();
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const ts = start + Math.floor((i * span) / rows);
      const project = PROJECTS[Math.floor(rnd() * PROJECTS.length)]!;
      const [provider, model, unit] = MODELS[Math.floor(rnd() * MODELS.length)]!;
      const input = 500 + Math.floor(rnd() * 20_000);
      const output = 50 + Math.floor(rnd() * 2000);
      const cost = rnd() < 0.01 ? null : Math.round(unit * (0.2 + rnd() * 3));
      const status = rnd() < 0.02 ? 429 : 200;
      ins.run(ts, project, provider, model, input, output, Math.floor(input / 2), 200 + Math.floor(rnd() * 20_000), cost, status);
      const hour = ts - (ts % 3_600_000);
      const key = `${hour}|${project}|${model}`;
      let r = roll.get(key);
      if (!r) roll.set(key, (r = [hour, project, provider, model, 0, 0, 0, 0, 0, 0, 0]));
      r[4]++;
      if (cost === null) r[6]++;
      else r[5] += cost;
      if (status >= 400) r[7]++;
      r[8] += input;
      r[9] += output;
      r[10] += Math.floor(input / 2);
    }
  });
  for (let i = 0; i < rows; i += 200_000) {
    batch(i, Math.min(rows, i + 200_000));
    process.stderr.write(`\rgenerating ${path}: ${Math.round(((i + 200_000) / rows) * 100)}% (${Math.round((performance.now() - t0) / 1000)} s)`);
  }
  const rollIns = db.prepare(`INSERT INTO rollup_hour (hour, project, provider, model, calls, cost_micros, unpriced_calls, error_calls,
    flagged_calls, input_tok, output_tok, cached_tok, cache_write_tok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0)`);
  db.transaction(() => {
    for (const r of roll.values()) rollIns.run(...r);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  renameSync(tmp, path);
  process.stderr.write(`\n`);
}

interface Screen {
  readonly child: ChildProcess;
  /** output since the last mark */
  buffer: string;
  pid(): number;
  waitFor(text: string, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** `tape --db X` in a pseudo-terminal of cols x rows, through `script`. */
function startScreen(db: string, cols = 100, rows = 30): Screen {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  const child = spawn('script', ['-qfec', `stty cols ${cols} rows ${rows}; exec node ${BIN} --db ${db}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const s: Screen = {
    child,
    buffer: '',
    pid() {
      const out = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
      return Number(out);
    },
    waitFor(text, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (s.buffer.includes(text)) {
            clearTimeout(timer);
            child.stdout!.off('data', check);
            resolve(performance.now());
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          child.stdout!.off('data', check);
          reject(new Error(`timed out waiting for "${text}" on the screen`));
        }, timeoutMs);
        if (!check()) child.stdout!.on('data', check);
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin!.write('q');
      const done = new Promise((r) => child.once('exit', r));
      const t = setTimeout(() => {
        const pid = s.pid();
        if (pid) process.kill(pid, 'SIGTERM');
        child.kill('SIGTERM');
      }, 3000);
      await done;
      clearTimeout(t);
    },
  };
  child.stdout!.on('data', (d: Buffer) => {
    s.buffer = (s.buffer + d.toString('utf8')).slice(-200_000);
  });
  return s;
}

async function firstFrame(db: string): Promise<number> {
  const t0 = performance.now();
  const s = startScreen(db);
  const t1 = await s.waitFor('RUN RATE');
  await s.stop();
  return t1 - t0;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Appends `rate` calls/s in 10 ms batches until stopped. */
function load(writer: TapeWriter, rate: number): () => void {
  if (rate <= 0) return () => {};
  let owed = 0;
  let n = 0;
  const timer = setInterval(() => {
    owed += rate / 100;
    const k = Math.floor(owed);
    if (!k) return;
    owed -= k;
    const now = Date.now();
    const calls: NewCall[] = [];
    for (let i = 0; i < k; i++, n++) {
      const [provider, model, unit] = MODELS[n % MODELS.length]!;
      calls.push({ ts: now, project: PROJECTS[n % PROJECTS.length]!, provider, model, input_tok: 3000, output_tok: 300, duration_ms: 300 + (n % 3000), cost_micros: unit, price_version: 'bench@1', status: 200, source: 'bench' });
    }
    writer.appendBatch(calls);
  }, 10);
  return () => clearInterval(timer);
}

async function cpuAt(s: Screen, writer: TapeWriter, rate: number, seconds: number): Promise<number> {
  const stop = load(writer, rate);
  await sleep(2000); // settle
  const pid = s.pid();
  const a = cpuTicks(pid);
  const t = performance.now();
  await sleep(seconds * 1000);
  const b = cpuTicks(pid);
  stop();
  return ((b - a) / 100 / ((performance.now() - t) / 1000)) * 100;
}

async function latency(s: Screen, writer: TapeWriter, probes: number): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < probes; k++) {
    const name = `probe-${k}-x`;
    s.buffer = '';
    writer.appendBatch([{ ts: Date.now(), project: name, provider: 'anthropic', model: 'claude-haiku-4-5', input_tok: 10, output_tok: 1, duration_ms: 100, cost_micros: 5, price_version: 'bench@1', status: 200, source: 'bench' }]);
    const t0 = performance.now();
    out.push(await s.waitFor(name, 5000).then((t) => t - t0, () => Infinity));
    await sleep(120 + (k % 7) * 13);
  }
  return out.sort((a, b) => a - b);
}

/** At high rates a single probe scrolls away between frames: sample how old the newest call on screen is instead. */
async function newestLag(s: Screen, seconds: number): Promise<number[]> {
  const lags: number[] = [];
  const onData = (d: Buffer) => {
    const m = /(\d\d):(\d\d):(\d\d)\.(\d{3})Z/.exec(d.toString('utf8'));
    if (!m) return;
    const now = Date.now();
    const day = now - (now % 86_400_000);
    let ts = day + ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
    if (ts > now + 1000) ts -= 86_400_000;
    lags.push(now - ts);
  };
  s.child.stdout!.on('data', onData);
  await sleep(seconds * 1000);
  s.child.stdout!.off('data', onData);
  return lags.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (spawnSync('node', [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  mkdirSync(CACHE, { recursive: true });
  const big = join(CACHE, `tui-${ROWS}.db`);
  if (!existsSync(big)) generate(big, ROWS, Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'tape-bench-tui-'));
  try {
    const emptyPath = join(dir, 'empty.db');
    openWriter(emptyPath).close();
    for (const p of [emptyPath, big]) await firstFrame(p); // warm the page cache once
    const fEmpty: number[] = [];
    const fBig: number[] = [];
    for (let i = 0; i < 5; i++) {
      fEmpty.push(await firstFrame(emptyPath));
      fBig.push(await firstFrame(big));
    }
    console.log(`first frame (100x30, pty): empty tape median ${median(fEmpty).toFixed(0)} ms; ${ROWS.toLocaleString('en-US')}-row tape median ${median(fBig).toFixed(0)} ms; ratio ${(median(fBig) / median(fEmpty)).toFixed(2)}x`);

    const livePath = join(dir, 'live.db');
    const db = openWriter(livePath);
    const writer = new TapeWriter(db, new PriceBook(), { host: 'bench', path: livePath });
    const s = startScreen(livePath);
    await s.waitFor('RUN RATE');
    const idle = await cpuAt(s, writer, 0, CPU_S);
    const c100 = await cpuAt(s, writer, 100, CPU_S);
    const c1000 = await cpuAt(s, writer, 1000, CPU_S);
    console.log(`CPU of one core: idle ${idle.toFixed(1)}%, 100 calls/s ${c100.toFixed(1)}%, 1,000 calls/s ${c1000.toFixed(1)}% (${CPU_S} s each; ratio to idle ${(c100 / idle).toFixed(1)}x, ${(c1000 / idle).toFixed(1)}x)`);

    const stop1000 = load(writer, 1000);
    await sleep(1000);
    const lat1000 = await newestLag(s, 10);
    stop1000();
    await sleep(500);
    const stop10 = load(writer, 10);
    const lat = await latency(s, writer, 40);
    stop10();
    const stop = load(writer, 100);
    const lat100 = await latency(s, writer, 40);
    const seen = lat100.filter(Number.isFinite);
    console.log(`commit-to-screen (probe call committed -> its line written to the terminal): at 10 calls/s p50 ${pct(lat, 50).toFixed(0)} ms, p95 ${pct(lat, 95).toFixed(0)} ms, max ${lat[lat.length - 1]!.toFixed(0)} ms; at 100 calls/s p50 ${pct(seen, 50).toFixed(0)} ms, p95 ${pct(seen, 95).toFixed(0)} ms (${seen.length}/${lat100.length} probes drawn before scrolling off); at 1,000 calls/s the newest call on screen is p50 ${pct(lat1000, 50).toFixed(0)} ms, p95 ${pct(lat1000, 95).toFixed(0)} ms old over ${lat1000.length} frames`);
    const pid = s.pid();
    const samples: string[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < SUSTAIN_S * 1000) {
      await sleep(Math.min(20_000, SUSTAIN_S * 250));
      samples.push(`${Math.round((performance.now() - t0) / 1000)}s ${rssMb(pid).toFixed(0)}MB`);
    }
    stop();
    console.log(`resident memory at 100 calls/s: ${samples.join(', ')}`);
    await s.stop();
    writer.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} finally {
  for (const c of running) c.kill('SIGKILL');
}
