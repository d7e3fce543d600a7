import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startHarness, rowView, filesContaining, type Harness } from './harness.js';
import type { Fixture } from './upstream.js';

const CANARY = {
  anthropic: 'sk-ant-api03-CANARYanthropicKEY0123456789',
  openai: 'sk-proj-CANARYopenaiKEY0123456789abcdef',
  gemini: 'AIzaCANARYgeminiKEY0123456789abcdefgh',
};

type Chunking = 'whole' | 'tiny';

async function callSdk(h: Harness, fx: Fixture, chunking: Chunking, gzip: boolean): Promise<void> {
  const headers: Record<string, string> = { 'x-fixture': fx.name, 'x-chunking': chunking, 'x-tape-project': 'sdk-test' };
  if (gzip) headers['x-gzip'] = '1';
  const anthropic = new Anthropic({ apiKey: CANARY.anthropic, baseURL: `${h.base}/anthropic`, maxRetries: 0 });
  const openai = new OpenAI({ apiKey: CANARY.openai, baseURL: `${h.base}/openai/v1`, maxRetries: 0 });
  const gemini = new GoogleGenAI({ apiKey: CANARY.gemini, httpOptions: { baseUrl: `${h.base}/gemini`, headers } });
  const messages = [{ role: 'user' as const, content: 'Say hello' }];
  const drain = async (s: AsyncIterable<unknown>) => {
    for await (const _ of s) void _;
  };
  switch (fx.sdk) {
    case 'anthropic.create':
      return void (await anthropic.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages }, { headers }));
    case 'anthropic.stream':
      return drain(await anthropic.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages, stream: true }, { headers }));
    case 'openai.chat':
      return void (await openai.chat.completions.create({ model: 'gpt-5-2025-08-07', messages }, { headers }));
    case 'openai.chat.stream':
      return drain(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } }, { headers }));
    case 'openai.chat.stream.nousage':
      return drain(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { headers }));
    case 'openai.responses':
      return void (await openai.responses.create({ model: 'o4-mini', input: 'Say hello' }, { headers }));
    case 'openai.responses.stream':
      return drain(await openai.responses.create({ model: 'gpt-4.1', input: 'Say hello', stream: true }, { headers }));
    case 'openai.embeddings':
      return void (await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }, { headers }));
    case 'gemini.generate':
      return void (await gemini.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Say hello' }));
    case 'gemini.stream':
      return drain(await gemini.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Say hello' }));
    default:
      throw new Error(`fixture ${fx.name}: unknown sdk call ${fx.sdk}`);
  }
}

function expected(fx: Fixture, seq: string): Record<string, unknown> {
  const e: Record<string, unknown> = { ...fx.expect, project: 'sdk-test', provider: fx.route === 'gemini' ? 'google' : fx.route, source: 'proxy' };
  if (typeof e.request_id === 'string') e.request_id = e.request_id.replaceAll('__SEQ__', seq);
  return e;
}

for (const chunking of ['whole', 'tiny'] as const) {
  describe(`official SDKs through the proxy, upstream writing ${chunking === 'whole' ? 'each response in one write' : 'in 1-3 byte chunks'}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(() => h.close());

    it('gives one row per call whose tokens match the fixture token for token', async () => {
      const fixtures = [...h.upstream.fixtures.values()].filter((f) => f.sdk !== 'raw');
      for (const [i, fx] of fixtures.entries()) {
        const errorExpected = fx.status >= 400 || fx.name.includes('error');
        try {
          await callSdk(h, fx, chunking, i % 3 === 2);
          assert.ok(!errorExpected || fx.status < 400, `${fx.name}: the SDK should have thrown`);
        } catch (err) {
          if (!errorExpected) throw err;
        }
        const rows = await h.waitRows(i + 1);
        const row = rows[i]!;
        const call = h.upstream.calls[i]!;
        assert.equal(call.fixture, fx.name);
        const want = expected(fx, call.seq);
        assert.deepEqual(rowView(row, Object.keys(want)), want, `${fx.name} (${chunking})`);
        if (!('cost_micros' in fx.expect)) assert.ok(row.cost_micros !== null, `${fx.name}: priced at insertion`);
      }
      assert.equal(h.rows().length, fixtures.length);
      assert.equal(h.upstream.calls.length, fixtures.length, 'no retries, no extra calls');
    });

    it('forwards the API keys to the upstream and writes them nowhere', () => {
      const seen = h.upstream.calls.map((c) => `${c.headers['x-api-key'] ?? ''} ${c.headers.authorization ?? ''} ${c.headers['x-goog-api-key'] ?? ''}`).join(' ');
      for (const k of Object.values(CANARY)) {
        assert.ok(seen.includes(k), `upstream received ${k.slice(0, 8)}…`);
        assert.deepEqual(filesContaining(h.dir, k), []);
        assert.ok(!h.logs.join('\n').includes(k));
      }
      for (const c of h.upstream.calls) {
        assert.equal(c.headers['x-tape-project'], undefined, 'x-tape-project is stripped');
        assert.equal(c.host, `127.0.0.1:${h.upstream.port}`);
      }
    });

    it('keeps no prompt or completion text in its files', () => {
      for (const text of ['Say hello', 'Bonjour', 'Grüß', 'Voilà']) assert.deepEqual(filesContaining(h.dir, text), [], text);
    });
  });
}
