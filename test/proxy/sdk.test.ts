import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { spawnSync } from 'node:child_process';
import { startHarness, rowView, filesContaining, type Harness } from './harness.js';
import { compress, eventPieces, isSse, replaySet, startUpstream, type Coding, type Fixture } from './upstream.js';

const BIN = new URL('../../bin/tape', import.meta.url).pathname;

const CANARY = {
  anthropic: 'sk-ant-api03-CANARYanthropicKEY0123456789',
  openai: 'sk-proj-CANARYopenaiKEY0123456789abcdef',
  gemini: 'AIzaCANARYgeminiKEY0123456789abcdefgh',
};

type Chunking = 'whole' | 'tiny';

interface How {
  readonly chunking: Chunking;
  /** the upstream compresses the response body with this content coding */
  readonly coding?: Coding;
  /** the upstream cuts the connection after this many body bytes */
  readonly cutAfter?: number;
  /** base URLs from the environment (tape proxy --print-env) instead of from the code */
  readonly fromEnv?: boolean;
}

/** One rotation over no compression, gzip and brotli, so every fixture meets each over a run. */
const CODINGS: readonly (Coding | undefined)[] = [undefined, 'gzip', 'br'];

function sdks(h: Harness, headers: Record<string, string>, fromEnv: boolean) {
  return {
    anthropic: new Anthropic({ apiKey: CANARY.anthropic, maxRetries: 0, ...(fromEnv ? {} : { baseURL: `${h.base}/anthropic` }) }),
    openai: new OpenAI({ apiKey: CANARY.openai, maxRetries: 0, ...(fromEnv ? {} : { baseURL: `${h.base}/openai/v1` }) }),
    gemini: new GoogleGenAI({ apiKey: CANARY.gemini, httpOptions: { headers, ...(fromEnv ? {} : { baseUrl: `${h.base}/gemini` }) } }),
  };
}

async function callSdk(h: Harness, fx: Fixture, how: How): Promise<void> {
  const headers: Record<string, string> = { 'x-fixture': fx.name, 'x-chunking': how.chunking };
  if (!how.fromEnv) headers['x-tape-project'] = 'sdk-test';
  if (how.coding) headers['x-compress'] = how.coding;
  if (how.cutAfter !== undefined) headers['x-cut-after'] = String(how.cutAfter);
  const { anthropic, openai, gemini } = sdks(h, headers, how.fromEnv ?? false);
  const messages = [{ role: 'user' as const, content: 'Say hello' }];
  // the model the fixture's request names (the row falls back to it when the response names none)
  const asked = (fx.request as { model?: unknown } | undefined)?.model;
  const model = (otherwise: string) => (typeof asked === 'string' ? asked : otherwise);
  const geminiModel = (otherwise: string) => /\/models\/([^/:?]+)/.exec(fx.path ?? '')?.[1] ?? otherwise;
  const drain = async (s: AsyncIterable<unknown>) => {
    for await (const _ of s) void _;
  };
  switch (fx.sdk) {
    case 'anthropic.create':
      return void (await anthropic.messages.create({ model: model('claude-sonnet-4-5-20250929'), max_tokens: 64, messages }, { headers }));
    case 'anthropic.stream':
      return drain(await anthropic.messages.create({ model: model('claude-sonnet-4-5-20250929'), max_tokens: 64, messages, stream: true }, { headers }));
    case 'openai.chat':
      return void (await openai.chat.completions.create({ model: model('gpt-5-2025-08-07'), messages }, { headers }));
    case 'openai.chat.stream':
      return drain(await openai.chat.completions.create({ model: model('gpt-4o-mini'), messages, stream: true, stream_options: { include_usage: true } }, { headers }));
    case 'openai.chat.stream.nousage':
      return drain(await openai.chat.completions.create({ model: model('gpt-4o-mini'), messages, stream: true }, { headers }));
    case 'openai.responses':
      return void (await openai.responses.create({ model: model('o4-mini'), input: 'Say hello' }, { headers }));
    case 'openai.responses.stream':
      return drain(await openai.responses.create({ model: model('gpt-4.1'), input: 'Say hello', stream: true }, { headers }));
    case 'openai.embeddings':
      return void (await openai.embeddings.create({ model: model('text-embedding-3-small'), input: ['a', 'b'] }, { headers }));
    case 'gemini.generate':
      return void (await gemini.models.generateContent({ model: geminiModel('gemini-2.5-pro'), contents: 'Say hello' }));
    case 'gemini.stream':
      return drain(await gemini.models.generateContentStream({ model: geminiModel('gemini-2.5-flash'), contents: 'Say hello' }));
    default:
      throw new Error(`fixture ${fx.name}: unknown sdk call ${fx.sdk}`);
  }
}

function expected(fx: Fixture, seq: string, project = 'sdk-test'): Record<string, unknown> {
  const e: Record<string, unknown> = { ...fx.expect, project, provider: fx.route === 'gemini' ? 'google' : fx.route, source: 'proxy' };
  if (typeof e.request_id === 'string') e.request_id = e.request_id.replaceAll('__SEQ__', seq);
  return e;
}

for (const chunking of ['whole', 'tiny'] as const) {
  describe(`official SDKs through the proxy, upstream writing ${chunking === 'whole' ? 'each response in one write' : 'in 1-3 byte chunks'}, plain, gzip and brotli`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({}, await startUpstream(replaySet()));
    });
    after(() => h.close());

    it('gives one row per call whose tokens match the fixture token for token', async () => {
      const fixtures = [...h.upstream.fixtures.values()].filter((f) => f.sdk !== 'raw');
      for (const [i, fx] of fixtures.entries()) {
        // an SDK must throw on an error status, and may throw on an error inside a 200 stream
        const errorExpected = fx.status >= 400 || String(fx.expect.flags).includes('stream_error');
        const coding = CODINGS[(i + (chunking === 'tiny' ? 1 : 0)) % CODINGS.length];
        try {
          await callSdk(h, fx, { chunking, coding });
          assert.ok(!errorExpected || fx.status < 400, `${fx.name}: the SDK should have thrown`);
        } catch (err) {
          if (!errorExpected) throw err;
        }
        const rows = await h.waitRows(i + 1);
        const row = rows[i]!;
        const call = h.upstream.calls[i]!;
        assert.equal(call.fixture, fx.name);
        const want = expected(fx, call.seq);
        assert.deepEqual(rowView(row, Object.keys(want)), want, `${fx.name} (${chunking}, ${coding ?? 'identity'})`);
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

describe('official SDKs whose streams the upstream cuts halfway', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('see the cut, and each call gets its row with what was seen, flagged and unpriced', async () => {
    const streams = [...h.upstream.fixtures.values()].filter((f) => /\.stream/.test(f.sdk) && f.status === 200 && !String(f.expect.flags).includes('stream_error'));
    assert.ok(streams.length >= 4, 'a streaming fixture for each SDK');
    for (const [i, fx] of streams.entries()) {
      const coding = CODINGS[i % CODINGS.length];
      const sent = h.upstream.bytesFor(fx.name, '000000');
      // halfway, but past the first event (which names the call) once decoded: a compressed first
      // event can take more than half the bytes of a short stream
      const whole = coding ? await compress(sent, coding, isSse(fx)) : sent;
      const first = eventPieces(sent)[0]!;
      const cutAfter = Math.min(whole.length - 1, Math.max(Math.floor(whole.length / 2), coding ? (await compress(first, coding, true)).length : first.length));
      const n = h.rows().length;
      await assert.rejects(callSdk(h, fx, { chunking: 'whole', coding, cutAfter }), Error, `${fx.name}: the SDK must not see a clean end`);
      const row = (await h.waitRows(n + 1))[n]!;
      const call = h.upstream.calls[n]!;
      assert.equal(call.completed, false);
      const want = expected(fx, call.seq);
      const cut = { project: want.project, provider: want.provider, model: want.model, status: 200, request_id: want.request_id, cost_micros: null, flags: ['usage_missing', 'stream_cut'] };
      assert.deepEqual(rowView(row, Object.keys(cut)), cut, `${fx.name} (${coding ?? 'identity'})`);
      assert.ok(row.output_tok <= (fx.expect.output_tok as number), `${fx.name}: no more output than the whole stream`);
    }
    assert.equal(h.upstream.calls.length, streams.length, 'no retries');
  });
});

describe('official SDKs configured only by the lines tape proxy --print-env prints', () => {
  let h: Harness;
  const saved: Record<string, string | undefined> = {};
  let lines: string[] = [];
  before(async () => {
    h = await startHarness();
    const r = spawnSync(process.execPath, [BIN, 'proxy', '--print-env', '--port', String(h.proxy.port), '--project', 'from-env'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    lines = r.stdout.trim().split('\n');
    for (const line of lines) {
      const eq = line.indexOf('=');
      const [k, v] = [line.slice(0, eq), line.slice(eq + 1)];
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await h.close();
  });

  it('reach the proxy and are recorded under the printed project', async () => {
    assert.deepEqual(lines.map((l) => l.split('=')[0]), ['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL', 'GOOGLE_GEMINI_BASE_URL']);
    const pick = ['anthropic-message-json', 'openai-chat-stream-usage', 'openai-responses-json', 'gemini-stream-sse'];
    for (const [i, name] of pick.entries()) {
      const fx = h.upstream.fixtures.get(name)!;
      await callSdk(h, fx, { chunking: 'whole', fromEnv: true });
      const row = (await h.waitRows(i + 1))[i]!;
      const want = expected(fx, h.upstream.calls[i]!.seq, 'from-env');
      assert.deepEqual(rowView(row, Object.keys(want)), want, name);
    }
  });
});
