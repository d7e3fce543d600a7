// The print's marks, as a user reads them at 80x24: error rows stand out across the row (and
// without colour), a failed call that cost nothing is not a free call, paging back ends on a
// mark, flags read whole and the help explains them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { themeAt } from '../../src/ui/theme.js';
import { FLAG_TABLE } from '../../src/ui/print-model.js';
import { Flag } from '../../src/tape/row.js';
import { tempTape, call, type TempTape } from '../helpers/tape.js';
import { NOW, fixtureCalls, screen, KEYS } from './fixture.js';

/** Calls that went wrong in every way the print must show, newest last. */
function failedCalls() {
  const c = (over: Parameters<typeof call>[0]) => call({ price_version: 'genai-prices@0.1.8', model: 'claude-sonnet-4-5', ...over });
  return [
    c({ ts: NOW - 60_000, project: 'fine', cost_micros: 21_000, request_id: 'fine' }),
    c({ ts: NOW - 50_000, project: 'limited', status: 429, input_tok: 0, output_tok: 0, cost_micros: 0, request_id: 'r429' }),
    c({ ts: NOW - 40_000, project: 'busy', status: 529, input_tok: 0, output_tok: 0, cost_micros: 0, request_id: 'r529' }),
    c({ ts: NOW - 30_000, project: 'inerr', status: 200, cost_micros: 9_000, flags: Flag.stream_error, request_id: 'rerr' }),
    c({ ts: NOW - 20_000, project: 'hungup', status: 499, cost_micros: 4_000, flags: Flag.client_aborted, request_id: 'rabort' }),
    c({ ts: NOW - 10_000, project: 'cutoff', status: 200, cost_micros: 5_000, flags: Flag.stream_cut | Flag.usage_missing, request_id: 'rcut' }),
    c({ ts: NOW - 5_000, project: 'nocost', status: 500, model: 'claude-experimental', cost_micros: null, request_id: 'rnull' }),
  ];
}

/** The print's line of a call (not the top 3 panel's): the one with a time to the ms. */
const lineOf = (f: string, text: string) => f.split('\n').find((l) => l.includes('.000Z') && l.includes(text)) ?? '';

describe('error rows stand out across the row', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(failedCalls());
  });
  after(() => tape.close());

  it('marks 429, 5xx and stream-error rows with ! in the gutter, so it works without colour', async () => {
    const s = screen(tape.path); // plain theme: no colour at all
    try {
      const f = await s.until('nocost');
      for (const p of ['limited', 'busy', 'inerr', 'hungup', 'nocost']) assert.ok(lineOf(f, p).startsWith('!'), `${p} marked:\n${f}`);
      for (const p of ['fine', 'cutoff']) assert.ok(!lineOf(f, p).startsWith('!'), `${p} not marked:\n${f}`);
    } finally {
      s.unmount();
    }
  });

  it('colours the row text in the theme: 429 in warn, 5xx and stream errors in error, the model in its family colour', async () => {
    const t = themeAt(1);
    const s = screen(tape.path, { theme: t });
    try {
      const f = await s.until('nocost');
      const warn = t.warn('X').split('X')[0]!;
      const error = t.error('X').split('X')[0]!;
      const sonnet = t.model('sonnet')('X').split('X')[0]!;
      assert.notEqual(warn, error);
      const limited = lineOf(f, 'limited');
      assert.ok(limited.includes(`${warn}!23:59:10.000Z`) && limited.includes(`${warn}limited`) && limited.includes(`${warn} $0 (err)`), `the 429 row in warn, its gutter mark too: ${JSON.stringify(limited)}`);
      for (const p of ['busy', 'inerr']) {
        const l = lineOf(f, p);
        assert.ok(l.includes(`${error}!`) && l.includes(`${error}${p}`) && (l.includes(`${error} $0 (err)`) || l.includes(`${error}$0.009000`)), `the ${p} row (gutter, time, project, cost) in error: ${JSON.stringify(l)}`);
        assert.ok(l.includes(sonnet), `the model keeps its colour: ${JSON.stringify(l)}`);
      }
      assert.ok(!lineOf(f, 'fine').includes(warn) && !lineOf(f, 'fine').includes(error), 'a good call stays plain');
    } finally {
      s.unmount();
    }
  });
});

describe('a failed call that cost nothing', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(failedCalls());
  });
  after(() => tape.close());

  it('reads $0 (err), never $0.000000; an unpriced one still reads unpriced', async () => {
    const s = screen(tape.path);
    try {
      const f = await s.until('nocost');
      assert.match(lineOf(f, 'limited'), /\$0 \(err\) 429/);
      assert.match(lineOf(f, 'busy'), /\$0 \(err\) 529/);
      assert.match(lineOf(f, 'nocost'), / unpriced 500/);
      assert.ok(!f.includes('$0.000000'), f);
    } finally {
      s.unmount();
    }
  });
});

describe('flags at 80 columns', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(failedCalls());
  });
  after(() => tape.close());

  it('shows recognisable short names, and + for more than fit', async () => {
    const s = screen(tape.path, { columns: 80, rows: 24 });
    try {
      const f = await s.until('nocost');
      assert.match(lineOf(f, 'hungup'), / 499 abort *$/);
      assert.match(lineOf(f, 'inerr'), / 200 err *$/);
      assert.match(lineOf(f, 'cutoff'), / 200 cut\+ *$/);
      for (const l of f.split('\n')) assert.ok(l.length <= 80, `too wide: ${l}`);
    } finally {
      s.unmount();
    }
  });

  it('lists every flag in the help, which still fits 80x24 uncut', async () => {
    const s = screen(tape.path, { columns: 80, rows: 24 });
    try {
      await s.until('nocost');
      s.write('?');
      const f = await s.until('KEYS');
      for (const fl of FLAG_TABLE) assert.ok(f.includes(`${fl.short} ${fl.help}`), `help explains ${fl.short}:\n${f}`);
      for (const k of ['! error', '$0 (err)', 'unpriced', 'Esc', 'Ctrl-C']) assert.ok(f.includes(k), `help shows ${k}:\n${f}`);
      const lines = f.split('\n');
      assert.ok(lines.length <= 23, `${lines.length} lines`);
      assert.ok(!lines.slice(1).join('\n').includes('…'), `nothing cut:\n${f}`);
    } finally {
      s.unmount();
    }
  });
});

describe('paging back ends on a mark', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(fixtureCalls());
  });
  after(() => tape.close());

  it('says how to read older calls when the buffer is full', async () => {
    const s = screen(tape.path, { ringSize: 4 });
    try {
      await s.until('experimen');
      for (let i = 0; i < 3; i++) s.write(KEYS.pageDown);
      // the oldest of the newest 4 calls is the opus call, 80 s before NOW
      const f = await s.until('— 4 calls kept; older: tape --json --until 2026-12-19T23:58:40.000Z —');
      const lines = f.split('\n');
      const mark = lines.findIndex((l) => l.includes('calls kept'));
      assert.ok(lines[mark - 1]!.startsWith('>') && lines[mark - 1]!.includes('opus'), `the mark sits under the oldest call, selected:\n${f}`);
      assert.ok(lines.length <= 23 && lines.every((l) => l.length <= 80), f);
      s.write(KEYS.down);
      s.write(' ');
      await s.until((fr) => !fr.includes('calls kept') && !fr.includes('PAUSED'), 'resumed: no mark');
    } finally {
      s.unmount();
    }
  });

  it('says there is nothing older when the buffer holds the whole tape', async () => {
    const s = screen(tape.path);
    try {
      await s.until('experimen');
      assert.ok(!s.frame().includes('no older call'), 'no mark while live');
      s.write(KEYS.pageDown);
      const f = await s.until('— no older call on the tape —');
      assert.ok(f.split('\n').length <= 23, f);
    } finally {
      s.unmount();
    }
  });

  it('keeps the mark in view at the foot of a short print', async () => {
    const many = Array.from({ length: 40 }, (_, i) => call({ ts: NOW - 60_000 + i * 100, project: `p${i}`, model: 'claude-haiku-4-5', cost_micros: 1000, price_version: 'x', request_id: `m${i}` }));
    const t2 = tempTape();
    t2.writer.appendBatch(many);
    const s = screen(t2.path, { ringSize: 30 });
    try {
      await s.until('p39');
      for (let i = 0; i < 10; i++) s.write(KEYS.pageDown);
      const f = await s.until('30 calls kept', 'the mark after paging to the end');
      const lines = f.split('\n');
      assert.ok(lines.length <= 23, `${lines.length} lines`);
      assert.ok(lines.some((l) => l.startsWith('>') && l.includes(' p10 ')), `the oldest kept (p10) selected:\n${f}`);
    } finally {
      s.unmount();
      t2.close();
    }
  });
});
