import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempTape, call, cliEnv, runCli, spawnCli, waitFor, BIN, type TempTape } from '../helpers/tape.js';
import { openWriter } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { Flag } from '../../src/tape/row.js';

const T0 = Date.UTC(2026, 11, 3, 18, 0, 0, 123);

describe('tape --json --no-follow', () => {
  let t: TempTape;
  before(() => {
    t = tempTape();
    t.writer.appendBatch([
      call({ ts: T0, project: 'sales-tool', model: 'claude-opus-4-5', input_tok: 5120, output_tok: 830, cached_tok: 4096, duration_ms: 2140, request_id: 'msg_01' }),
      call({ ts: T0 + 1000, project: 'evil\u001b[31m\u0007', model: 'mystery-model', flags: Flag.stream_cut | Flag.usage_missing, status: 529 }),
      call({ ts: T0 + 2000, project: 'other', provider: 'openai', model: 'gpt-5' }),
    ]);
  });
  after(() => t.close());

  it('prints one documented object per line, in tape order', () => {
    const r = runCli(['--db', t.path, '--json', '--no-follow'], cliEnv(t.dir));
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.deepEqual(Object.keys(lines[0]), ['type', 'id', 'ts', 'ts_ms', 'host', 'project', 'provider', 'model', 'input_tok', 'output_tok', 'cached_tok', 'cache_write_tok', 'cache_write_1h_tok', 'duration_ms', 'cost_micros', 'cost_usd', 'price_version', 'provider_cost_micros', 'status', 'flags', 'request_id', 'source']);
    assert.equal(lines[0].ts, '2026-12-03T18:00:00.123Z');
    assert.equal(lines[0].ts_ms, T0);
    // opus 4.5: 1024 uncached x $5 + 4096 reads x $0.50 + 830 out x $25 per MTok
    assert.equal(lines[0].cost_micros, 5120 + 2048 + 20750);
    assert.equal(lines[0].cost_usd, '0.027918');
    assert.deepEqual(lines.map((l) => l.id), [1, 2, 3]);
    assert.equal(lines[1].cost_micros, null);
    assert.equal(lines[1].cost_usd, null);
    assert.deepEqual(lines[1].flags, ['usage_missing', 'stream_cut']);
  });

  it('escapes control characters in text fields', () => {
    const r = runCli(['--db', t.path, '--json', '--no-follow', '--project', 'evil*'], cliEnv(t.dir));
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.ok(!/[\u0000-\u001f\u007f]/.test(r.stdout.trim()), 'no raw control characters');
    assert.equal(JSON.parse(r.stdout).project, 'evil\u001b[31m\u0007');
  });

  it('filters by project, model and provider with globs', () => {
    const ids = (args: string[]) => runCli(['--db', t.path, '--json', '--no-follow', ...args], cliEnv(t.dir)).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id);
    assert.deepEqual(ids(['--provider', 'openai']), [3]);
    assert.deepEqual(ids(['--model', 'claude-*', '--model', 'gpt-5']), [1, 3]);
    assert.deepEqual(ids(['--project', 'sales-tool', '--provider', 'openai']), []);
    assert.deepEqual(ids(['--since', '2026-12-03T18:00:01Z']), [2, 3]);
    assert.deepEqual(ids(['--until', '2026-12-03T18:00:01.123Z']), [1, 2]);
  });

  it('ends with a readouts object pinned to --now', () => {
    const r = runCli(['--db', t.path, '--json', '--no-follow', '--readouts', '--now', '2026-12-03T18:00:30Z', '--budget', '100'], cliEnv(t.dir));
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(last.type, 'readouts');
    assert.equal(last.now, '2026-12-03T18:00:30.000Z');
    assert.equal(last.window.calls, 3);
    assert.equal(last.budget.budget_micros, 100_000_000);
    assert.equal(last.unpriced_calls, 1);
    assert.deepEqual(Object.keys(last), ['type', 'now', 'now_ms', 'run_rate', 'window', 'top', 'budget', 'variance', 'unpriced_calls']);
  });

  it('exits 0 quietly when the reader goes away (EPIPE)', async () => {
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" --db "${t.path}" --json --no-follow | head -1`], { env: cliEnv(t.dir) });
    let err = '';
    sh.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => sh.on('close', r));
    assert.equal(code, 0);
    assert.equal(err, '');
  });
});

describe('tape --json follows rows written by another process', () => {
  it('prints new rows as they commit, and not the backlog', async () => {
    const t = tempTape();
    t.writer.appendBatch([call({ ts: T0, request_id: 'old' })]);
    const child = spawnCli(['--db', t.path, '--json'], cliEnv(t.dir));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      // the follower starts at the end; write from a second process once it is running
      await new Promise((r) => setTimeout(r, 300));
      const writer = spawn(process.execPath, ['--import', 'tsx', '-e', `
        import { openWriter } from './src/tape/db.ts';
        import { TapeWriter } from './src/tape/writer.ts';
        import { PriceBook } from './src/pricing/price-book.ts';
        const db = openWriter(${JSON.stringify(t.path)});
        const w = new TapeWriter(db, new PriceBook());
        for (let i = 0; i < 3; i++) w.appendBatch([{ ts: ${T0} + i, project: 'p', provider: 'openai', model: 'gpt-5', input_tok: 1, output_tok: 1, duration_ms: 1, status: 200, source: 'test', request_id: 'new-' + i }]);
        db.close();`], { cwd: new URL('../..', import.meta.url).pathname });
      await new Promise((r) => writer.on('close', r));
      const lines = await waitFor(() => {
        const l = out.trim().split('\n').filter(Boolean);
        return l.length >= 3 ? l : undefined;
      }, 'three followed rows');
      assert.deepEqual(lines.map((l) => JSON.parse(l).request_id), ['new-0', 'new-1', 'new-2']);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.on('close', r));
      assert.equal(code, 0);
      t.close();
    }
  });
});

describe('errors a user will meet', () => {
  let t: TempTape;
  before(() => {
    t = tempTape();
  });
  after(() => t.close());
  const one = (args: string[], code: number, re: RegExp) => {
    const r = runCli(args, cliEnv(t.dir));
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  };

  it('no tape at the path: says how to start one (exit 4)', () => one(['--db', join(t.dir, 'none.db'), '--json'], 4, /no tape at .*tape demo.*tape proxy/));
  it('a foreign file: exit 5', () => {
    const p = join(t.dir, 'notes.db');
    writeFileSync(p, 'just some notes');
    one(['--db', p, '--json', '--no-follow'], 5, /not a tape/);
  });
  it('a bad flag: exit 2', () => one(['--db', t.path, '--jsonn'], 2, /Unknown argument: jsonn/));
  it('a bad time: exit 2', () => one(['--db', t.path, '--json', '--since', 'yesterday'], 2, /--since/));
  it('a bad import line: FILE:LINE and nothing written (exit 8)', () => {
    const f = join(t.dir, 'bad.ndjson');
    writeFileSync(f, `${JSON.stringify({ ts: '2026-12-01T00:00:00Z', project: 'p', provider: 'openai', model: 'gpt-5', input_tok: 1, output_tok: 1, duration_ms: 1, status: 200 })}\n{"ts": "2026-12-01T00:00:00Z"}\n`);
    one(['import', '--db', t.path, f], 8, /bad\.ndjson:2: project must be a non-empty string; nothing was imported/);
    assert.equal(t.db.prepare('SELECT count(*) FROM tape').pluck().get(), 0);
  });
  it('an import line dated on a day that does not exist: FILE:LINE, exit 8, nothing written', () => {
    const f = join(t.dir, 'feb.csv');
    writeFileSync(f, 'ts,project,provider,model,input_tok,output_tok,duration_ms,status\n2026-02-28T23:00:00Z,p,openai,gpt-5,1,1,1,200\n2026-02-29T00:00:00Z,p,openai,gpt-5,1,1,1,200\n');
    one(['import', '--db', t.path, f], 8, /feb\.csv:3: ts must be an ISO-8601 time, got "2026-02-29T00:00:00Z"; nothing was imported/);
    assert.equal(t.db.prepare('SELECT count(*) FROM tape').pluck().get(), 0);
  });
  it('a read-only tape cannot be written: exit 6, nothing written', () => {
    // root ignores file modes, so the write is attempted as an unprivileged user
    const d = join(t.dir, 'ro');
    mkdirSync(d);
    const p = join(d, 'ro.db');
    openWriter(p).close();
    chmodSync(t.dir, 0o755);
    chmodSync(d, 0o555);
    chmodSync(p, 0o444);
    const asNobody = (args: string[]) =>
      process.getuid?.() === 0
        ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], { env: cliEnv(d), encoding: 'utf8' })
        : spawnSync(process.execPath, [BIN, ...args], { env: cliEnv(d), encoding: 'utf8' });
    const w = asNobody(['demo', '--db', p, '--backfill', '1m', '--no-live']);
    assert.equal(w.status, 6, w.stderr);
    assert.match(w.stderr.trim(), /^tape: cannot write the tape .*permissions$/);
    const r = asNobody(['--db', p, '--json', '--no-follow']);
    assert.equal(r.status, 6, r.stderr);
    assert.match(r.stderr.trim(), /folder is not writable/);
    chmodSync(d, 0o755);
  });
  it('a locked tape: exit 6, nothing written', async () => {
    const p = join(t.dir, 'locked.db');
    openWriter(p).close();
    const holder = spawn(process.execPath, ['-e', `
      const D = require('better-sqlite3'); const db = new D(${JSON.stringify(p)});
      db.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => {}, 60000);`], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((r) => holder.stdout.once('data', r));
      const r = spawnSync(process.execPath, [BIN, 'demo', '--db', p, '--backfill', '1m', '--no-live'], { env: cliEnv(t.dir), encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 6, r.stderr);
      assert.match(r.stderr.trim(), /^tape: the tape .* is locked by another process; wait for it or stop it, then retry$/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
  it('a newer tape: exit 5', () => {
    const p = join(t.dir, 'newer.db');
    openWriter(p).close();
    const f = new Database(p);
    f.pragma('user_version = 99');
    f.close();
    one(['--db', p, '--json', '--no-follow'], 5, /written by a newer tape \(schema v99/);
  });
  it('a corrupt tape: exit 7', () => {
    const p = join(t.dir, 'corrupt.db');
    const bytes = Buffer.alloc(8192, 0x5a);
    Buffer.from('SQLite format 3\u0000').copy(bytes);
    writeFileSync(p, bytes);
    one(['--db', p, '--json', '--no-follow'], 7, /is corrupt/);
  });
});

describe('tape import', () => {
  it('re-imports a dump to the same rows and adds nothing the second time', () => {
    const a = tempTape();
    const b = tempTape();
    try {
      a.writer.appendBatch([call({ ts: T0, request_id: 'x1' }), call({ ts: T0 + 1, model: 'mystery', request_id: 'x2' }), call({ ts: T0 + 2, request_id: 'x3', flags: Flag.estimated })]);
      const dump = join(a.dir, 'dump.ndjson');
      writeFileSync(dump, runCli(['--db', a.path, '--json', '--no-follow', '--readouts'], cliEnv(a.dir)).stdout);
      const first = runCli(['import', '--db', b.path, dump, '--json'], cliEnv(b.dir));
      assert.deepEqual(JSON.parse(first.stdout), { files: 1, rows: 3, inserted: 3, duplicates: 0 });
      const second = runCli(['import', '--db', b.path, dump, '--json'], cliEnv(b.dir));
      assert.deepEqual(JSON.parse(second.stdout), { files: 1, rows: 3, inserted: 0, duplicates: 3 });
      const rowsA = runCli(['--db', a.path, '--json', '--no-follow'], cliEnv(a.dir)).stdout;
      const rowsB = runCli(['--db', b.path, '--json', '--no-follow'], cliEnv(b.dir)).stdout;
      assert.equal(rowsB, rowsA);
    } finally {
      a.close();
      b.close();
    }
  });

  it('reads CSV with the same column names, pricing rows without a cost', () => {
    const t = tempTape();
    try {
      const f = join(t.dir, 'calls.csv');
      writeFileSync(f, '\uFEFFts,project,provider,model,input_tok,output_tok,cached_tok,duration_ms,status,flags,request_id,cost_micros,price_version\r\n' +
        '2026-12-03T18:00:00.000Z,"sales, west",anthropic,claude-opus-4-5,5120,830,4096,2140,200,,r1,,\r\n' +
        '2026-12-03T18:00:01.000Z,"multi\nline",openai,gpt-5,10,10,0,5,500,stream_cut|usage_missing,r2,77,house@1\r\n');
      const r = runCli(['import', '--db', t.path, f, '--json'], cliEnv(t.dir));
      assert.equal(r.status, 0, r.stderr);
      const rows = t.db.prepare('SELECT project, cost_micros, price_version, flags FROM tape ORDER BY id').all() as { project: string; cost_micros: number; price_version: string; flags: number }[];
      assert.deepEqual(rows.map((x) => [x.project, x.cost_micros, x.flags]), [['sales, west', 27918, 0], ['multi\nline', 77, Flag.stream_cut | Flag.usage_missing]]);
      assert.equal(rows[1]!.price_version, 'house@1');
    } finally {
      t.close();
    }
  });

  it('takes cost_usd for a cost when cost_micros is absent, and refuses the two disagreeing', () => {
    const t = tempTape();
    try {
      const row = { ts: '2026-12-03T18:00:00.000Z', project: 'p', provider: 'openai', model: 'gpt-5', input_tok: 1, output_tok: 1, duration_ms: 1, status: 200, price_version: 'house@1' };
      const ok = join(t.dir, 'usd.ndjson');
      writeFileSync(ok, `${JSON.stringify({ ...row, cost_usd: '0.029830' })}\n${JSON.stringify({ ...row, cost_usd: '1.000001', cost_micros: 1_000_001 })}\n`);
      assert.equal(runCli(['import', '--db', t.path, ok], cliEnv(t.dir)).status, 0);
      assert.deepEqual(t.db.prepare('SELECT cost_micros FROM tape ORDER BY id').pluck().all(), [29_830, 1_000_001]);
      const bad = join(t.dir, 'bad-usd.ndjson');
      writeFileSync(bad, `${JSON.stringify({ ...row, cost_usd: '0.000002', cost_micros: 1 })}\n`);
      const r = runCli(['import', '--db', t.path, bad], cliEnv(t.dir));
      assert.equal(r.status, 8);
      assert.match(r.stderr, /bad-usd\.ndjson:1: cost_usd \(0\.000002\) and cost_micros \(1\) disagree/);
    } finally {
      t.close();
    }
  });

  it('keeps a cost whose file names no price list, and marks the row price_version "unknown"', () => {
    const t = tempTape();
    try {
      const f = join(t.dir, 'costed.csv');
      writeFileSync(f, 'ts,project,provider,model,input_tok,output_tok,duration_ms,status,cost_micros\n' +
        '2026-12-03T18:00:00.000Z,p,openai,gpt-5,1000,100,5,200,4242\n');
      const r = runCli(['import', '--db', t.path, f], cliEnv(t.dir));
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(t.db.prepare('SELECT cost_micros, price_version FROM tape').get(), { cost_micros: 4242, price_version: 'unknown' });
    } finally {
      t.close();
    }
  });

  it('keeps a CSV row unpriced when its cost is empty beside the price list that left it so, as NDJSON null does', () => {
    const t = tempTape();
    try {
      const f = join(t.dir, 'dump.csv');
      writeFileSync(f, 'ts,project,provider,model,input_tok,output_tok,duration_ms,status,cost_micros,price_version\n' +
        '2026-12-03T18:00:00.000Z,p,openai,gpt-5,1000,100,5,200,,genai-prices@0.0.1\n' +
        '2026-12-03T18:00:01.000Z,p,openai,gpt-5,1000,100,5,200,,\n');
      const r = runCli(['import', '--db', t.path, f, '--json'], cliEnv(t.dir));
      assert.equal(r.status, 0, r.stderr);
      const rows = t.db.prepare('SELECT cost_micros, price_version FROM tape ORDER BY id').all() as { cost_micros: number | null; price_version: string }[];
      assert.deepEqual(rows[0], { cost_micros: null, price_version: 'genai-prices@0.0.1' });
      assert.equal(rows[1]!.cost_micros, 2250); // 1000 x $1.25 + 100 x $10 per MTok
    } finally {
      t.close();
    }
  });
});

describe('tape --help', () => {
  it('lists the commands and the read options at a fixed width', () => {
    const r = runCli(['--help'], cliEnv('/tmp'));
    assert.equal(r.status, 0);
    for (const s of ['tape demo', 'tape import <files..>', 'tape paths', '--json', '--no-follow', '--readouts', '--since', '--now', '--budget']) assert.ok(r.stdout.includes(s), `help mentions ${s}`);
    assert.ok(r.stdout.split('\n').every((l) => l.length <= 100), 'no line wider than 100 columns');
  });
});

void TapeWriter;
void PriceBook;
