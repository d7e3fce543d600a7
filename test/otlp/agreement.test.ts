import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SpanStatusCode } from '@opentelemetry/api';
import { decodeWithProtobufjs } from '../../src/otlp/decode.js';
import { decodeProtobuf } from '../../src/otlp/wire.js';
import { decodeJson } from '../../src/otlp/decode-json.js';
import { FILTER } from '../../src/otlp/spans.js';

/** Spans from the real SDK with events, links, every attribute type and an error status. */
function spans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agree', 'host.name': 'box', 'llm.project': 'proj' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('agreement', '1.2.3');
  const parent = tracer.startSpan('parent');
  for (let i = 0; i < 20; i++) {
    const s = tracer.startSpan(`chat ${i}`, {
      startTime: [1796320800 + i, 987654321],
      links: [{ context: parent.spanContext(), attributes: { 'link.kind': 'retry' } }],
      attributes: {
        'gen_ai.provider.name': i % 2 ? 'openai' : 'anthropic',
        'gen_ai.request.model': `model-${i}`,
        'gen_ai.usage.input_tokens': 1000 * i + 7,
        'gen_ai.usage.output_tokens': i,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'llm.streaming': i % 3 === 0,
        'http.response.status_code': i === 5 ? 529 : 200,
      },
    });
    s.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'a prompt that must never reach the tape '.repeat(20) });
    if (i === 7) s.setStatus({ code: SpanStatusCode.ERROR, message: 'bad' });
    s.end([1796320801 + i, 123]);
  }
  parent.end();
  return memory.getFinishedSpans() as ReadableSpan[];
}

describe('the protobuf and JSON decoders agree on what the official serializers produce', () => {
  it('gives the same spans, ids, times, attributes and statuses from both encodings, and from protobufjs', () => {
    const all = spans();
    const body = ProtobufTraceSerializer.serializeRequest(all)!;
    const pb = decodeProtobuf(body, FILTER);
    assert.deepEqual(pb, decodeWithProtobufjs(body, FILTER));
    const js = decodeJson(Buffer.from(JsonTraceSerializer.serializeRequest(all)!), FILTER);
    assert.equal(pb.totalSpans, 21);
    assert.equal(pb.resources[0]!.spans.length, 20, 'the parent span names no model: skipped');
    assert.deepEqual(pb, js);
    const s7 = pb.resources[0]!.spans[7]!;
    assert.deepEqual([s7.statusCode, s7.start, s7.end], [2, { ms: 1796320807987, sub: 654321 }, { ms: 1796320808000, sub: 123 }]);
    assert.equal(s7.attrs.get('gen_ai.usage.input_tokens'), 7007);
    assert.equal(s7.attrs.has('gen_ai.prompt'), false);
    assert.equal(pb.resources[0]!.attrs.get('llm.project'), 'proj');
  });
});
