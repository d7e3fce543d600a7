import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { BasicTracerProvider, SimpleSpanProcessor, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { openWriter, type Db } from '../../src/tape/db.js';
import { TapeWriter } from '../../src/tape/writer.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions } from '../../src/otlp/receiver.js';
import type { CallRow } from '../../src/tape/row.js';
import { ExportTraceServiceRequest } from '../../src/otlp/schema.js';

export interface Harness {
  readonly dir: string;
  readonly dbPath: string;
  readonly db: Db;
  readonly writer: TapeWriter;
  readonly receiver: OtlpReceiver;
  readonly url: string;
  rows(): CallRow[];
  close(): Promise<void>;
}

/** A fresh tape in a temp dir and a receiver on 127.0.0.1:0. */
export async function harness(opts: Partial<OtlpReceiverOptions> = {}, busyTimeoutMs = 5000): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'tape-otlp-'));
  const dbPath = join(dir, 'tape.db');
  const db = openWriter(dbPath, { busyTimeoutMs });
  const writer = new TapeWriter(db, new PriceBook(), { host: 'test-box', maxDelayMs: 1 });
  const receiver = await startOtlpReceiver({ writer, port: 0, ...opts });
  return {
    dir,
    dbPath,
    db,
    writer,
    receiver,
    url: `http://127.0.0.1:${receiver.port}/v1/traces`,
    rows: () => db.prepare('SELECT * FROM tape ORDER BY id').all() as CallRow[],
    async close() {
      await receiver.close();
      writer.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Flavour = 'json' | 'protobuf';

/** The real OpenTelemetry Node SDK exporting to `url` with the official OTLP/HTTP exporter. */
export function sdk(url: string, flavour: Flavour, opts: { gzip?: boolean; batch?: boolean; resource?: Record<string, string> } = {}) {
  const config = { url, compression: opts.gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE };
  const exporter = flavour === 'json' ? new JsonExporter(config) : new ProtoExporter(config);
  const processor: SpanProcessor = opts.batch ? new BatchSpanProcessor(exporter, { scheduledDelayMillis: 10 }) : new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'sales-tool', 'host.name': 'box-7', ...opts.resource }),
    spanProcessors: [processor],
  });
  return { provider, tracer: provider.getTracer('test'), exporter };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A plain POST, for bodies no SDK would send. */
export function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export { gzipSync };

/** Polls until `check` returns a value, or fails after `ms`. */
export async function until<T>(check: () => T | undefined | null | false, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A minimal OTLP/JSON request with one span per attribute set. */
export function jsonRequest(spans: { attrs: Record<string, unknown>; traceId?: string; spanId?: string; start?: string; end?: string }[], resource: Record<string, string> = {}) {
  const kv = (o: Record<string, unknown>) =>
    Object.entries(o).map(([key, v]) => ({
      key,
      value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
    }));
  return {
    resourceSpans: [
      {
        resource: { attributes: kv(resource) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: spans.map((s, i) => ({
              traceId: s.traceId ?? '5b8efff798038103d269b633813fc60c',
              spanId: s.spanId ?? `eee19b7ec3c1b1${String(i).padStart(2, '0')}`,
              name: 'chat',
              kind: 3,
              startTimeUnixNano: s.start ?? '1796320800123456789',
              endTimeUnixNano: s.end ?? '1796320802263956789',
              attributes: kv(s.attrs),
              status: {},
            })),
          },
        ],
      },
    ],
  };
}

/** The same request as binary protobuf, built from the OTLP/JSON shape (hex ids to bytes). */
export function protobufOf(req: unknown): Buffer {
  const copy = structuredClone(req) as unknown as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
  for (const rs of copy.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        s.traceId = Buffer.from(s.traceId as string, 'hex');
        s.spanId = Buffer.from(s.spanId as string, 'hex');
        for (const kv of s.attributes as { value: Record<string, unknown> }[]) if ('intValue' in kv.value) kv.value.intValue = Number(kv.value.intValue);
      }
    }
  }
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(copy)).finish());
}

