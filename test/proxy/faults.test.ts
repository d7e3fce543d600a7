import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, rowView, until, filesContaining, send } from './harness.js';
import { startUpstream, type Upstream } from './upstream.js';
import Database from 'better-sqlite3';
import { openReader } from '../../src/tape/db.js';
import type { CallRow } from '../../src/tape/row.js';
import { flagNames } from '../../src/tape/row.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const KEY = 'sk-ant-api03-CANARYkill9KEY00000000000000';

describe('when the tape cannot be written', () => {
  it('refuses new calls with 503 and Retry-After before contacting the provider (disk low)', async () => {
    const h = await startHarness({ minFreeBytes: Number.MAX_SAFE_INTEGER });
    try {
      const r = await send(h.base, '/anthropic/v1/messages', { headers: { 'x-fixture': 'anthropic-message-json' } });
      assert.equal(r.status, 503);
      assert.equal(r.headers['retry-after'], '5');
      assert.equal(h.upstream.calls.length, 0);
      assert.equal(h.rows().length, 0);
    } finally {
      await h.close();
    }
  });

  it('refuses once a commit fails (SQLITE_FULL), keeps the unwritten row, and writes it when the tape recovers', async () => {
    const h = await startHarness();
    try {
      const pages = h.writer.db.pragma('page_count', { simple: true }) as number;
      h.writer.db.pragma(`max_page_count = ${pages}`);
      let refused = -1;
      for (let i = 0; i < 300 && refused < 0; i++) {
        const before = h.upstream.calls.length;
        const r = await send(h.base, '/openai/v1/chat/completions', { headers: { 'x-fixture': 'openai-chat-json' } });
        if (r.status === 503) {
          refused = i;
          assert.equal(h.upstream.calls.length, before, 'the refused call never reached the upstream');
        } else await new Promise((r2) => setTimeout(r2, 10));
      }
      assert.ok(refused > 0, 'a call was refused once the tape was full');
      assert.match(h.logs.join('\n'), /disk is full/);
      h.writer.db.pragma('max_page_count = 1073741823');
      await until(() => h.rows().length === h.upstream.calls.length, 5000, 'the kept rows to be written');
      const r = await send(h.base, '/openai/v1/chat/completions', { headers: { 'x-fixture': 'openai-chat-json' } });
      assert.equal(r.status, 200);
      await until(() => h.rows().length === h.upstream.calls.length, 5000, 'all rows');
    } finally {
      await h.close();
    }
  });

  it('refuses while another process holds the tape\'s write lock, and writes the kept row once it is released', async () => {
    const h = await startHarness({ writer: undefined }); // the proxy opens the tape itself, as `tape proxy` does
    const other = new Database(h.dbPath);
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const first = await send(h.base, '/openai/v1/chat/completions', { headers: { 'x-fixture': 'openai-chat-json' } });
      assert.equal(first.status, 200, 'a call already admitted goes through');
      await until(() => /is locked by another process/.test(h.logs.join('\n')), 5000, 'the lock to be noticed');
      const refused = await send(h.base, '/openai/v1/chat/completions', { headers: { 'x-fixture': 'openai-chat-json' } });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '5');
      assert.equal(h.upstream.calls.length, 1, 'the refused call never reached the upstream');
      other.prepare('ROLLBACK').run();
      await until(() => h.rows().length === 1, 5000, 'the kept row to be written');
      await until(() => /writable again/.test(h.logs.join('\n')), 5000, 'recovery');
      assert.equal((await send(h.base, '/openai/v1/chat/completions', { headers: { 'x-fixture': 'openai-chat-json' } })).status, 200);
      await h.waitRows(2);
    } finally {
      if (other.inTransaction) other.prepare('ROLLBACK').run();
      other.close();
      await h.close();
    }
  });

  it('with --on-tape-error=forward, forwards and flags the row recorded_late', async () => {
    const h = await startHarness({ minFreeBytes: Number.MAX_SAFE_INTEGER, onTapeError: 'forward' });
    try {
      const r = await send(h.base, '/anthropic/v1/messages', { headers: { 'x-fixture': 'anthropic-message-json' } });
      assert.equal(r.status, 200);
      const [row] = await h.waitRows(1);
      assert.deepEqual([...flagNames(row!.flags)], ['recorded_late']);
    } finally {
      await h.close();
    }
  });
});

interface Child {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
}

async function spawnProxy(dir: string, up: Upstream): Promise<Child> {
  const u = `http://127.0.0.1:${up.port}`;
  const proc = spawn(process.execPath, [join(ROOT, 'bin/tape'), 'proxy', '--db', join(dir, 'tape.db'), '--port', '0', '--drain-timeout', '20',
    '--upstream', `anthropic=${u}`, '--upstream', `openai=${u}`, '--upstream', `gemini=${u}`], {
    env: { ...process.env, TAPE_STATE_DIR: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.resume();
  const port = await until(() => Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1] ?? 0), 15_000, 'the proxy to listen');
  return { proc, port, stderr: () => err };
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));

function tapeRows(dir: string): CallRow[] {
  const db = openReader(join(dir, 'tape.db'));
  try {
    return db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[];
  } finally {
    db.close();
  }
}

describe('the proxy as a process', () => {
  let dir: string;
  let up: Upstream;
  const children: ChildProcess[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tape-proxy-proc-'));
    up = await startUpstream();
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after kill -9 with streams in flight and a restart, every call the upstream saw is on the tape exactly once', async () => {
    const a = await spawnProxy(dir, up);
    children.push(a.proc);
    const base = `http://127.0.0.1:${a.port}`;
    const headers = (fixture: string, slow = '') => ({ 'x-fixture': fixture, 'x-api-key': KEY, ...(slow ? { 'x-slow-ms': slow } : {}) });
    for (let i = 0; i < 5; i++) await send(base, '/anthropic/v1/messages', { headers: headers('anthropic-message-json') });
    await until(() => tapeRows(dir).length === 5, 5000, 'the finished calls on the tape');
    const inflight = Array.from({ length: 8 }, () => send(base, '/anthropic/v1/messages', { headers: headers('anthropic-stream-cache-1h', '300') }));
    await until(() => up.calls.length === 13, 5000, 'the streams to reach the upstream');
    await new Promise((r) => setTimeout(r, 350));
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    const replies = await Promise.all(inflight);
    assert.ok(replies.every((r) => r.error !== null), 'the clients saw their streams cut');

    const b = await spawnProxy(dir, up);
    children.push(b.proc);
    assert.match(b.stderr(), /8 calls from the last run never finished/);
    b.proc.kill('SIGTERM');
    assert.equal(await exited(b.proc), 0);

    const rows = tapeRows(dir);
    const want = up.calls.map((c) => `req_011${c.seq}${c.fixture === 'anthropic-message-json' ? 'json' : 'strm'}`).sort();
    assert.deepEqual(rows.map((r) => r.request_id).sort(), want, '0 missing, 0 duplicated');
    const unknown = rows.filter((r) => r.flags & 16);
    assert.equal(unknown.length, 8);
    for (const r of unknown) assert.deepEqual(rowView(r, ['status', 'cost_micros', 'provider', 'model']), { status: 200, cost_micros: null, provider: 'anthropic', model: 'm' });
    assert.deepEqual(filesContaining(dir, KEY), [], 'no key in any file the daemon wrote');
    for (const f of readdirSync(join(dir, 'state'))) assert.equal(statSync(join(dir, 'state', f)).mode & 0o077, 0, `${f} is private`);
    assert.equal(statSync(join(dir, 'tape.db')).mode & 0o077, 0);
  });

  it('on SIGTERM stops accepting, lets streams in flight finish and writes their rows', async () => {
    const before = tapeRows(dir).length;
    const c = await spawnProxy(dir, up);
    children.push(c.proc);
    const base = `http://127.0.0.1:${c.port}`;
    const calls = up.calls.length;
    const inflight = Array.from({ length: 3 }, () => send(base, '/anthropic/v1/messages', { headers: { 'x-fixture': 'anthropic-stream-cache-1h', 'x-slow-ms': '60' } }));
    await until(() => up.calls.length === calls + 3, 5000, 'the streams to start');
    c.proc.kill('SIGTERM');
    const replies = await Promise.all(inflight);
    for (const r of replies) assert.equal(r.error, null, 'the stream finished');
    assert.equal(await exited(c.proc), 0);
    const late = await send(base, '/anthropic/v1/messages', { headers: { 'x-fixture': 'anthropic-message-json' } });
    assert.notEqual(late.error, null, 'no longer accepting');
    const rows = tapeRows(dir).slice(before);
    assert.equal(rows.length, 3);
    for (const r of rows) assert.deepEqual(rowView(r, ['output_tok', 'flags']), { output_tok: 96, flags: [] });
  });
});
