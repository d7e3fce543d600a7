import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Key } from 'ink';
import { Money, fmtTokens, fmtDuration, fmtTime, fmtWindow, fit } from '../../src/ui/format.js';
import { toSlots, scaleFor, tickerLines, BUCKET_MS, type TickBucket } from '../../src/ui/ticker-model.js';
import { familyOf, FAMILY_LETTER, themeAt, themeFromEnv } from '../../src/ui/theme.js';
import { parseFilterText, nextWindow, applyKey, initialUi, reduce } from '../../src/ui/ui-state.js';
import { KEY_TABLE, actionFor, footerEntries } from '../../src/ui/keys.js';
import { layoutFor } from '../../src/ui/layout.js';
import { Ring } from '../../src/ui/ring.js';
import { shortModel, flagText, printColumns, printLine, blockTier, costText, errorLevel, FLAG_TABLE, PROJECT_MAX, MODEL_MAX } from '../../src/ui/print-model.js';
import { stoppedExitCode } from '../../src/cli/lifecycle.js';
import { Flag, type CallRow } from '../../src/tape/row.js';
import { detailFields } from '../../src/ui/components/CallDetail.js';
import chalk from 'chalk';

const key = (over: Partial<Key> = {}): Key => ({ upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false, ...over });

describe('money on screen', () => {
  it('shows one call exact to the micro-dollar and never prints $0.00 for an unpriced call', () => {
    const m = new Money();
    assert.equal(m.cost(29_830), '$0.029830');
    assert.equal(m.cost(40), '$0.000040');
    assert.equal(m.cost(12_345_678), '$12.3457');
    assert.equal(m.cost(null), 'unpriced');
    assert.equal(m.short(114_000), '$0.114');
    assert.equal(m.rate(540_000), '$0.5400/h');
    assert.equal(m.amount(1_234_560_000), '$1,234.56');
  });
  it('converts for display only with --currency/--fx', () => {
    const m = new Money('eur', 0.9);
    assert.equal(m.amount(2_000_000), '€1.80');
    assert.equal(new Money('CHF', 1).amount(1_000_000), 'CHF 1.00');
  });
});

describe('the call opened whole', () => {
  const row = { id: 7, ts: 1796320800123, host: 'h', project: 'p', provider: 'anthropic', model: 'claude-opus-4-5', input_tok: 1, output_tok: 1, cached_tok: 0, cache_write_tok: 0, cache_write_1h_tok: 0, duration_ms: 5, cost_micros: 22_830, price_version: 'v', provider_cost_micros: null, status: 200, flags: 0, request_id: null, source: 'test' } as CallRow;
  const cost = (m: Money) => detailFields(row, 'utc', m).find(([k]) => k === 'cost')![1];
  it('gives the cost once in US dollars, and in dollars beside another display currency', () => {
    assert.equal(cost(new Money()), '$0.022830  (22830 micro-USD)');
    assert.equal(cost(new Money('EUR', 0.9)), `${new Money('EUR', 0.9).cost(22_830)}  (22830 micro-USD, $0.022830)`);
  });
});

describe('formatting', () => {
  it('formats stamps, tokens, durations and windows', () => {
    assert.equal(fmtTime(Date.UTC(2026, 11, 3, 18, 0, 0, 123)), '18:00:00.123Z');
    assert.deepEqual([fmtTokens(999), fmtTokens(5120), fmtTokens(120_000), fmtTokens(1_200_000)], ['999', '5.1k', '120k', '1.2M']);
    assert.deepEqual([fmtDuration(850), fmtDuration(2140), fmtDuration(65_000)], ['850ms', '2.1s', '65s']);
    assert.deepEqual([90, 300, 900, 3600].map(fmtWindow), ['90s', '5m', '15m', '1h']);
    assert.equal(fit('underwriting', 8), 'underwr…');
    assert.equal(fit('ab', 4, 'right'), '  ab');
  });
});

describe('model families', () => {
  it('names the family and its letter from the model name', () => {
    const cases: [string, string][] = [['claude-opus-4-5-20251101', 'O'], ['claude-sonnet-4-5', 'S'], ['claude-haiku-4-5', 'H'], ['gpt-5-2025-08-07', 'G'], ['o3-mini', 'G'], ['gemini-2.5-pro', 'M'], ['llama-3', 'x']];
    for (const [model, letter] of cases) assert.equal(FAMILY_LETTER[familyOf(model)], letter, model);
    assert.equal(shortModel('claude-sonnet-4-5-20250929'), 'sonnet-4-5');
    assert.equal(shortModel('gpt-5-2025-08-07'), 'gpt-5');
  });
  it('honours NO_COLOR (chalk does not by itself)', () => {
    const level = chalk.level;
    try {
      chalk.level = 3;
      const t = themeFromEnv({ NO_COLOR: '1' });
      assert.equal(t.model('opus')('O'), 'O');
      assert.equal(chalk.level, 0);
    } finally {
      chalk.level = level;
    }
    assert.equal(themeAt(1).model('opus')('O'), '\u001b[35mO\u001b[39m');
  });
});

describe('the ticker model', () => {
  const b = (ts: number, n: number, tallMs: number, cost: number | null, fam: TickBucket['tallFam'] = 'opus'): TickBucket => ({ i: Math.floor(ts / BUCKET_MS), n, tallMs, tallFam: fam, topCost: cost, topFam: fam });
  const now = 1_000_000_000;
  it('puts calls in time slots up to the NOW edge and keeps the tallest with a count', () => {
    const slots = toSlots([b(now - 89_500, 1, 100, 10), b(now - 1000, 2, 500, 20, 'gpt'), b(now - 900, 1, 2000, 5, 'haiku'), b(now - 200_000, 1, 1, 1)], now, 90_000, 90);
    assert.equal(slots.length, 90);
    assert.equal(slots[0]?.n, 1);
    const last = slots[89]!;
    assert.equal(last.n, 3);
    assert.equal(last.fam, 'haiku');
    assert.equal(last.tallMs, 2000);
    assert.equal(last.topCost, 20);
    assert.equal(slots.filter(Boolean).length, 2, 'calls outside the window are not drawn');
  });
  it('switches to a log scale when durations spread widely', () => {
    assert.equal(scaleFor([{ n: 1, tallMs: 100, fam: 'opus', topCost: 1, topFam: 'opus' }, { n: 1, tallMs: 30_000, fam: 'gpt', topCost: 1, topFam: 'gpt' }], 4).log, true);
    const lin = scaleFor([{ n: 1, tallMs: 1000, fam: 'opus', topCost: 1, topFam: 'opus' }, { n: 1, tallMs: 2000, fam: 'gpt', topCost: 1, topFam: 'gpt' }], 4);
    assert.equal(lin.log, false);
    assert.equal(lin.eighths(2000), 32);
    assert.equal(lin.eighths(1000), 16);
  });
  it('annotates the costliest calls in view', () => {
    const slots = toSlots([b(now - 80_000, 1, 100, 114_000), b(now - 40_000, 1, 100, 2_000, 'haiku'), b(now - 10_000, 1, 100, 50_000, 'gpt')], now, 90_000, 60);
    const t = tickerLines(slots, 4, 2, new Money(), themeAt(0));
    assert.ok(t.annotations.includes('opus $0.114') && t.annotations.includes('gpt $0.050'), t.annotations);
    assert.ok(!t.annotations.includes('haiku'));
    assert.equal(t.bars.length, 4);
    assert.equal(t.letters.trim().replace(/ +/g, ''), 'OHG');
  });
});

describe('the print model', () => {
  it('marks block prints in two tiers and shortens flags to fit', () => {
    assert.deepEqual([blockTier(null, [100, 1000]), blockTier(99, [100, 1000]), blockTier(100, [100, 1000]), blockTier(1000, [100, 1000])], [0, 0, 1, 2]);
    assert.equal(flagText(Flag.stream_cut, 8), 'cut');
    assert.equal(flagText(Flag.stream_cut | Flag.usage_missing, 4), 'cut+');
  });
  it('names every flag in one table of short, distinct names, most important first', () => {
    assert.deepEqual(FLAG_TABLE.map((f) => f.name).sort(), Object.keys(Flag).sort());
    assert.equal(new Set(FLAG_TABLE.map((f) => f.short)).size, FLAG_TABLE.length);
    for (const f of FLAG_TABLE) assert.ok(f.short.length <= 5, f.short);
    assert.equal(flagText(Flag.client_aborted, 6), 'abort');
    assert.equal(flagText(Flag.usage_missing, 6), 'nouse');
    assert.equal(flagText(Flag.client_aborted | Flag.usage_missing, 6), 'abort+');
    assert.equal(flagText(Flag.client_aborted | Flag.usage_missing, 11), 'abort,nouse');
    assert.equal(flagText(Flag.stream_error | Flag.stream_cut | Flag.usage_missing, 9), 'err,cut+');
  });
  it('gives the flags a whole short name and a + at 80 columns, and the model 12 columns', () => {
    const cols = printColumns(80);
    assert.equal(cols.find((c) => c.key === 'flags')!.width, 6);
    assert.equal(cols.find((c) => c.key === 'model')!.width, 12);
  });
  it('tells error rows apart: 5xx and stream errors are errors, 429 and other 4xx warnings', () => {
    assert.equal(errorLevel({ status: 200, flags: 0 }), null);
    assert.equal(errorLevel({ status: 200, flags: Flag.stream_cut }), null);
    assert.equal(errorLevel({ status: 200, flags: Flag.stream_error }), 'error');
    assert.equal(errorLevel({ status: 429, flags: 0 }), 'warn');
    assert.equal(errorLevel({ status: 499, flags: Flag.client_aborted }), 'warn');
    assert.equal(errorLevel({ status: 500, flags: 0 }), 'error');
    assert.equal(errorLevel({ status: 529, flags: 0 }), 'error');
  });
  it('shows a failed call that cost nothing as $0 (err), an unpriced one as unpriced, a free success as $0.000000', () => {
    const m = new Money();
    assert.equal(costText({ status: 429, cost_micros: 0 }, m), '$0 (err)');
    assert.equal(costText({ status: 500, cost_micros: null }, m), 'unpriced');
    assert.equal(costText({ status: 500, cost_micros: 1200 }, m), '$0.001200');
    assert.equal(costText({ status: 200, cost_micros: 0 }, m), '$0.000000');
    assert.equal(costText({ status: 429, cost_micros: 0 }, new Money('EUR', 0.9)), '€0 (err)');
  });
  it('marks an error row with ! in the gutter (before a block print mark), > when selected', () => {
    const style = { tz: 'utc' as const, money: new Money(), theme: themeAt(0), block: [100, 1000] as const };
    const base = { id: 1, ts: 0, host: 'h', project: 'p', provider: 'x', model: 'claude-opus-4-5', input_tok: 0, output_tok: 0, cached_tok: 0, cache_write_tok: 0, cache_write_1h_tok: 0, duration_ms: 5, cost_micros: 5000, price_version: 'v', provider_cost_micros: null, status: 500, flags: 0, request_id: null, source: 't' } as CallRow;
    const cols = printColumns(80);
    assert.equal(printLine(base, cols, style, false)[0], '!');
    assert.equal(printLine({ ...base, status: 200 }, cols, style, false)[0], '#');
    assert.equal(printLine(base, cols, style, true)[0], '>');
  });
  it('fits its columns in the width', () => {
    for (const w of [50, 60, 70, 80, 100, 140, 200, 300]) {
      for (const host of [false, true]) {
        const cols = printColumns(w, host);
        assert.ok(1 + cols.reduce((s, c) => s + c.width + 1, -1) <= w, `width ${w}`);
        for (const k of ['time', 'project', 'model', 'cost', 'status'] as const) assert.ok(cols.some((c) => c.key === k), `${k} at ${w}`);
        for (const c of cols) assert.ok(c.title.length <= c.width, `${c.title} whole at ${w}`);
      }
    }
    assert.deepEqual(printColumns(80).map((c) => c.key), ['time', 'project', 'model', 'in', 'out', 'cached', 'dur', 'cost', 'status', 'flags']);
    assert.deepEqual(printColumns(50).map((c) => c.key), ['time', 'project', 'model', 'cost', 'status', 'flags'], 'a narrow pane gives up tokens and duration, not the cost');
  });
  it('keeps names next to the figures on a wide terminal', () => {
    const cols = printColumns(200);
    assert.ok(cols.find((c) => c.key === 'project')!.width <= PROJECT_MAX);
    assert.ok(cols.find((c) => c.key === 'model')!.width <= MODEL_MAX);
  });
});

describe('the key table', () => {
  it('drives the footer: essential keys when narrow, every footer key when wide', () => {
    const narrow = footerEntries('live', true, false).map((e) => e.keys);
    assert.deepEqual(narrow, ['q', 'space', '/', 'w', '?']);
    const wide = footerEntries('live', false, true).map((e) => e.keys);
    for (const k of ['q', 'space', 'Enter', '/', 'Esc', 'w', 'u', '?']) assert.ok(wide.includes(k), k);
    assert.ok(footerEntries('paused', true, false).some((e) => e.label === 'resume'));
  });
  it('maps keys to actions by mode', () => {
    assert.equal(actionFor('live', 'q', key()), 'quit');
    assert.equal(actionFor('filter', 'q', key()), null, 'q is typed into the filter');
    assert.equal(actionFor('filter', 'c', key({ ctrl: true })), 'quit');
    assert.equal(actionFor('detail', '', key({ escape: true })), 'close');
    assert.equal(actionFor('live', '', key({ pageDown: true })), 'pageDown');
    assert.ok(KEY_TABLE.every((d) => d.help.length > 0));
  });
  it('reads keys that arrive together in one read one by one (a slow link, tmux send-keys)', () => {
    const ctx = { rows: [{ project: 'sales-tool', model: 'gpt-5', provider: 'openai' } as CallRow], arrived: 0, page: 10 };
    let s = applyKey(initialUi(90), 'u?', key(), ctx);
    assert.equal(s.tz, 'local');
    assert.equal(s.overlay, 'help');
    s = applyKey(initialUi(90), 'ww', key(), ctx);
    assert.equal(s.windowSeconds, 900);
    s = applyKey(initialUi(90), '/sales', key(), ctx);
    assert.equal(s.overlay, 'filter');
    assert.equal(s.draft, 'sales', 'what follows / is typed into the prompt');
    s = applyKey(s, 'q?', key(), ctx);
    assert.equal(s.draft, 'salesq?', 'inside the prompt a pasted string is text');
    assert.equal(applyKey(initialUi(90), ' q', key(), ctx).quit, true);
  });
  it('types into the filter and parses what was typed', () => {
    const ctx = { rows: [{ project: 'sales-tool', model: 'gpt-5', provider: 'openai' } as CallRow], arrived: 0, page: 10 };
    let s = reduce(initialUi(90), 'filter', ctx);
    for (const ch of 'sales') s = applyKey(s, ch, key(), ctx);
    s = applyKey(s, '', key({ return: true }), ctx);
    assert.deepEqual(s.filter, { filter: { project: ['*sales*'] }, label: 'project=*sales*' });
    assert.deepEqual(parseFilterText('gpt-5', ctx.rows)?.filter, { model: ['gpt-5'] });
    assert.deepEqual(parseFilterText('provider:open*', ctx.rows)?.filter, { provider: ['open*'] });
    assert.equal(parseFilterText('  ', ctx.rows), null);
    const hosts = [{ project: 'sales-tool', model: 'gpt-5', provider: 'openai', host: 'box-b' } as CallRow];
    assert.deepEqual(parseFilterText('host:box-*', hosts)?.filter, { host: ['box-*'] });
    assert.deepEqual(parseFilterText('h:box-a', hosts)?.filter, { host: ['box-a'] });
    assert.deepEqual(parseFilterText('box-b', hosts)?.filter, { host: ['box-b'] });
    assert.deepEqual([90, 300, 900, 3600].map(nextWindow), [300, 900, 3600, 90]);
  });
});

describe('layout', () => {
  it('keeps the frame one row shorter than the terminal and gives the print what is left', () => {
    const small = layoutFor(80, 24, 0);
    assert.equal(small.height, 23);
    assert.ok(small.narrow && !small.wide && !small.compact);
    assert.equal(1 + small.tickerHeight + small.panelHeight + 1 + small.printRows + 1, 23);
    assert.ok(small.printRows >= 6, `print rows at 80x24: ${small.printRows}`);
    const big = layoutFor(200, 50, 0);
    assert.ok(big.wide && big.printRows > 25 && big.tickerBars > small.tickerBars);
    assert.ok(layoutFor(50, 10, 0).compact);
  });
});

describe('the ring buffer', () => {
  it('keeps the newest items only', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    assert.deepEqual(r.newest(), [5, 4, 3]);
    assert.deepEqual(r.newest(2), [5, 4]);
  });
});

describe('exit codes', () => {
  it('ends a screen stopped by a signal with 128 + its number', () => {
    assert.equal(stoppedExitCode('SIGTERM'), 143);
    assert.equal(stoppedExitCode('SIGINT'), 130);
    assert.equal(stoppedExitCode('abort'), 0);
    assert.equal(stoppedExitCode(undefined), 0);
  });
});
