// The live screen in a real terminal: tmux at 100x30 runs `tape --db X`, this process appends
// calls, `capture-pane` reads the screen. Keys go in with send-keys; the terminal must be back on
// its primary screen afterwards (on q and on SIGTERM).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openWriter, type Db } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { BIN, call, cliEnv, tempDir, waitFor } from '../helpers/tape.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `tape-e2e-${process.pid}`;

describe('the live screen in tmux', { skip: hasTmux ? false : 'tmux is not installed' }, () => {
  let dir: { dir: string; close(): void };
  let db: Db;
  let writer: TapeWriter;
  let path: string;
  let env: NodeJS.ProcessEnv;
  let n = 0;

  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { env, encoding: 'utf8' });
  const capture = (s: string) => tmux('capture-pane', '-p', '-t', s).stdout ?? '';
  const until = (s: string, test: (screen: string) => boolean, what: string) =>
    waitFor(() => (test(capture(s)) ? capture(s) : undefined), what, 15_000).catch((e: Error) => {
      throw new Error(`${e.message}; screen:\n${capture(s)}`);
    });
  const keys = (s: string, ...k: string[]) => tmux('send-keys', '-t', s, ...k);
  const append = (project: string, count = 1) => {
    const now = Date.now();
    writer.appendBatch(Array.from({ length: count }, (_, i) => call({ ts: now - 200 + i, project, model: 'claude-sonnet-4-5', cost_micros: 21_000 + n, price_version: 'test@1', request_id: `e2e-${n++}` })));
  };
  const start = (s: string) => {
    const cmd = `printf 'BEFORE-TAPE\\n'; node ${BIN} --db ${path}; echo "TAPE-EXITED $?"; sleep 600`;
    const r = tmux('new-session', '-d', '-s', s, '-x', '100', '-y', '30', cmd);
    assert.equal(r.status, 0, r.stderr);
  };

  before(() => {
    dir = tempDir();
    path = join(dir.dir, 'tape.db');
    db = openWriter(path);
    writer = new TapeWriter(db, new PriceBook(), { host: 'e2e-box', path });
    env = { ...cliEnv(dir.dir), TERM: 'xterm-256color' };
    delete env.NO_COLOR;
  });
  after(() => {
    tmux('kill-server');
    writer.close();
    db.close();
    dir.close();
  });

  it('shows calls as another process appends them; space, w, /, Enter and q work; the terminal is restored', async () => {
    start('main');
    await until('main', (t) => t.includes('waiting for the first call'), 'the empty tape');
    assert.equal(tmux('display', '-p', '-t', 'main', '#{alternate_on}').stdout.trim(), '1', 'the screen runs on the alternate screen');
    append('e2e-alpha', 2);
    append('e2e-beta', 1);
    await until('main', (t) => t.includes('e2e-alpha') && t.includes('e2e-beta'), 'the appended calls');

    keys('main', 'Space');
    await until('main', (t) => t.includes('PAUSED: 0 new calls'), 'pause');
    append('e2e-gamma', 2);
    await until('main', (t) => t.includes('PAUSED: 2 new calls') && !t.includes('e2e-gamma'), 'arrivals counted while paused');
    keys('main', 'Enter');
    await until('main', (t) => t.includes('request_id') && t.includes('price_version') && t.includes('e2e-'), 'the call opened whole');
    keys('main', 'Escape');
    await until('main', (t) => t.includes('PAUSED'), 'back to the print');
    keys('main', 'Space');
    await until('main', (t) => t.includes('e2e-gamma') && !t.includes('PAUSED'), 'resumed');

    keys('main', 'w');
    await until('main', (t) => /│ 5m /.test(t), 'the 5m window');

    keys('main', '/');
    await until('main', (t) => t.includes('filter /'), 'the filter prompt');
    keys('main', '-l', 'beta');
    keys('main', 'Enter');
    await until('main', (t) => t.includes('filter project=*beta*') && t.includes('e2e-beta') && !t.includes('e2e-alpha'), 'the filter applied');
    keys('main', 'Escape');
    await until('main', (t) => t.includes('e2e-alpha'), 'the filter cleared');

    keys('main', 'q');
    const after = await until('main', (t) => t.includes('TAPE-EXITED'), 'tape to exit');
    assert.ok(after.includes('TAPE-EXITED 0'), after);
    assert.ok(after.includes('BEFORE-TAPE'), 'the primary screen is back');
    assert.ok(!after.includes('RUN RATE'), 'nothing of the screen is left behind');
    assert.equal(tmux('display', '-p', '-t', 'main', '#{alternate_on}').stdout.trim(), '0');
  });

  it('reflows when the pane is resized and leaves nothing of the screen behind on q', async () => {
    start('resize');
    append('e2e-resize', 3);
    await until('resize', (t) => t.includes('e2e-resize') && t.includes('RUN RATE'), 'the screen');
    tmux('resize-window', '-t', 'resize', '-x', '160', '-y', '40');
    await until('resize', (t) => t.split('\n').some((l) => l.includes('RUN RATE') && l.includes('BUDGET')), 'the wide layout');
    tmux('resize-window', '-t', 'resize', '-x', '80', '-y', '24');
    await until('resize', (t) => !t.split('\n').some((l) => l.includes('RUN RATE') && l.includes('BUDGET')) && t.includes('RUN RATE'), 'the narrow layout');
    tmux('resize-window', '-t', 'resize', '-x', '120', '-y', '35');
    await until('resize', (t) => t.includes('u UTC/local'), 'the 120-column footer');
    keys('resize', 'q');
    const after = await until('resize', (t) => t.includes('TAPE-EXITED'), 'tape to exit');
    const lines = after.split('\n');
    assert.equal(lines[0], 'BEFORE-TAPE', after);
    assert.match(lines[1] ?? '', /^TAPE-EXITED 0/, `nothing left between the prompt and the exit:\n${after}`);
  });

  it('restores the terminal on SIGTERM, then exits 143', async () => {
    start('term');
    await until('term', (t) => t.includes('RUN RATE'), 'the screen');
    const pids = spawnSync('pgrep', ['-f', `^node ${BIN} --db ${path}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    assert.equal(pids.length, 1, `one tape process: ${pids}`);
    process.kill(pids[0]!, 'SIGTERM');
    const after = await until('term', (t) => t.includes('TAPE-EXITED'), 'tape to exit on SIGTERM');
    assert.ok(after.includes('BEFORE-TAPE') && !after.includes('RUN RATE'), after);
    assert.ok(after.includes('TAPE-EXITED 143'), `exit 143 (128 + SIGTERM), like other Unix tools:\n${after}`);
    assert.equal(tmux('display', '-p', '-t', 'term', '#{alternate_on}').stdout.trim(), '0');
  });
});
