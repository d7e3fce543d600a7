import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJson } from '../../src/otlp/decode-json.js';
import { longNanos, type DecodedRequest } from '../../src/otlp/decode.js';
import { decodeProtobuf } from '../../src/otlp/wire.js';
import { FILTER, spanToCall, cleanText } from '../../src/otlp/spans.js';
import { ExportTraceServiceRequest } from '../../src/otlp/schema.js';
import { jsonRequest, protobufOf } from './helpers.js';
import type { NewCall } from '../../src/tape/row.js';

const D = { project: 'fallback', priceVersion: 'pv-test' };

function decode(req: unknown): DecodedRequest {
  return decodeJson(Buffer.from(JSON.stringify(req)), FILTER);
}

/** The row (or rejection) for one span with these attributes. */
function one(attrs: Record<string, unknown>, resource: Record<string, string> = {}) {
  const d = decode(jsonRequest([{ attrs }], resource));
  assert.equal(d.resources.length, 1, 'the span should be a model call');
  return spanToCall(d.resources[0]!.spans[0]!, d.resources[0]!, D);
}

function call(attrs: Record<string, unknown>, resource: Record<string, string> = {}): NewCall {
  const out = one(attrs, resource);
  assert.ok(out.call, `rejected: ${out.reject}`);
  return out.call;
}

describe('token counts follow what each convention says input tokens include', () => {
  it('keeps input as given when the cache counts fit inside it (GenAI: input includes cached)', () => {
    const c = call({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.cache_read.input_tokens': 800, 'gen_ai.usage.output_tokens': 5 });
    assert.deepEqual([c.input_tok, c.cached_tok, c.output_tok], [1000, 800, 5]);
  });

  it("adds cache counts that cannot be inside input (an Anthropic-style uncached count)", () => {
    const c = call({
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-opus-4-5',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.cache_read_input_tokens': 4096,
      'gen_ai.usage.cache_creation_input_tokens': 1024,
      'gen_ai.usage.output_tokens': 300,
    });
    assert.deepEqual([c.input_tok, c.cached_tok, c.cache_write_tok], [12 + 4096 + 1024, 4096, 1024]);
  });

  it('adds reasoning tokens only when they cannot be inside output', () => {
    assert.equal(call({ 'gen_ai.request.model': 'o3', 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.reasoning.output_tokens': 400 }).output_tok, 500);
    assert.equal(call({ 'gen_ai.request.model': 'gemini-2.5-pro', 'gen_ai.usage.output_tokens': 100, 'gen_ai.usage.reasoning.output_tokens': 400 }).output_tok, 500);
  });

  it('lets a reported total say what input and output left out', () => {
    const out = (attrs: Record<string, unknown>) => {
      const c = call(attrs);
      return [c.input_tok, c.output_tok];
    };
    // Gemini: completion copied from candidatesTokenCount, the total counts the thoughts too
    assert.deepEqual(out({ 'gen_ai.system': 'Google', 'gen_ai.request.model': 'gemini-2.5-pro', 'gen_ai.usage.prompt_tokens': 100, 'gen_ai.usage.completion_tokens': 20, 'llm.usage.total_tokens': 620 }), [100, 520]);
    assert.deepEqual(out({ 'gen_ai.request.model': 'gemini-2.5-flash', 'llm.token_count.prompt': 10, 'llm.token_count.completion': 5, 'llm.token_count.total': 40, 'openinference.span.kind': 'LLM' }), [10, 30]);
    // reasoning smaller than output but left out of it: the total is input + output + reasoning
    assert.deepEqual(out({ 'gen_ai.request.model': 'o3', 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.reasoning_tokens': 400, 'gen_ai.usage.total_tokens': 950 }), [50, 900]);
    // cache counts smaller than input but left out of it
    assert.deepEqual(out({ 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.usage.input_tokens': 5000, 'gen_ai.usage.cache_read.input_tokens': 3000, 'gen_ai.usage.output_tokens': 10, 'gen_ai.usage.total_tokens': 8010 }), [8000, 10]);
    // a total that agrees, or an unexplained gap from another provider, changes nothing
    assert.deepEqual(out({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'o3', 'gen_ai.usage.prompt_tokens': 50, 'gen_ai.usage.completion_tokens': 500, 'gen_ai.usage.reasoning_tokens': 400, 'llm.usage.total_tokens': 550 }), [50, 500]);
    assert.deepEqual(out({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.prompt_tokens': 50, 'gen_ai.usage.completion_tokens': 5, 'llm.usage.total_tokens': 70 }), [50, 5]);
  });

  it("reads the Vercel AI SDK's ai.usage.* cache and reasoning counts beside its gen_ai.* names", () => {
    // v5 with Anthropic: inputTokens leaves the cache reads out, cachedInputTokens has them
    const v5 = call({ 'gen_ai.system': 'anthropic.messages', 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 7, 'ai.usage.cachedInputTokens': 9000 });
    assert.deepEqual([v5.provider, v5.input_tok, v5.cached_tok], ['anthropic', 9020, 9000]);
    // v6: inputTokens is the whole input, inputTokenDetails a breakdown of it
    const v6 = call({
      'gen_ai.system': 'anthropic.messages', 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.usage.input_tokens': 9520, 'gen_ai.usage.output_tokens': 7,
      'ai.usage.inputTokenDetails.cacheReadTokens': 9000, 'ai.usage.inputTokenDetails.cacheWriteTokens': 500, 'ai.usage.totalTokens': 9527,
    });
    assert.deepEqual([v6.input_tok, v6.cached_tok, v6.cache_write_tok, v6.output_tok], [9520, 9000, 500, 7]);
  });

  it('reads OpenInference llm.token_count.* and tape llm.* 1-hour cache writes', () => {
    const c = call({ 'llm.model_name': 'gpt-4.1', 'llm.provider': 'openai', 'llm.token_count.prompt': 50, 'llm.token_count.completion': 9, 'openinference.span.kind': 'LLM' });
    assert.deepEqual([c.model, c.provider, c.input_tok, c.output_tok], ['gpt-4.1', 'openai', 50, 9]);
    const w = call({ 'llm.model': 'claude-sonnet-4-5', 'llm.input_tokens': 3000, 'llm.cache_write_tokens': 2000, 'llm.cache_write_1h_tokens': 1500 });
    assert.deepEqual([w.input_tok, w.cache_write_tok, w.cache_write_1h_tok, w.provider], [3000, 2000, 1500, 'anthropic']);
  });

  it('accepts counts sent as decimal strings or whole doubles, and rejects anything else', () => {
    assert.equal(call({ 'llm.model': 'x', 'llm.input_tokens': '42', 'llm.output_tokens': 3.0 }).input_tok, 42);
    assert.match(one({ 'llm.model': 'x', 'llm.input_tokens': 1796320800123456 }).reject ?? '', /implausibly large/);
    for (const bad of ['42.5', '-1', 'lots', 1.5, -3]) {
      assert.match(one({ 'llm.model': 'x', 'llm.input_tokens': bad }).reject ?? '', /llm\.input_tokens is not a whole number/);
    }
  });

  it('flags a span without usage and leaves it unpriced (never free)', () => {
    const c = call({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' });
    assert.deepEqual([c.flags, c.cost_micros, c.price_version, c.input_tok], [1, null, 'pv-test', 0]);
  });
});

describe('provider, project, host, status and ids', () => {
  it('normalises provider names and guesses one from the model when none is named', () => {
    const p = (attrs: Record<string, unknown>) => call({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1, ...attrs }).provider;
    assert.equal(p({ 'gen_ai.provider.name': 'gcp.vertex_ai' }), 'google');
    assert.equal(p({ 'gen_ai.system': 'az.ai.openai' }), 'azure');
    assert.equal(p({ 'gen_ai.provider.name': 'aws.bedrock' }), 'aws');
    assert.equal(p({ 'gen_ai.provider.name': 'x_ai' }), 'x-ai');
    assert.equal(p({ 'gen_ai.provider.name': 'SomethingNew' }), 'somethingnew');
    assert.equal(call({ 'gen_ai.request.model': 'gemini-2.5-flash', 'gen_ai.usage.input_tokens': 1 }).provider, 'google');
    assert.equal(call({ 'gen_ai.request.model': 'mystery', 'gen_ai.usage.input_tokens': 1 }).provider, 'unknown');
  });

  it('takes the project from the span, then the resource, then service.name, then the default', () => {
    const base = { 'llm.model': 'gpt-4o', 'llm.input_tokens': 1 };
    assert.equal(call({ ...base, 'llm.project': 'span-p' }, { 'llm.project': 'res-p', 'service.name': 'svc' }).project, 'span-p');
    assert.equal(call(base, { 'llm.project': 'res-p', 'service.name': 'svc' }).project, 'res-p');
    assert.equal(call(base, { 'service.name': 'svc' }).project, 'svc');
    assert.equal(call(base, { 'service.name': 'unknown_service:node' }).project, 'fallback');
    assert.equal(call(base, { 'host.name': 'box-9' }).host, 'box-9');
    assert.equal(call(base).host, undefined);
  });

  it('takes the status from HTTP attributes, error.type, or the span status', () => {
    const base = { 'llm.model': 'gpt-4o', 'llm.input_tokens': 1 };
    assert.equal(call({ ...base, 'http.response.status_code': 529 }).status, 529);
    assert.equal(call({ ...base, 'error.type': 'overloaded_error' }).status, 529);
    assert.equal(call({ ...base, 'error.type': '404' }).status, 404);
    assert.equal(call({ ...base, 'error.type': 'SomethingOdd' }).status, 500);
    const req = jsonRequest([{ attrs: base }]) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.status = { code: 2 };
    const d = decode(req);
    assert.equal(spanToCall(d.resources[0]!.spans[0]!, d.resources[0]!, D).call!.status, 500);
  });

  it('uses the response id as request_id, else otlp:<traceId>:<spanId>', () => {
    assert.equal(call({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1, 'gen_ai.response.id': 'chatcmpl-9' }).request_id, 'chatcmpl-9');
    assert.equal(call({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1 }).request_id, 'otlp:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b100');
  });

  it('strips control characters from untrusted text and bounds its length', () => {
    const c = call({ 'llm.model': 'gpt-4o\u001b[31m\u202e', 'llm.project': `p${'x'.repeat(500)}`, 'llm.input_tokens': 1 });
    assert.equal(c.model, 'gpt-4o[31m');
    assert.equal(c.project.length, 200);
    assert.equal(cleanText('\u0000\u0007 \u0085'), '');
  });

  it('skips agent and tool spans, which report the usage of the calls inside them', () => {
    const d = decode(jsonRequest([{ attrs: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 9 } }]));
    assert.equal(d.resources.length, 0);
    assert.equal(d.totalSpans, 1);
  });
});

describe('the OTLP/JSON mapping', () => {
  it('accepts snake_case keys, uppercase hex ids, int64 as numbers and timestamps as numbers', () => {
    const body = {
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: '5B8EFFF798038103D269B633813FC60C',
                  span_id: 'EEE19B7EC3C1B174',
                  start_time_unix_nano: 1796320800123000000,
                  end_time_unix_nano: '1796320800623000000',
                  attributes: [
                    { key: 'llm.model', value: { string_value: 'gpt-4o' } },
                    { key: 'llm.input_tokens', value: { int_value: 10 } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const d = decode(body);
    const c = spanToCall(d.resources[0]!.spans[0]!, d.resources[0]!, D).call!;
    assert.deepEqual([c.ts, c.duration_ms, c.input_tok, c.request_id], [1796320800123, 500, 10, 'otlp:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174']);
  });

  it('converts fixed64 nanoseconds exactly, and decodes the same span from protobuf', () => {
    assert.deepEqual(longNanos({ low: 0xffffffff | 0, high: 0x18ed0e0c, unsigned: true }), { ms: Math.floor((0x18ed0e0c * 2 ** 32 + 0xffffffff) / 1e6), sub: Number((BigInt(0x18ed0e0c) * 2n ** 32n + 0xffffffffn) % 1_000_000n) });
    const pb = ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), startTimeUnixNano: '1796320800123456789', endTimeUnixNano: '1796320802263456789', attributes: [{ key: 'llm.model', value: { stringValue: 'gpt-4o' } }, { key: 'llm.input_tokens', value: { intValue: 7 } }] }] }] }],
      }),
    ).finish();
    const d = decodeProtobuf(pb, FILTER);
    const s = d.resources[0]!.spans[0]!;
    assert.deepEqual([s.start, s.end], [{ ms: 1796320800123, sub: 456789 }, { ms: 1796320802263, sub: 456789 }]);
    assert.equal(spanToCall(s, d.resources[0]!, D).call!.duration_ms, 2140);
  });

  it('skips unknown fields, and known ones that arrive with another wire type, as protobuf runtimes do', () => {
    const base = protobufOf(jsonRequest([{ attrs: { 'llm.model': 'gpt-4o', 'llm.input_tokens': 3 } }]));
    const unknown = Buffer.from([0x98, 0x06, 0x01, 0x0d, 0x01, 0x02, 0x03, 0x04]); // field 99 varint 1; field 1 as fixed32
    const d = decodeProtobuf(Buffer.concat([base, unknown]), FILTER);
    assert.deepEqual(d, decodeProtobuf(base, FILTER));
    assert.equal(d.resources[0]!.spans[0]!.attrs.get('llm.input_tokens'), 3);
    assert.throws(() => decodeProtobuf(Buffer.concat([base, Buffer.from([0x0b])]), FILTER), /wire type 3/); // a group: not proto3
  });
});

