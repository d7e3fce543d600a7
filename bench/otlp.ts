/**
 * npm run bench:otlp [-- --spans 20480 --reps 5 --e2e-reps 3] : OTLP spans ingested per second.
 *
 * Bodies are what the real SDK sends: spans made by the OpenTelemetry SDK and serialised by the
 * exporters' own serializers (@opentelemetry/otlp-transformer), 512 spans a request (the batch
 * processor's default), every span an LLM call with a realistic set of other attributes.
 * Baselines measured in the same run, interleaved with what they are compared to: a bare JSON.parse
 * of the same JSON bodies (the least any JSON receiver does), and the tape writer alone appending the
 * same rows (the storage ceiling). The first round of each is a warm-up (a daemon runs warm).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { openWriter } from '../src/tape/db.js';
import { TapeWriter } from '../src/tape/writer.js';
import { PriceBook } from '../src/pricing/price-book.js';
import { startOtlpReceiver } from '../src/otlp/receiver.js';
import { decodeJson } from '../src/otlp/decode-json.js';
import { decodeWithProtobufjs, type DecodedRequest } from '../src/otlp/decode.js';
import { decodeProtobuf } from '../src/otlp/wire.js';
import { FILTER, spanToCall } from '../src/otlp/spans.js';
import type { NewCall } from '../src/tape/row.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SPANS = arg('spans', 20_480);
const PER_REQUEST = 512;
const CONCURRENCY = 4;
const REPS = arg('reps', 5);
const E2E_REPS = arg('e2e-reps', 3);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const MODELS = [['anthropic', 'claude-sonnet-4-5'], ['openai', 'gpt-4o-mini'], ['gcp.gemini', 'gemini-2.5-flash']] as const;

/** SPANS spans from the real SDK, as ReadableSpans, in requests of PER_REQUEST. */
function makeSpans(): ReadableSpan[][] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-svc', 'host.name': 'bench-box', 'telemetry.sdk.language': 'nodejs' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const t0 = Date.UTC(2026, 11, 3, 12);
  for (let i = 0; i < SPANS; i++) {
    const [prov, model] = MODELS[i % MODELS.length]!;
    const span = tracer.startSpan(`chat ${model}`, { startTime: t0 + i });
    span.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': prov,
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
      'gen_ai.response.id': `resp-${i}`,
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000 + (i % 5000),
      'gen_ai.usage.output_tokens': 50 + (i % 700),
      'gen_ai.usage.cache_read.input_tokens': i % 3 === 0 ? 512 : 0,
      'server.address': 'api.example.com',
      'server.port': 443,
      'http.response.status_code': 200,
    });
    span.end(t0 + i + 850);
  }
  const spans = memory.getFinishedSpans();
  const out: ReadableSpan[][] = [];
  for (let i = 0; i < spans.length; i += PER_REQUEST) out.push(spans.slice(i, i + PER_REQUEST) as ReadableSpan[]);
  return out;
}

function rate(spans: number, ms: number): string {
  return `${fmt((spans / ms) * 1000)} spans/s`;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function callsOf(d: DecodedRequest, pv: string): NewCall[] {
  const out: NewCall[] = [];
  for (const r of d.resources) for (const s of r.spans) out.push(spanToCall(s, r, { project: 'default', priceVersion: pv }).call!);
  return out;
}

function postAll(port: number, bodies: Uint8Array[], contentType: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = bodies[next++]!;
      const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.byteLength } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < bodies.length) await one();
  };
  return Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => agent.destroy());
}

interface Ingest {
  readonly ms: number;
  readonly rows: number;
}

/** Posts every body to a receiver on a fresh tape; how long until the last answer, and how many rows landed. */
async function ingest(bodies: Uint8Array[], contentType: string): Promise<Ingest> {
  const dir = mkdtempSync(join(tmpdir(), 'tape-bench-otlp-'));
  const db = openWriter(join(dir, 'tape.db'));
  const writer = new TapeWriter(db, new PriceBook());
  const receiver = await startOtlpReceiver({ writer, port: 0 });
  try {
    const t = performance.now();
    await postAll(receiver.port, bodies, contentType);
    const ms = performance.now() - t;
    return { ms, rows: (db.prepare('SELECT count(*) AS n FROM tape').get() as { n: number }).n };
  } finally {
    await receiver.close();
    writer.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The writer alone appending the same rows to a fresh tape, one appendBatch per request. */
function writerAlone(rows: NewCall[][]): number {
  const dir = mkdtempSync(join(tmpdir(), 'tape-bench-otlp-'));
  const db = openWriter(join(dir, 'tape.db'));
  const writer = new TapeWriter(db, new PriceBook());
  const t = performance.now();
  for (const r of rows) writer.appendBatch(r);
  const ms = performance.now() - t;
  writer.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const line = (label: string, spans: number, ms: number, extra = '') => console.log(`  ${label.padEnd(36)} ${rate(spans, ms).padStart(18)}${extra}`);

async function main(): Promise<void> {
  const batches = makeSpans();
  const total = batches.reduce((n, b) => n + b.length, 0);
  const json = batches.map((b) => JsonTraceSerializer.serializeRequest(b)!);
  const pb = batches.map((b) => ProtobufTraceSerializer.serializeRequest(b)!);
  const kib = (xs: Uint8Array[]) => xs.reduce((n, x) => n + x.byteLength, 0) / 1024 / xs.length;
  console.log(`OTLP ingest: ${fmt(total)} spans in ${batches.length} requests of ${PER_REQUEST}; JSON ${fmt(kib(json))} KiB, protobuf ${fmt(kib(pb))} KiB a request; ${CONCURRENCY} client connections`);
  console.log('Each figure is the best of several runs, baseline and subject interleaved (this machine is shared and noisy).\n');
  const jsonBufs = json.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const pv = new PriceBook().version;

  // decode + map, no HTTP, no database: one warm-up round, then REPS interleaved rounds
  const best = { parse: Infinity, json: Infinity, pb: Infinity, pbjs: Infinity };
  for (let rep = 0; rep <= REPS; rep++) {
    const parse = time(() => jsonBufs.forEach((b) => JSON.parse(b.toString('utf8'))));
    const dj = time(() => jsonBufs.forEach((b) => callsOf(decodeJson(b, FILTER), pv)));
    const dp = time(() => pb.forEach((b) => callsOf(decodeProtobuf(b, FILTER), pv)));
    const dr = time(() => pb.forEach((b) => callsOf(decodeWithProtobufjs(b, FILTER), pv)));
    if (rep > 0) [best.parse, best.json, best.pb, best.pbjs] = [Math.min(best.parse, parse), Math.min(best.json, dj), Math.min(best.pb, dp), Math.min(best.pbjs, dr)];
  }
  console.log('decode + map (no HTTP, no database):');
  line('baseline: bare JSON.parse', total, best.parse);
  line('tape JSON decode + map', total, best.json, `   ${(best.parse / best.json).toFixed(2)}x the speed of bare JSON.parse`);
  line('tape protobuf decode + map', total, best.pb, `   ${(best.parse / best.pb).toFixed(2)}x the speed of bare JSON.parse`);
  line('protobufjs decode + map (reference)', total, best.pbjs, `   ${(best.parse / best.pbjs).toFixed(2)}x; the wire reader is ${(best.pbjs / best.pb).toFixed(2)}x protobufjs`);

  // end to end against the writer alone, interleaved the same way
  const rows = pb.map((b) => callsOf(decodeProtobuf(b, FILTER), pv));
  const e2e = { writer: Infinity, pb: Infinity, json: Infinity, missing: 0 };
  for (let rep = 0; rep <= E2E_REPS; rep++) {
    const w = writerAlone(rows);
    const p = await ingest(pb, 'application/x-protobuf');
    const j = await ingest(json, 'application/json');
    e2e.missing += total - p.rows + (total - j.rows);
    if (rep > 0) [e2e.writer, e2e.pb, e2e.json] = [Math.min(e2e.writer, w), Math.min(e2e.pb, p.ms), Math.min(e2e.json, j.ms)];
  }
  console.log('\nend to end: loopback HTTP -> receiver -> priced rows committed (fsync on), against the writer alone:');
  line('baseline: TapeWriter.appendBatch', total, e2e.writer);
  line('OTLP/HTTP protobuf', total, e2e.pb, `   ${(e2e.writer / e2e.pb).toFixed(2)}x the writer alone's rate`);
  line('OTLP/HTTP JSON', total, e2e.json, `   ${(e2e.writer / e2e.json).toFixed(2)}x the writer alone's rate`);
  console.log(`\n  rows missing over all ${(E2E_REPS + 1) * 2} end-to-end runs: ${e2e.missing}`);
  if (e2e.missing !== 0) process.exitCode = 1;
}

await main();
