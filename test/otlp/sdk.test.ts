import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import { harness, sdk, until, type Flavour, type Harness } from './helpers.js';
import { PriceBook } from '../../src/pricing/price-book.js';

const START: HrTime = [1796320800, 123456789]; // 2026-12-03T18:00:00.123456789Z
const END: HrTime = [1796320802, 263456789]; // 2140 ms later

/** Sends one span per attribute set through the real SDK and waits until the exporter is done. */
async function send(h: Harness, flavour: Flavour, spans: Attributes[], opts: { gzip?: boolean; batch?: boolean; error?: boolean } = {}) {
  const { provider, tracer } = sdk(h.url, flavour, opts);
  for (const attrs of spans) {
    const span = tracer.startSpan('chat', { startTime: START, attributes: attrs });
    if (opts.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end(END);
  }
  await provider.forceFlush();
  await provider.shutdown();
}

for (const flavour of ['json', 'protobuf'] as const) {
  describe(`the real OpenTelemetry SDK exporting OTLP/HTTP ${flavour}`, () => {
    let h: Harness;
    before(async () => {
      h = await harness();
    });
    after(() => h.close());

    it('puts a GenAI span on the tape with its exact tokens, time, duration, project, host and price', async () => {
      await send(h, flavour, [
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4-5',
          'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
          'gen_ai.response.id': `msg_${flavour}_01`,
          'gen_ai.usage.input_tokens': 5120,
          'gen_ai.usage.output_tokens': 830,
          'gen_ai.usage.cache_read.input_tokens': 4096,
          'gen_ai.usage.cache_creation.input_tokens': 512,
        },
      ]);
      const row = await until(() => h.rows().find((r) => r.request_id === `msg_${flavour}_01`));
      assert.equal(row!.ts, 1796320800123);
      assert.equal(row!.duration_ms, 2140);
      assert.equal(row!.provider, 'anthropic');
      assert.equal(row!.model, 'claude-sonnet-4-5-20250929');
      assert.deepEqual([row!.input_tok, row!.output_tok, row!.cached_tok, row!.cache_write_tok], [5120, 830, 4096, 512]);
      assert.equal(row!.project, 'sales-tool');
      assert.equal(row!.host, 'box-7');
      assert.equal(row!.status, 200);
      assert.equal(row!.source, 'otlp');
      const expected = new PriceBook().cost('anthropic', 'claude-sonnet-4-5-20250929', row!, new Date(row!.ts));
      assert.ok(expected !== null && expected > 0);
      assert.equal(row!.cost_micros, expected);
    });

    it("reads tape's own llm.* attributes, gzip-compressed, through a batch processor", async () => {
      const spans = [1, 2, 3].map((i) => ({
        'llm.model': 'gpt-4o-mini',
        'llm.provider': 'openai',
        'llm.project': 'underwriting',
        'llm.input_tokens': 1000 * i,
        'llm.output_tokens': 10 * i,
        'llm.cached_tokens': 100 * i,
        'llm.request_id': `chatcmpl-${flavour}-${i}`,
      }));
      await send(h, flavour, spans, { gzip: true, batch: true });
      const rows = await until(() => {
        const r = h.rows().filter((x) => x.request_id?.startsWith(`chatcmpl-${flavour}-`));
        return r.length === 3 && r;
      });
      assert.deepEqual(
        rows.map((r) => [r.project, r.provider, r.model, r.input_tok, r.output_tok, r.cached_tok]),
        [1, 2, 3].map((i) => ['underwriting', 'openai', 'gpt-4o-mini', 1000 * i, 10 * i, 100 * i]),
      );
    });

    it('reads the deprecated GenAI names and marks a failed call with its status, unpriced when it reported no usage', async () => {
      await send(h, flavour, [{ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.prompt_tokens': 77, 'gen_ai.usage.completion_tokens': 7 }]);
      await send(h, flavour, [{ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'error.type': 'rate_limit_error', 'llm.request_id': `fail-${flavour}` }], { error: true });
      const rows = await until(() => {
        const r = h.rows().filter((x) => x.model === 'gpt-4o');
        return r.length === 2 && r;
      });
      assert.deepEqual([rows[0]!.input_tok, rows[0]!.output_tok, rows[0]!.status, rows[0]!.flags], [77, 7, 200, 0]);
      assert.ok(rows[0]!.request_id!.startsWith('otlp:'));
      assert.deepEqual([rows[1]!.status, rows[1]!.flags, rows[1]!.cost_micros, rows[1]!.request_id], [429, 1, null, `fail-${flavour}`]);
    });

    it('ignores spans that are not model calls', async () => {
      const before = h.rows().length;
      const seen = h.receiver.stats.spans;
      await send(h, flavour, [{ 'http.request.method': 'GET', 'url.full': 'https://example.com/' }, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 5 }]);
      await until(() => h.receiver.stats.spans >= seen + 2);
      assert.equal(h.rows().length, before);
    });
  });
}
