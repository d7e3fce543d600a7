import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { PriceBook } from '../../src/pricing/price-book.js';
import { Overrides } from '../../src/pricing/overrides.js';
import { divRound, microsToUsd, decimalToMicros, usdCents } from '../../src/pricing/micros.js';
import { tempDir } from '../helpers/tape.js';

const AT = new Date(Date.UTC(2026, 11, 3, 12));

/** The library's float total, in micro-USD, rounded half away from zero. */
function library(provider: string, model: string, u: { input: number; output: number; read?: number; write?: number; write1h?: number }): number {
  const r = calcPrice(
    { input_tokens: u.input, output_tokens: u.output, cache_read_tokens: u.read ?? 0, cache_write_tokens: u.write ?? 0, cache_write_1h_tokens: u.write1h ?? 0 },
    model,
    { providerId: provider, timestamp: AT },
  );
  assert.ok(r, `library knows ${provider}/${model}`);
  return Math.round(r.total_price * 1e6);
}

function ours(book: PriceBook, provider: string, model: string, u: { input: number; output: number; read?: number; write?: number; write1h?: number }): number | null {
  return book.cost(provider, model, { input_tok: u.input, output_tok: u.output, cached_tok: u.read, cache_write_tok: u.write, cache_write_1h_tok: u.write1h }, AT);
}

describe('prices match the price library to the micro-dollar', () => {
  const book = new PriceBook();
  const cases: [string, string, { input: number; output: number; read?: number; write?: number; write1h?: number }][] = [
    ['anthropic', 'claude-opus-4-5', { input: 5120, output: 830, read: 4096 }],
    ['anthropic', 'claude-opus-4-5-20251101', { input: 20_000, output: 1_000, read: 2_000, write: 12_000 }],
    ['anthropic', 'claude-opus-4-5', { input: 30_000, output: 10, write: 20_000, write1h: 8_000 }],
    ['anthropic', 'claude-haiku-4-5', { input: 1_234_567, output: 89_012, read: 1_000_000, write: 200_000, write1h: 100_000 }],
    ['anthropic', 'claude-sonnet-4-5', { input: 150_000, output: 2_000, read: 100_000 }],
    // above 200k input tokens the whole call moves to the long-context tier
    ['anthropic', 'claude-sonnet-4-5', { input: 250_000, output: 2_000, read: 100_000, write: 50_000, write1h: 10_000 }],
    ['google', 'gemini-2.5-pro', { input: 199_999, output: 5_000 }],
    ['google', 'gemini-2.5-pro', { input: 200_001, output: 5_000, read: 100_000 }],
    // no cache-write price: writes are priced as plain input, as the library does
    ['openai', 'gpt-5', { input: 300_000, output: 1_000, read: 1_000, write: 2_000 }],
    ['openai', 'gpt-4o-mini', { input: 1_800, output: 180, read: 600 }],
    ['openai', 'text-embedding-3-small', { input: 12_345, output: 0 }],
  ];
  for (const [p, m, u] of cases) {
    it(`${p}/${m} ${JSON.stringify(u)}`, () => {
      assert.equal(ours(book, p, m, u), library(p, m, u));
    });
  }

  it('costs a cache read less than an uncached token, and a 1-hour write more than a 5-minute one', () => {
    const plain = ours(book, 'anthropic', 'claude-opus-4-5', { input: 1_000_000, output: 0 })!;
    const read = ours(book, 'anthropic', 'claude-opus-4-5', { input: 1_000_000, output: 0, read: 1_000_000 })!;
    const w5 = ours(book, 'anthropic', 'claude-opus-4-5', { input: 1_000_000, output: 0, write: 1_000_000 })!;
    const w1h = ours(book, 'anthropic', 'claude-opus-4-5', { input: 1_000_000, output: 0, write: 1_000_000, write1h: 1_000_000 })!;
    assert.deepEqual([plain, read, w5, w1h], [5_000_000, 500_000, 6_250_000, 10_000_000]);
  });
});

describe('unknown models', () => {
  it('are never priced at zero', () => {
    const book = new PriceBook();
    assert.equal(ours(book, 'anthropic', 'claude-imaginary-9', { input: 100, output: 100 }), null);
    assert.equal(book.price('acme', 'house-model', { input_tok: 1, output_tok: 1 }, AT.getTime()).cost_micros, null);
  });
});

describe('models the library lists as free', () => {
  it('cost 0, as calcPrice says, and models priced in other units than tokens stay unpriced', () => {
    const book = new PriceBook();
    const u = { input: 1_500, output: 700, read: 300, write: 100, write1h: 50 };
    for (const [p, m] of [['openrouter', 'qwen/qwq-32b:free'], ['openai', 'moderation'], ['google', 'gemma-3']] as const) {
      assert.equal(library(p, m, u), 0);
      assert.equal(ours(book, p, m, u), 0, `${p}/${m}`);
    }
    // whisper is priced per audio hour: nothing to say about a row of tokens
    assert.equal(ours(book, 'openai', 'whisper-1', u), null);
  });
});

describe('the overrides file', () => {
  const d = tempDir();
  after(() => d.close());

  it('prices a model the library lacks, applies discounts, and names itself in the version', () => {
    const p = join(d.dir, 'overrides.json');
    writeFileSync(p, JSON.stringify({
      models: { 'acme/house-*': { input_mtok: 1, output_mtok: 2 }, 'anthropic/claude-opus-4-5': { output_mtok: 20 } },
      discounts: { anthropic: 0.1, 'openai/gpt-5*': 0.25 },
    }));
    const o = Overrides.load(p);
    const book = new PriceBook(o);
    assert.match(book.version, /^genai-prices@\d+\.\d+\.\d+\+overrides:[0-9a-f]{8}$/);
    assert.equal(ours(book, 'acme', 'house-small', { input: 1_000_000, output: 1_000_000 }), 3_000_000);
    // output override 20/MTok, input stays at the library's 5/MTok, then 10% off
    assert.equal(ours(book, 'anthropic', 'claude-opus-4-5', { input: 1_000_000, output: 1_000_000 }), 22_500_000);
    assert.equal(ours(book, 'openai', 'gpt-5', { input: 1_000_000, output: 0 }), 937_500);
  });

  it('rejects unknown fields and prices with a clear message', () => {
    assert.throws(() => new Overrides({ model: {} }, '{}'), /unknown field "model"/);
    assert.throws(() => new Overrides({ models: { x: { input_usd: 1 } } }, '{}'), /unknown price "input_usd"/);
    assert.throws(() => new Overrides({ discounts: { x: 1.5 } }, '{}'), /fraction/);
  });
});

describe('money arithmetic', () => {
  it('rounds half away from zero', () => {
    assert.deepEqual([divRound(5, 2), divRound(-5, 2), divRound(4, 3), divRound(-4, 3), divRound(7, 7)], [3, -3, 1, -1, 1]);
  });
  it('formats micro-USD exactly', () => {
    assert.deepEqual([microsToUsd(29830), microsToUsd(0), microsToUsd(-1), microsToUsd(12_345_678_901)], ['0.029830', '0.000000', '-0.000001', '12345.678901']);
  });
  it('shows dollars and cents rounded half away from zero, with thousands separators (never truncated)', () => {
    assert.deepEqual([usdCents(70_904_615_384), usdCents(5_000_000_000), usdCents(4_999), usdCents(5_000), usdCents(-1_234_565_000), usdCents(0)],
      ['$70,904.62', '$5,000.00', '$0.00', '$0.01', '-$1,234.57', '$0.00']);
  });
  it('parses decimal strings without floating point', () => {
    assert.equal(decimalToMicros('0.1'), 100_000);
    assert.equal(decimalToMicros('12345678.123456'), 12_345_678_123_456);
    assert.equal(decimalToMicros('-0.0000005'), -1);
    assert.equal(decimalToMicros('0.0000004'), 0);
    assert.equal(decimalToMicros('150', 100), 1_500_000);
    assert.equal(decimalToMicros('1e-3'), null);
    assert.equal(decimalToMicros(''), null);
  });
});
