import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { harness, post, gzipSync, jsonRequest, protobufOf, type Harness } from './helpers.js';
import { ExportTraceServiceResponse, RpcStatus } from '../../src/otlp/schema.js';

const JSON_CT = { 'content-type': 'application/json' };
const PB_CT = { 'content-type': 'application/x-protobuf' };
const CALL = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20 };

describe('OTLP/HTTP requests and answers', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ maxBodyBytes: 64 * 1024 });
  });
  after(() => h.close());

  it('answers a JSON request in JSON and a protobuf request in protobuf, without partial_success on full success', async () => {
    const json = await post(h.url, JSON.stringify(jsonRequest([{ attrs: CALL, traceId: 'a'.repeat(32) }])), JSON_CT);
    assert.equal(json.status, 200);
    assert.equal(json.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(json.body.toString()), {});
    const pb = await post(h.url, protobufOf(jsonRequest([{ attrs: CALL, traceId: 'b'.repeat(32) }])), PB_CT);
    assert.equal(pb.status, 200);
    assert.equal(pb.headers['content-type'], 'application/x-protobuf');
    assert.equal(pb.body.length, 0);
    assert.equal(h.rows().filter((r) => r.request_id?.startsWith('otlp:aaaa') || r.request_id?.startsWith('otlp:bbbb')).length, 2);
  });

  it('stores a re-sent batch once (JSON and protobuf, same spans)', async () => {
    const req = jsonRequest([{ attrs: CALL, traceId: 'c'.repeat(32) }, { attrs: { ...CALL, 'gen_ai.response.id': 'chatcmpl-dup' }, traceId: 'c'.repeat(32) }]);
    const before = h.rows().length;
    for (let i = 0; i < 3; i++) assert.equal((await post(h.url, JSON.stringify(req), JSON_CT)).status, 200);
    assert.equal((await post(h.url, protobufOf(req), PB_CT)).status, 200);
    assert.equal(h.rows().length, before + 2);
  });

  it('answers an empty request with success, in either encoding', async () => {
    for (const headers of [JSON_CT, PB_CT]) assert.equal((await post(h.url, '', headers)).status, 200);
    assert.equal((await post(h.url, '{}', JSON_CT)).status, 200);
  });

  it('accepts gzip and deflate bodies', async () => {
    const gz = gzipSync(JSON.stringify(jsonRequest([{ attrs: CALL, traceId: 'd'.repeat(32) }])));
    assert.equal((await post(h.url, gz, { ...JSON_CT, 'content-encoding': 'gzip' })).status, 200);
    const df = deflateSync(protobufOf(jsonRequest([{ attrs: CALL, traceId: 'e'.repeat(32) }])));
    assert.equal((await post(h.url, df, { ...PB_CT, 'content-encoding': 'deflate' })).status, 200);
    assert.equal(h.rows().filter((r) => /^otlp:(d{32}|e{32}):/.test(r.request_id ?? '')).length, 2);
  });

  it('answers 400 with a Status for undecodable bodies, and writes nothing', async () => {
    const before = h.rows().length;
    const cases: [Buffer | string, Record<string, string>][] = [
      ['{"resourceSpans": [', JSON_CT],
      ['{"resourceSpans": 5}', JSON_CT],
      [JSON.stringify(jsonRequest([{ attrs: CALL, traceId: 'not-hex!' }])), JSON_CT],
      ['not a protobuf at all', PB_CT],
      [Buffer.from([0x0a, 0xff, 0xff, 0x01]), PB_CT],
      [Buffer.from('1f8b0800000000000003ffffffff', 'hex'), { ...JSON_CT, 'content-encoding': 'gzip' }],
    ];
    for (const [body, headers] of cases) {
      const res = await post(h.url, body, headers);
      assert.equal(res.status, 400, `body ${String(body).slice(0, 30)}`);
      const status = headers['content-type'] === 'application/json' ? JSON.parse(res.body.toString()) : RpcStatus.toObject(RpcStatus.decode(res.body));
      assert.match(status.message, /./);
    }
    assert.equal(h.rows().length, before);
  });

  it('answers 413 for a body over the limit, and for a gzip bomb, cut while inflating', async () => {
    const before = h.rows().length;
    const big = Buffer.alloc(200 * 1024, 0x20);
    assert.equal((await post(h.url, big, JSON_CT)).status, 413);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MiB of spaces, ~50 KiB on the wire
    assert.ok(bomb.length < 64 * 1024);
    const res = await post(h.url, bomb, { ...JSON_CT, 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.match(JSON.parse(res.body.toString()).message, /decompressed/);
    assert.equal(h.rows().length, before);
  });

  it('accepts the good spans of a mixed batch and reports the rest as partial success', async () => {
    const req = jsonRequest([
      { attrs: CALL, traceId: 'f'.repeat(32) },
      { attrs: { ...CALL, 'gen_ai.usage.input_tokens': 'lots' }, traceId: 'f'.repeat(32) },
      { attrs: CALL, traceId: 'f'.repeat(30) }, // 15 bytes: not a trace id
      { attrs: { 'http.request.method': 'GET' }, traceId: 'f'.repeat(32) }, // not a model call: ignored, not rejected
    ]);
    const json = await post(h.url, JSON.stringify(req), JSON_CT);
    assert.equal(json.status, 200);
    const body = JSON.parse(json.body.toString());
    assert.equal(body.partialSuccess.rejectedSpans, '2');
    assert.match(body.partialSuccess.errorMessage, /gen_ai\.usage\.input_tokens is not a whole number/);
    assert.match(body.partialSuccess.errorMessage, /traceId is not 16 bytes/);
    const pb = await post(h.url, protobufOf(req), PB_CT);
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(pb.body), { longs: Number });
    assert.equal(decoded.partialSuccess.rejectedSpans, 2);
    assert.equal(h.rows().filter((r) => r.request_id?.startsWith(`otlp:${'f'.repeat(32)}`)).length, 1);
  });

  it('answers 415, 404, 405 and 403 (a Host that is not loopback) as the spec and DNS rebinding ask', async () => {
    const body = JSON.stringify(jsonRequest([{ attrs: CALL }]));
    assert.equal((await post(h.url, body, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(h.url, body, { ...JSON_CT, 'content-encoding': 'br' })).status, 415);
    assert.equal((await post(h.url.replace('/v1/traces', '/v1/metrics'), body, JSON_CT)).status, 404);
    const get = await fetch(h.url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await post(h.url, body, { ...JSON_CT, host: 'evil.example:4318' })).status, 403);
    assert.equal((await post(h.url, body, { ...JSON_CT, host: `localhost:${h.receiver.port}` })).status, 200);
  });
});

describe('an overloaded or unwritable receiver', () => {
  it('answers 429 with Retry-After when too many requests are in flight', async () => {
    const h = await harness({ maxInFlight: 0 });
    try {
      const res = await post(h.url, JSON.stringify(jsonRequest([{ attrs: CALL }])), JSON_CT);
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(h.rows().length, 0);
    } finally {
      await h.close();
    }
  });

  it('answers 503 with Retry-After while the tape is locked, then accepts the retry', async () => {
    const h = await harness({ unwritableBackoffMs: 0 }, 20);
    const other = new Database(h.dbPath);
    try {
      other.exec('BEGIN IMMEDIATE');
      const body = JSON.stringify(jsonRequest([{ attrs: CALL, traceId: '1'.repeat(32) }]));
      const res = await post(h.url, body, JSON_CT);
      assert.equal(res.status, 503);
      assert.equal(res.headers['retry-after'], '5');
      assert.match(JSON.parse(res.body.toString()).message, /locked/);
      other.exec('ROLLBACK');
      assert.equal((await post(h.url, body, JSON_CT)).status, 200);
      assert.equal(h.rows().length, 1);
    } finally {
      other.close();
      await h.close();
    }
  });
});
