import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anthropic } from '../../src/proxy/adapters/anthropic.js';
import { openai } from '../../src/proxy/adapters/openai.js';
import { gemini } from '../../src/proxy/adapters/gemini.js';
import { buildRow, type CallFacts } from '../../src/proxy/row.js';
import type { Observed } from '../../src/proxy/adapters/types.js';
import { parseTarget, resolveUpstreams } from '../../src/proxy/route.js';
import { upstreamRequestHeaders, clientResponseHeaders, acceptEncodingFor } from '../../src/proxy/headers.js';
import { READABLE_CODINGS } from '../../src/proxy/tap.js';
import { envLines } from '../../src/proxy/env.js';
import { billable } from '../../src/proxy/server.js';
import { flagNames } from '../../src/tape/row.js';

describe('the Anthropic adapter', () => {
  it('adds cache reads and writes to input, and takes the cumulative delta usage as it stands', () => {
    const o = anthropic.observer();
    o.event('message_start', JSON.stringify({ type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 50, cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 30 }, output_tokens: 1 } } }));
    o.event('message_delta', JSON.stringify({ type: 'message_delta', usage: { output_tokens: 40, input_tokens: null, cache_read_input_tokens: null } }));
    o.event('message_delta', JSON.stringify({ type: 'message_delta', usage: { output_tokens: 70 } }));
    o.event('message_stop', '{"type":"message_stop"}');
    assert.deepEqual(o.seen.usage, { input_tok: 160, output_tok: 70, cached_tok: 100, cache_write_tok: 50, cache_write_1h_tok: 30 });
    assert.equal(o.seen.terminal, true);
    assert.equal(o.seen.bodyId, 'msg_1');
  });

  it('reads events that carry their type only in the data, and flags error events', () => {
    const o = anthropic.observer();
    o.event('message', '{"type":"message_start","message":{"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}');
    o.event('message', '{"type":"error","error":{"type":"overloaded_error"}}');
    assert.equal(o.seen.usage?.input_tok, 3);
    assert.equal(o.seen.streamError, true);
  });

  it('sums the TTL split when the total cache write is absent', () => {
    const o = anthropic.observer();
    o.json({ type: 'message', id: 'msg_2', model: 'm', usage: { input_tokens: 1, output_tokens: 2, cache_creation: { ephemeral_5m_input_tokens: 4, ephemeral_1h_input_tokens: 8 } } });
    assert.deepEqual(o.seen.usage, { input_tok: 13, output_tok: 2, cached_tok: 0, cache_write_tok: 12, cache_write_1h_tok: 8 });
  });
});

describe('the OpenAI adapter', () => {
  it('reads Responses usage from response.incomplete and names the response id', () => {
    const o = openai.observer();
    o.event('response.created', JSON.stringify({ type: 'response.created', response: { id: 'resp_1', model: 'gpt-x', usage: null } }));
    o.event('response.output_text.delta', '{"delta":"ignored"}');
    o.event('response.incomplete', JSON.stringify({ type: 'response.incomplete', response: { id: 'resp_1', model: 'gpt-x', usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 4 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 5 } } } }));
    assert.deepEqual(o.seen.usage, { input_tok: 9, output_tok: 7, cached_tok: 4, cache_write_tok: 0, cache_write_1h_tok: 0 });
    assert.equal(o.seen.terminal, true);
    assert.equal(o.seen.bodyId, 'resp_1');
  });

  it('flags an error inside a chat stream and response.failed', () => {
    const a = openai.observer();
    a.event('message', '{"id":"c","model":"m","choices":[]}');
    a.event('message', '{"error":{"message":"server_error"}}');
    assert.equal(a.seen.streamError, true);
    const b = openai.observer();
    b.event('response.failed', '{"type":"response.failed","response":{"id":"r","model":"m","usage":null,"error":{"code":"server_error"}}}');
    assert.equal(b.seen.streamError, true);
  });

  it('tolerates missing details objects', () => {
    const o = openai.observer();
    o.json({ id: 'c', model: 'm', usage: { prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: null } });
    assert.deepEqual(o.seen.usage, { input_tok: 5, output_tok: 2, cached_tok: 0, cache_write_tok: 0, cache_write_1h_tok: 0 });
  });
});

describe('the Gemini adapter', () => {
  it('reads a JSON array stream (no alt=sse), last running total wins, tool-use prompt tokens count as input', () => {
    const o = gemini.observer();
    o.json([
      { usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 }, modelVersion: 'gemini-x', responseId: 'r1' },
      { usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 3, toolUsePromptTokenCount: 2, cachedContentTokenCount: 4 } },
    ]);
    assert.deepEqual(o.seen.usage, { input_tok: 12, output_tok: 8, cached_tok: 4, cache_write_tok: 0, cache_write_1h_tok: 0 });
    assert.equal(gemini.modelFromPath('/v1beta/models/gemini-2.5-flash:streamGenerateContent'), 'gemini-2.5-flash');
  });
});

const facts = (over: Partial<CallFacts>): CallFacts => ({
  ts: 1, project: 'p', provider: 'openai', durationMs: 12.4, status: 200, requestModel: 'req-model', headerId: null, seen: null,
  streamed: false, hasTerminalEvent: true, unreadable: false, outcome: { kind: 'complete' }, priceVersion: 'v1', ...over,
});
const seen = (over: Partial<Observed>): Observed => ({ model: null, bodyId: null, usage: null, streamError: false, terminal: false, ...over });

describe('rows', () => {
  it('never price a call whose usage did not arrive as free', () => {
    const r = buildRow(facts({ seen: seen({}) }));
    assert.equal(r.cost_micros, null);
    assert.deepEqual([...flagNames(r.flags!)], ['usage_missing']);
    assert.equal(r.model, 'req-model');
  });

  it('flag a stream that ended without its closing event as cut', () => {
    const u = { input_tok: 1, output_tok: 1, cached_tok: 0, cache_write_tok: 0, cache_write_1h_tok: 0 };
    const r = buildRow(facts({ streamed: true, seen: seen({ usage: u }) }));
    assert.deepEqual([...flagNames(r.flags!)], ['usage_missing', 'stream_cut']);
    assert.equal(r.cost_micros, null);
    const ok = buildRow(facts({ streamed: true, seen: seen({ usage: u, terminal: true }) }));
    assert.equal(ok.flags, 0);
    assert.equal(ok.cost_micros, undefined, 'left to the writer to price');
  });

  it('strip control characters from model names and ids', () => {
    const r = buildRow(facts({ headerId: 'req\u001b[31m1', seen: seen({ model: 'gpt\u0007x' }) }));
    assert.equal(r.model, 'gptx');
    assert.equal(r.request_id, 'req[31m1');
  });
});

describe('routing', () => {
  const ups = resolveUpstreams({ anthropic: 'http://127.0.0.1:9/base/' }, ['openai=http://127.0.0.1:8']);
  it('maps routes and projects onto the configured upstream only', () => {
    const t = parseTarget('/p/team-a/anthropic/v1/messages?beta=true', ups);
    assert.ok(!('status' in t));
    assert.equal(t.project, 'team-a');
    assert.equal(t.upstreamPath, '/base/v1/messages?beta=true');
    const g = parseTarget('/gemini/v1beta/models/gemini-2.5-pro:generateContent', ups);
    assert.ok(!('status' in g) && g.adapter.provider === 'google');
  });

  it('refuses bad upstream settings', () => {
    assert.throws(() => resolveUpstreams({}, ['nope=http://x']), /unknown provider/);
    assert.throws(() => resolveUpstreams({}, ['openai=ftp://x']), /http/);
    assert.throws(() => resolveUpstreams({}, ['openai=http://user:pw@x']), /credentials/);
  });

  it('drops hop-by-hop and Connection-named headers both ways', () => {
    const out = upstreamRequestHeaders(['Host', 'a', 'Connection', 'close, X-Foo', 'X-Foo', '1', 'TE', 'trailers', 'x-tape-project', 'p', 'Authorization', 'k'], 'up:1');
    assert.deepEqual(out, ['Authorization', 'k', 'Host', 'up:1']);
    assert.deepEqual(clientResponseHeaders(['Transfer-Encoding', 'chunked', 'Keep-Alive', 'timeout=5', 'request-id', 'r']), ['request-id', 'r']);
  });

  it('forwards Accept-Encoding as sent unless it names a coding whose usage the proxy could not read', () => {
    for (const v of ['gzip, deflate', 'gzip, deflate, br', 'br;q=1.0, gzip;q=0.8', 'identity']) assert.equal(acceptEncodingFor(v), v);
    const zstd = READABLE_CODINGS.has('zstd');
    assert.equal(acceptEncodingFor('gzip, deflate, br, zstd'), zstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br');
    assert.equal(acceptEncodingFor('gzip, compress, *;q=0.1'), 'gzip');
    assert.equal(acceptEncodingFor('snappy'), 'identity');
    assert.deepEqual(upstreamRequestHeaders(['Accept-Encoding', 'lz4, gzip', 'X-A', '1'], 'up:1'), ['Accept-Encoding', 'gzip', 'X-A', '1', 'Host', 'up:1']);
  });

  it('records model calls and forwards the rest without a row', () => {
    for (const p of ['/v1/messages', '/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1beta/models/g:generateContent', '/v1/audio/transcriptions', '/v1beta/models/g:batchEmbedContents']) assert.equal(billable('POST', p), true, p);
    for (const p of ['/v1/messages/count_tokens', '/v1beta/models/g:countTokens', '/v1/messages/batches', '/v1/files', '/v1/moderations', '/v1/batches/b_1/cancel', '/v1/responses/input_tokens', '/v1/responses/resp_1/cancel', '/v1/vector_stores', '/v1/fine_tuning/jobs', '/v1beta/models/g:batchGenerateContent']) assert.equal(billable('POST', p), false, p);
    assert.equal(billable('GET', '/v1/models'), false);
  });

  it('prints environment lines for the three SDKs', () => {
    assert.deepEqual(envLines('http://127.0.0.1:8787', 'team a'), [
      'ANTHROPIC_BASE_URL=http://127.0.0.1:8787/p/team%20a/anthropic',
      'OPENAI_BASE_URL=http://127.0.0.1:8787/p/team%20a/openai/v1',
      'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8787/p/team%20a/gemini',
    ]);
  });
});
