import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, decodeWithProtobufjs, type DecodedRequest } from '../../src/otlp/decode.js';
import { decodeProtobuf } from '../../src/otlp/wire.js';
import { decodeJson } from '../../src/otlp/decode-json.js';
import { FILTER, spanToCall } from '../../src/otlp/spans.js';
import { invalidCall } from '../../src/tape/validate.js';
import { jsonRequest, protobufOf } from './helpers.js';

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, rand: () => number): Buffer {
  const b = Buffer.from(src);
  const n = 1 + Math.floor(rand() * 4);
  let out = b;
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * out.length);
    const what = rand();
    if (what < 0.5) out[at] = Math.floor(rand() * 256);
    else if (what < 0.7) out = out.subarray(0, at);
    else if (what < 0.85) out = Buffer.concat([out.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(rand() * 8)))]);
  }
  return out;
}

/** Maps every span (which must not throw); counts those that become rows the writer accepts. */
function checkRows(d: DecodedRequest): number {
  let rows = 0;
  for (const r of d.resources) {
    for (const s of r.spans) {
      const out = spanToCall(s, r, { project: 'p', priceVersion: 'v' });
      if (out.call && invalidCall(out.call) === null) rows++;
    }
  }
  return rows;
}

const SPANS = jsonRequest(
  [
    { attrs: { 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 80 } },
    { attrs: { 'llm.model': 'gpt-4o', 'llm.input_tokens': 5, 'llm.project': 'p1', 'gen_ai.response.id': 'chatcmpl-1' } },
    { attrs: { 'http.request.method': 'GET' } },
  ],
  { 'service.name': 'svc', 'host.name': 'box' },
);

describe('malformed bodies never crash the decoder or produce rows the tape would refuse', () => {
  it('survives 3,000 seeded mutations of a protobuf body (decoded as protobufjs decodes it, or a DecodeError)', () => {
    const rand = rng(42);
    const base = protobufOf(SPANS);
    let rows = 0;
    for (let i = 0; i < 3000; i++) {
      const body = mutate(base, rand);
      try {
        const d = decodeProtobuf(body, FILTER);
        rows += checkRows(d);
        // where protobufjs also reads the mutant, both readers see the same spans
        let ref: DecodedRequest | null = null;
        try {
          ref = decodeWithProtobufjs(body, FILTER);
        } catch {
          // protobufjs refused what the wire reader accepted: allowed only for unknown-field oddities
        }
        if (ref) assert.deepEqual(d, ref, `mutation ${i}`);
      } catch (err) {
        assert.ok(err instanceof DecodeError, `mutation ${i}: ${(err as Error).stack}`);
      }
    }
    assert.ok(rows > 0, 'some mutations still decode to rows');
  });

  it('survives 3,000 seeded mutations of a JSON body (decoded, or a DecodeError)', () => {
    const rand = rng(7);
    const base = Buffer.from(JSON.stringify(SPANS));
    for (let i = 0; i < 3000; i++) {
      const body = mutate(base, rand);
      try {
        checkRows(decodeJson(body, FILTER));
      } catch (err) {
        assert.ok(err instanceof DecodeError, `mutation ${i}: ${(err as Error).stack}`);
      }
    }
  });
});
