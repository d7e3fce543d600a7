import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadBill } from '../../src/reconcile/load.js';
import { amountMicros } from '../../src/reconcile/amount.js';
import { readCsv } from '../../src/reconcile/csv.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { TapeError, ExitCode } from '../../src/errors.js';
import { FIX, DEC1, DEC2, tempTape } from './helpers.js';

const prices = new PriceBook();
const sum = (xs: readonly { cost_micros: number }[]) => xs.reduce((s, x) => s + x.cost_micros, 0);

describe('each bill format, from fixtures written from the providers documentation', () => {
  it('reads the Anthropic cost report: amounts are decimal strings in cents', () => {
    const { bill } = loadBill(`${FIX}anthropic-cost-report.json`, null, prices);
    assert.equal(bill.format, 'anthropic-cost-report');
    assert.equal(bill.lines.length, 5);
    // 1000.00 + 234.5 cents = $12.345; 50.123456 cents = $0.50123456 -> 501235 micros (rounded once)
    assert.deepEqual(bill.lines.map((l) => l.cost_micros), [10_000_000, 2_345_000, 501_235, 300_000, 20_000_000]);
    assert.equal(bill.lines[3]!.model, '');
    assert.equal(bill.lines[0]!.start_ms, DEC1);
    assert.deepEqual(bill.coverage.map((c) => c.day), [DEC1, DEC2]);
  });

  it('reads the Anthropic Console cost CSV (BOM, CRLF, display model names, dollars)', () => {
    const { bill } = loadBill(`${FIX}anthropic-console-cost.csv`, null, prices);
    assert.equal(bill.format, 'anthropic-console-csv');
    assert.equal(sum(bill.lines), 32_846_235);
    assert.equal(bill.lines[0]!.model, 'Claude Sonnet 4.5');
    assert.equal(bill.lines[0]!.project, 'Default');
  });

  it('reads the OpenAI costs API: amount.value is a JSON number in dollars, read exactly (1.2e-05 too)', () => {
    const { bill } = loadBill(`${FIX}openai-costs.json`, null, prices);
    assert.equal(bill.format, 'openai-costs');
    assert.deepEqual(bill.lines.map((l) => l.cost_micros), [4_500_000, 12, 60_000]);
    assert.equal(bill.lines[0]!.model, 'gpt-4o-2024-08-06');
    assert.equal(bill.lines[0]!.project, 'proj_abc');
  });

  it('reads the OpenAI dashboard cost CSV (16-decimal amounts; a day without cost is a row of empty cells)', () => {
    const { bill } = loadBill(`${FIX}openai-dashboard-cost.csv`, null, prices);
    assert.equal(bill.format, 'openai-dashboard-csv');
    assert.equal(bill.lines.length, 3);
    assert.equal(sum(bill.lines), 4_560_012);
    assert.equal(bill.lines[2]!.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(bill.lines[0]!.project, 'default');
    // the empty row bills nothing but still speaks for its day: tape cost that day shows as tape-only
    assert.deepEqual(bill.coverage.map((c) => [c.provider, c.day]).sort(), [['openai', DEC1], ['openai', DEC2]]);
  });

  it('refuses an OpenAI dashboard row with a currency but no amount', () => {
    const t = tempTape();
    try {
      const p = t.file('half.csv', 'start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id\n1796083200,1796169600,2026-12-01T00:00:00+00:00,2026-12-02T00:00:00+00:00,,usd,"gpt-4o, input",\n');
      assert.throws(() => loadBill(p, null, prices), /half\.csv:2:75: amount_value: the amount is empty/);
    } finally {
      t.cleanup();
    }
  });

  it('reads an OpenAI costs amount.value given as a JSON string (as the API has been seen to send)', () => {
    const t = tempTape();
    try {
      const p = t.file('str.json', '{"object":"page","data":[{"object":"bucket","start_time":1796083200,"end_time":1796169600,"results":[{"object":"organization.costs.result","amount":{"value":"12.50","currency":"usd"},"line_item":"gpt-4o-2024-08-06, input","project_id":null}]}],"has_more":false,"next_page":null}');
      assert.deepEqual(loadBill(p, null, prices).bill.lines.map((l) => l.cost_micros), [12_500_000]);
    } finally {
      t.cleanup();
    }
  });

  it('reads the OpenRouter activity CSV, one row per generation, quoted commas, quotes and newlines', () => {
    const { bill } = loadBill(`${FIX}openrouter-activity.csv`, null, prices);
    assert.equal(bill.format, 'openrouter-csv');
    assert.deepEqual(bill.lines.map((l) => [l.request_id, l.cost_micros, l.line]), [['gen-001', 1500, 2], ['gen-002', 2100, 3], ['gen-003', 900, 4]]);
    assert.equal(bill.lines[0]!.start_ms, DEC1 + 9 * 3_600_000 + 123);
  });

  it('reads the OpenRouter activity API (GET /api/v1/activity): a UTC day x model, usage in dollars', () => {
    const { bill } = loadBill(`${FIX}openrouter-activity.json`, null, prices);
    assert.equal(bill.format, 'openrouter-activity');
    assert.deepEqual(bill.lines.map((l) => [l.start_ms, l.end_ms - l.start_ms, l.model, l.request_id, l.cost_micros]), [
      [DEC1, 86_400_000, 'openai/gpt-4.1-2025-04-14', null, 15_000],
      [DEC1, 86_400_000, 'anthropic/claude-4.5-haiku-20251001', null, 900],
      [DEC2, 86_400_000, 'openai/gpt-4.1-2025-04-14', null, 12],
    ]);
    assert.deepEqual(bill.coverage.map((c) => c.day), [DEC1, DEC2]);
  });

  it('reads OpenRouter generations as JSON', () => {
    const { bill } = loadBill(`${FIX}openrouter-generations.json`, null, prices);
    assert.equal(bill.format, 'openrouter-json');
    assert.deepEqual(bill.lines.map((l) => [l.request_id, l.cost_micros]), [['gen-001', 1500], ['gen-004', 3000]]);
  });

  it('reads the generic CSV', () => {
    const { bill } = loadBill(`${FIX}generic.csv`, null, prices);
    assert.equal(bill.format, 'generic-csv');
    assert.deepEqual(bill.lines.map((l) => [l.provider, l.model, l.project, l.cost_micros]), [['anthropic', 'claude-sonnet-4-5', 'sales-tool', 12_345_000], ['openai', 'gpt-4o', 'underwriting', 4_500_012]]);
  });

  it('prices usage reports (token counts) at list price, per row, never at a tier the sum of many calls reaches', () => {
    const a = loadBill(`${FIX}anthropic-usage-report.json`, null, prices).bill;
    assert.equal(a.format, 'anthropic-usage-report');
    // a day of calls adding up to 1M input tokens: Sonnet 4.5's base rates ($3 in, $15 out), not its >200k tier
    assert.equal(a.lines[0]!.cost_micros, 1_000_000 * 3 + 100_000 * 15);
    // context_window "200k-1M": the long-context rates ($6 in, $22.50 out)
    assert.equal(a.lines[1]!.cost_micros, 300_000 * 6 + (1000 * 45) / 2);
    // the batch tier: half, rounded once ($1.5 per MTok in, $7.5 out: 1500001.5 + 22.5 = 1500024 micros)
    assert.equal(a.lines[2]!.cost_micros, 1_500_024);
    const o = loadBill(`${FIX}openai-usage.json`, null, prices).bill;
    assert.equal(o.format, 'openai-usage');
    assert.equal(o.lines[0]!.cost_micros, prices.cost('openai', 'gpt-4o-2024-08-06', { input_tok: 1_000_000, output_tok: 0 }, new Date(DEC1)));
  });
});

describe('amounts are exact, and ambiguous ones are refused', () => {
  it('turns decimals into micro-USD without floating point, rounding once', () => {
    assert.equal(amountMicros('0.1'), 100_000);
    assert.equal(amountMicros('0.0000005'), 1);
    assert.equal(amountMicros('-0.0000005'), -1);
    assert.equal(amountMicros('123.45', 100), 1_234_500);
    assert.equal(amountMicros('0.00005', 100), 1); // half a micro in cents rounds away from zero once
    assert.equal(amountMicros('1.5e-05'), 15);
    assert.equal(amountMicros('$12.50'), 12_500_000);
  });
  it('refuses thousands separators, decimal commas, blanks and words', () => {
    for (const bad of ['1,234.50', '12,50', '', '  ', 'twelve', '1.2.3', '0x10', 'USD 5']) assert.equal(typeof amountMicros(bad), 'string', bad);
  });
});

describe('the CSV reader follows RFC 4180', () => {
  it('handles quoted commas, doubled quotes, CRLF and newlines inside quotes, and reports record lines', () => {
    const got: [number, string[]][] = [];
    readCsv('a,b\r\n"x, y","say ""hi"""\r\n"multi\r\nline",2\r\n', (r) => got.push([r.line, [...r.fields]]));
    assert.deepEqual(got, [[1, ['a', 'b']], [2, ['x, y', 'say "hi"']], [3, ['multi\r\nline', '2']]]);
  });
});

describe('a malformed bill is rejected whole, with FILE:LINE:COLUMN', () => {
  const t = tempTape();
  after(() => t.cleanup());
  const header = 'date,provider,model,project,cost_usd\n';
  const cases: [string, string, string, RegExp][] = [
    ['unterminated quote', 'bad1.csv', `${header}2026-12-01,anthropic,"claude,p,1\n`, /:2:22: a quoted field is never closed/],
    ['bare quote', 'bad2.csv', `${header}2026-12-01,anthropic,cla"ude,p,1\n`, /:2:25: a quote inside an unquoted field/],
    ['text after closing quote', 'bad3.csv', `${header}2026-12-01,"anthropic"x,m,p,1\n`, /:2:23: text after a closing quote/],
    ['too many fields', 'bad4.csv', `${header}2026-12-01,anthropic,m,p,1,9\n`, /:2:28: this record has 6 fields, the header has 5/],
    ['ambiguous amount', 'bad5.csv', `${header}2026-12-01,anthropic,m,p,1\n2026-12-01,anthropic,m,p,"1,234.50"\n`, /:3:26: cost_usd: the amount "1,234.50" is ambiguous/],
    ['not an amount', 'bad6.csv', `${header}2026-12-01,anthropic,m,p,abc\n`, /:2:26: cost_usd: "abc" is not a decimal amount/],
    ['bad date', 'bad7.csv', `${header}01/12/2026,anthropic,m,p,1\n`, /:2:1: "01\/12\/2026" is not a date/],
    ['empty provider', 'bad8.csv', `${header}2026-12-01,,m,p,1\n`, /:2:12: provider is empty/],
    ['not USD', 'bad9.csv', `date,provider,model,cost_usd,currency\n2026-12-01,openai,m,1,EUR\n`, /:2:23: currency "EUR" is not USD/],
    ['unknown header', 'bad10.csv', 'when,what\n1,2\n', /:1:1: unknown CSV export/],
    ['JSON syntax', 'bad11.json', '{"data": [\n  {"starting_at": "2026-12-01T00:00:00Z",}\n]}', /:2:42: expected a field name/],
    ['JSON amount', 'bad12.json', '{"data": [{"starting_at": "2026-12-01T00:00:00Z", "ending_at": "2026-12-02T00:00:00Z",\n "results": [\n   {"amount": "1,5", "currency": "USD"}]}]}', /:3:4: "amount": the amount "1,5" is ambiguous/],
    ['JSON currency', 'bad13.json', '{"object":"page","data":[{"object":"bucket","start_time":1796083200,"end_time":1796169600,"results":[{"object":"organization.costs.result","amount":{"value":1,"currency":"eur"}}]}]}', /:1:102: currency "eur" is not USD/],
    ['generation without id', 'bad14.json', '{"data": [{"total_cost": 0.1, "created_at": "2026-12-01T00:00:00Z"}]}', /:1:11: "id" \(the generation id\) is missing/],
  ];
  for (const [name, file, text, re] of cases) {
    it(`rejects ${name}`, () => {
      const p = t.file(file, text);
      assert.throws(
        () => loadBill(p, null, prices),
        (e: unknown) => e instanceof TapeError && e.exitCode === ExitCode.badInput && e.message.startsWith(`${p}:`) && re.test(e.message),
      );
    });
  }
});

describe('model names are matched across the API and the Console', () => {
  it('ignores date suffixes, case, separators and word order, but not version order', async () => {
    const { modelKey } = await import('../../src/reconcile/amount.js');
    assert.equal(modelKey('anthropic', 'Claude Haiku 4.5'), modelKey('anthropic', 'claude-haiku-4-5-20251001'));
    assert.equal(modelKey('anthropic', 'Claude Haiku 3.5'), modelKey('anthropic', 'claude-3-5-haiku-20241022'));
    assert.equal(modelKey('openai', 'gpt-4o-2024-08-06'), modelKey('openai', 'gpt-4o'));
    assert.notEqual(modelKey('openai', 'gpt-4o'), modelKey('openai', 'gpt-4o-mini'));
    assert.notEqual(modelKey('anthropic', 'claude-opus-4-1'), modelKey('anthropic', 'claude-opus-1-4'));
  });

  it('meets aliases with their snapshots', async () => {
    const { modelKey } = await import('../../src/reconcile/amount.js');
    const same = (p: string, a: string, b: string) => assert.equal(modelKey(p, a), modelKey(p, b), `${a} = ${b}`);
    same('anthropic', 'claude-sonnet-4-0', 'claude-sonnet-4-20250514');
    same('anthropic', 'Claude Sonnet 4', 'claude-sonnet-4-0');
    same('anthropic', 'claude-opus-4-0', 'claude-opus-4-20250514');
    same('anthropic', 'claude-3-7-sonnet-latest', 'claude-3-7-sonnet-20250219');
    same('anthropic', 'Claude Sonnet 3.5 (New)', 'claude-3-5-sonnet-20241022');
    same('openai', 'gpt-4-0613', 'gpt-4');
    same('openai', 'gpt-3.5-turbo-0125', 'gpt-3.5-turbo');
    same('openrouter', 'anthropic/claude-haiku-4.5', 'anthropic/claude-4.5-haiku-20251001');
    assert.notEqual(modelKey('anthropic', 'claude-opus-4-1'), modelKey('anthropic', 'claude-opus-4-0'));
    assert.notEqual(modelKey('anthropic', 'claude-opus-4-1-20250805'), modelKey('anthropic', 'claude-opus-4-20250514'));
    assert.notEqual(modelKey('openai', 'chatgpt-4o-latest'), modelKey('openai', 'gpt-4o'));
  });
});
