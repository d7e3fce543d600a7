import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { perHour } from '../../src/readouts/index.js';
import { fmtTime, fmtWindow } from '../../src/ui/format.js';
import { themeAt } from '../../src/ui/theme.js';
import { tempTape, call, waitFor, type TempTape } from '../helpers/tape.js';
import { NOW, fixtureCalls, expectedReadouts, query, screen, money, KEYS } from './fixture.js';

describe('the screen shows the same figures as tape --json --readouts', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(fixtureCalls());
  });
  after(() => tape.close());

  it('shows the ticker window total, calls and rate beside the ticker', async () => {
    const r = expectedReadouts(tape.path, query());
    const s = screen(tape.path);
    try {
      const f = await s.until(`calls  ${r.window.calls}`);
      assert.equal(r.window.calls, 4);
      assert.ok(f.includes(`total  ${money.amount(r.window.cost_micros)}`), f);
      assert.ok(f.includes(`rate   ${money.rate(perHour(r.window.cost_micros, r.window.seconds))}`), f);
      assert.ok(f.includes('90s'), f);
    } finally {
      s.unmount();
    }
  });

  it('shows run rate 60s | 15m, the top 3, the budget and the variance band', async () => {
    const r = expectedReadouts(tape.path, query());
    const s = screen(tape.path);
    try {
      const f = await s.until('RUN RATE');
      assert.ok(f.includes(`${money.rate(r.run_rate.w60s_micros_per_hour)} | ${money.rate(r.run_rate.w15m_micros_per_hour)}`), f);
      assert.ok(f.includes(r.run_rate.diverging === 'up' ? '▲ diverging up' : r.run_rate.diverging === 'down' ? '▼ diverging down' : '= in line'), f);
      assert.equal(r.top.length, 3);
      for (const [i, e] of r.top.entries()) {
        assert.match(f, new RegExp(`${i + 1} ${e.project.slice(0, 8)}\\S* +${money.rate(e.micros_per_hour).replace(/[$.]/g, '\\$&')}`), f);
        assert.ok(f.includes(`${Math.round(e.share * 100)}%`), f);
      }
      assert.ok(f.includes(`mtd ${money.amount(r.budget.mtd_micros)} proj ${money.amount(r.budget.projected_micros)}`), f);
      assert.ok(f.includes('none: tape --budget 5000'), `the budget hint whole at 80 columns:\n${f}`);
      assert.ok(f.includes('VARIANCE no invoice yet'), f);
      assert.ok(f.includes(`${r.unpriced_calls} unpriced`), f);
    } finally {
      s.unmount();
    }
  });

  it('shows the budget state against a budget', async () => {
    for (const budget of [1_000_000, 100_000_000_000]) {
      const q = query(90, budget);
      const r = expectedReadouts(tape.path, q);
      const s = screen(tape.path, { q });
      try {
        const f = await s.until('BUDGET');
        const word = r.budget.state === 'ahead' ? 'AHEAD' : r.budget.state === 'on' ? 'ON' : 'UNDER';
        assert.ok(f.includes(`BUDGET 2026-12 ${word} of ${money.amount(budget)}`), f);
      } finally {
        s.unmount();
      }
    }
  });
});

describe('the print', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(fixtureCalls());
  });
  after(() => tape.close());

  it('lists calls newest first with UTC ms time, model letter, tokens, cost, status and flags', async () => {
    const s = screen(tape.path, { columns: 120, rows: 30 });
    try {
      const f = await s.until('unpriced 200');
      const lines = f.split('\n');
      const at = (text: string) => lines.findIndex((l) => l.includes(text));
      assert.ok(at('claude-experimental') < at('gemini-2.5-pro') && at('gemini-2.5-pro') < at('gpt-5') && at('gpt-5') < at('O opus-4-5'), f);
      const opus = lines[at('O opus-4-5')]!;
      assert.ok(opus.includes(fmtTime(NOW - 80_000)) && opus.includes('23:58:40.000Z'), opus);
      assert.match(opus, /5\.1k +830 +4\.1k +2\.1s +\$0\.114000 200/);
      assert.ok(opus.startsWith('$'), `tier-1 block print marked: ${opus}`);
      const gem = lines[at('gemini-2.5-pro')]!;
      assert.ok(gem.startsWith('!') && gem.includes('$1.2000 500'), `an error row is marked ! before its block print tier: ${gem}`);
      assert.ok(lines[at('archive')]!.startsWith('#'), 'tier-2 block print marked');
      assert.match(lines[at('gpt-5')]!, /\$0\.029830 429 cut/);
      assert.ok(!f.includes('$0.00 '), 'an unpriced call never reads $0.00');
    } finally {
      s.unmount();
    }
  });

  it('shows a new call as it commits', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      tape.writer.appendBatch([call({ ts: NOW - 1000, project: 'fresh-one', model: 'claude-haiku-4-5', cost_micros: 1234, price_version: 'x' })]);
      const f = await s.until('fresh-one');
      const lines = f.split('\n');
      assert.ok(lines.findIndex((l) => l.includes('fresh-one')) < lines.findIndex((l) => l.includes('experimen')), f);
    } finally {
      s.unmount();
    }
  });
});

describe('the keys', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(fixtureCalls());
  });
  after(() => tape.close());

  it('space pauses, counts calls arriving underneath, and resumes', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      s.write(' ');
      await s.until('PAUSED: 0 new calls');
      tape.writer.appendBatch([1, 2, 3].map((i) => call({ ts: NOW - 500 + i, project: `under-${i}`, cost_micros: 10, price_version: 'x' })));
      const f = await s.until('PAUSED: 3 new calls');
      assert.ok(!f.includes('under-1'), 'the print stays still while paused');
      assert.ok(f.includes('space resume'), 'the footer says what space does now');
      s.write(' ');
      await s.until('under-3');
    } finally {
      s.unmount();
    }
  });

  it('arrows move the selection, Enter opens the call whole, Esc goes back', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      s.write(' ');
      await s.until('PAUSED');
      for (let i = 0; i < 20 && !/^>.*gpt-5/m.test(s.frame()); i++) {
        s.write(KEYS.down);
        await new Promise((r) => setTimeout(r, 30));
      }
      await s.until(/^>.*gpt-5/m, 'gpt-5 selected');
      s.write(KEYS.enter);
      const f = await s.until('request_id');
      assert.ok(f.includes('req_gpt') && f.includes('price_version') && f.includes('genai-prices@0.1.8') && f.includes('stream_cut'), f);
      s.write(KEYS.esc);
      await s.until('RUN RATE');
      s.write(KEYS.up);
      await s.until(/^>.*gemini-2\./m, 'selection moved up').catch((e) => {
        throw new Error(`${e.message}\n${s.frame()}`);
      });
    } finally {
      s.unmount();
    }
  });

  it('w cycles the window 90s, 5m, 15m, 1h and the window total follows', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      for (const w of [300, 900, 3600, 90]) {
        s.write('w');
        const r = expectedReadouts(tape.path, query(w));
        await s.until(fmtWindow(w) + ' ');
        await s.until(`calls  ${r.window.calls}`, `${w}s window calls`);
        const f = await s.until(`total  ${money.amount(r.window.cost_micros)}`);
        assert.ok(f.includes(fmtWindow(w)), f);
      }
    } finally {
      s.unmount();
    }
  });

  it('/ filters by project (readouts too), Esc clears', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      s.write('/');
      await s.until('filter /');
      s.write('sales');
      await s.until('sales█');
      s.write(KEYS.enter);
      const r = expectedReadouts(tape.path, query(90, null, { project: ['*sales*'] }));
      const f = await s.until(`calls  ${r.window.calls}`);
      assert.ok(f.includes('filter project=*sales*'), f);
      assert.ok(!f.includes('gemini-2.') && f.includes('gpt-5'), f);
      s.write(KEYS.esc);
      await s.until('gemini-2.');
    } finally {
      s.unmount();
    }
  });

  it('u switches the time column between UTC (Z) and local time', async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    const s = screen(tape.path);
    try {
      await s.until('23:58:40.000Z');
      s.write('u');
      const f = await s.until('05:28:40.000');
      assert.ok(f.includes('local time') && f.includes('+0530'), f);
      s.write('u');
      await s.until('23:58:40.000Z');
    } finally {
      s.unmount();
      process.env.TZ = tz;
      if (tz === undefined) delete process.env.TZ;
    }
  });

  it('? shows every key of the key table; q quits', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      s.write('?');
      const f = await s.until('KEYS');
      for (const k of ['q ', 'space', 'Enter', '/', 'Esc', 'w ', 'u ', 'PgUp', 'PgDn']) assert.ok(f.includes(k), `help lists ${k}`);
      s.write('?');
      await s.until('RUN RATE');
      s.write('q');
      await waitFor(() => s.exited(), 'quit');
    } finally {
      s.unmount();
    }
  });
});

describe('layouts and states', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(fixtureCalls());
  });
  after(() => tape.close());

  for (const [columns, rows] of [[80, 24], [100, 30], [200, 50]] as const) {
    it(`fits ${columns}x${rows}: no line wider, the frame one row shorter than the terminal`, async () => {
      const s = screen(tape.path, { columns, rows });
      try {
        const f = await s.until('gpt-5');
        const lines = f.split('\n');
        assert.ok(lines.length <= rows - 1, `${lines.length} lines`);
        for (const l of lines) assert.ok(l.length <= columns, `too wide: ${l}`);
        for (const must of ['RUN RATE', 'TOP 3', 'BUDGET', 'VARIANCE', 'q quit', 'calls/s', 'unpriced', 'genai-prices@0.1.8']) assert.ok(f.includes(must), `${must} at ${columns}x${rows}:\n${f}`);
      } finally {
        s.unmount();
      }
    });
  }

  it('uses the room of a wide terminal: four panels side by side, provider and host columns', async () => {
    const s = screen(tape.path, { columns: 200, rows: 50 });
    try {
      const f = await s.until('gpt-5');
      assert.ok(f.split('\n').some((l) => l.includes('RUN RATE') && l.includes('TOP 3') && l.includes('BUDGET') && l.includes('VARIANCE')), f);
      assert.ok(f.includes('provider') && f.includes('test-box'), f);
    } finally {
      s.unmount();
    }
  });

  it('colours models by family (and keeps the letter)', async () => {
    const s = screen(tape.path, { theme: themeAt(1) });
    try {
      const f = await s.until('opus-4-5');
      assert.ok(f.includes('\u001b[35mO opus-4-5'), 'opus is magenta');
      assert.ok(/\u001b\[31m500/.test(f), '5xx red');
      assert.ok(f.includes('\u001b[33m429'), '429 amber');
    } finally {
      s.unmount();
    }
  });

  it('waits for a tape that does not exist yet, then for the first call', async () => {
    const empty = tempTape();
    const path = `${empty.dir}/later.db`;
    const s = screen(path);
    try {
      const w = await s.until('waiting for the tape: no tape at');
      assert.ok(w.includes('an existing tape'), `the hint whole, wrapped over the empty print:\n${w}`);
      const { openWriter } = await import('../../src/tape/db.js');
      const db = openWriter(path);
      await s.until('waiting for the first call');
      const { TapeWriter } = await import('../../src/tape/writer.js');
      const { PriceBook } = await import('../../src/pricing/price-book.js');
      new TapeWriter(db, new PriceBook()).appendBatch([call({ ts: NOW - 2000, project: 'first-ever', cost_micros: 5, price_version: 'x' })]);
      await s.until('first-ever');
      db.close();
    } finally {
      s.unmount();
      empty.close();
    }
  });

  it('says so when the tape file is deleted underneath', async () => {
    const t = tempTape();
    t.writer.appendBatch(fixtureCalls());
    const s = screen(t.path);
    try {
      await s.until('gpt-5');
      rmSync(t.path);
      const f = await s.until('the tape file was deleted underneath');
      assert.ok(f.includes('read a new tape'), `the notice whole at 80 columns (on two lines):\n${f}`);
      assert.ok(f.split('\n').length <= 23, 'the frame still fits');
    } finally {
      s.unmount();
      t.close();
    }
  });
});

describe('a small terminal keeps what matters whole', () => {
  let tape: TempTape;
  before(() => {
    tape = tempTape();
    tape.writer.appendBatch(fixtureCalls());
  });
  after(() => tape.close());

  it('shows every line of the help uncut at 80x24', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      s.write('?');
      const f = await s.until('KEYS');
      assert.ok(!f.split('\n').slice(1).join('\n').includes('…'), `nothing cut below the status line:\n${f}`);
      for (const k of ['↑ ↓', 'PgUp PgDn', 'Ctrl-C', 'u ', 'top 3: ▲▼', 'unpriced']) assert.ok(f.includes(k), `help shows ${k}:\n${f}`);
    } finally {
      s.unmount();
    }
  });

  it('names Esc in the 80-column footer while a filter is set', async () => {
    const s = screen(tape.path);
    try {
      await s.until('RUN RATE');
      assert.ok(!s.frame().includes('Esc'), 'no Esc without a filter');
      s.write('/');
      await s.until('filter /');
      s.write('support');
      s.write(KEYS.enter);
      const f = await s.until('filter project=support');
      const footer = f.split('\n').at(-1)!;
      assert.ok(footer.includes('Esc clear filter') && footer.includes('? help'), footer);
    } finally {
      s.unmount();
    }
  });

  it('keeps the cost, the status and the clock in a 50x12 pane', async () => {
    const s = screen(tape.path, { columns: 50, rows: 12 });
    try {
      const f = await s.until('gpt-5');
      const lines = f.split('\n');
      for (const l of lines) assert.ok(l.length <= 50, `too wide: ${l}`);
      assert.ok(lines[0]!.endsWith('00:00:00Z'), `the clock whole: ${lines[0]}`);
      assert.ok(f.includes(money.cost(114_000)) && f.includes(' unpriced 200'), f);
      assert.ok(lines.some((l) => /\$\d\.\d{6} 429/.test(l)), f);
    } finally {
      s.unmount();
    }
  });
});
