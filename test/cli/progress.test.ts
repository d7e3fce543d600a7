import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Progress } from '../../src/cli/progress.js';
import { ROOT, cliEnv, inTerminal, runCli, tempDir } from '../helpers/tape.js';

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const BAR = /█+░*|░+/;

describe('a progress bar for long work', () => {
  it('draws counts, percent and rate on a terminal, then ends its line', () => {
    const term = fakeTerminal(true);
    const bar = new Progress('import', 200, 'rows', term, {});
    bar.update(100, 100, true);
    assert.match(term.text, /^\r\x1b\[2Kimport █{12}░{12}  50%  100 rows  [\d,]+\/s$/);
    bar.finish(200);
    assert.match(term.text, /import █{24} 100%  200 rows  [\d,]+\/s\n$/);
  });

  it('writes nothing when stderr is not a terminal, or under CI', () => {
    for (const [tty, env] of [[false, {}], [true, { CI: 'true' }]] as const) {
      const term = fakeTerminal(tty);
      const bar = new Progress('import', 10, 'rows', term, env);
      bar.update(5, 5, true);
      bar.abandon();
      bar.finish(10);
      assert.equal(term.text, '');
    }
  });

  it('ends an unfinished bar on a line of its own, so an error after it reads alone', () => {
    const term = fakeTerminal(true);
    const bar = new Progress('ship', 10, 'rows', term, {});
    bar.update(3, 3, true);
    bar.abandon();
    assert.ok(term.text.endsWith('\n'));
  });
});

describe('imports, backfills and reconciles show progress on a terminal only', () => {
  let t: { dir: string; close(): void };
  let calls: string;
  before(() => {
    t = tempDir();
    calls = join(t.dir, 'calls.ndjson');
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      lines.push(JSON.stringify({ ts: new Date(Date.UTC(2026, 10, 3, 12) + i * 1000).toISOString(), project: 'p', provider: 'anthropic', model: 'claude-haiku-4-5',
        input_tok: 100, output_tok: 10, duration_ms: 500, status: 200, request_id: `r-${i}` }));
    }
    writeFileSync(calls, lines.join('\n') + '\n');
  });
  after(() => t.close());

  const env = (name: string) => {
    const e = cliEnv(t.dir, { TAPE_DB: join(t.dir, `${name}.db`) });
    delete e.CI;
    return e;
  };

  it('tape import: a bar with the count and rate in a terminal; nothing but its summary through a pipe', () => {
    const tty = inTerminal(['import', calls], env('import-tty'));
    assert.equal(tty.status, 0, tty.screen);
    assert.match(tty.screen, BAR);
    assert.match(tty.screen, /100%\s+2,000 rows\s+[\d,]+\/s/);
    const piped = runCli(['import', calls], env('import-pipe'));
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, BAR);
    assert.doesNotMatch(piped.stderr, /\r|\x1b/);
  });

  it('tape demo --backfill: a bar in a terminal; quiet through a pipe', () => {
    const args = ['demo', '--backfill', '6h', '--no-live', '--now', '2026-12-03T12:00:00Z'];
    const tty = inTerminal(args, env('demo-tty'));
    assert.equal(tty.status, 0, tty.screen);
    assert.match(tty.screen, /backfill █+ 100%/);
    const piped = runCli(args, env('demo-pipe'));
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, BAR);
  });

  it('tape reconcile: a bar over the bill lines in a terminal; quiet through a pipe', () => {
    const bill = join(t.dir, 'bill.csv');
    copyFileSync(join(ROOT, 'fixtures/reconcile/generic.csv'), bill);
    const tty = inTerminal(['reconcile', bill], env('rec-tty'));
    assert.ok(tty.status === 0 || tty.status === 3, tty.screen);
    assert.match(tty.screen, /reconcile █+ 100%\s+[\d,]+ lines/);
    const piped = runCli(['reconcile', bill], env('rec-pipe'));
    assert.ok(piped.status === 0 || piped.status === 3, piped.stderr);
    assert.doesNotMatch(piped.stderr, BAR);
  });
});
