import { ExportTraceServiceRequestView, type LongLike, type PbAnyValue, type PbKeyValue, type PbRequest } from './schema.js';

/** An attribute value as the mapping sees it: arrays, maps and bytes are not needed and read as null. */
export type AttrValue = string | number | boolean | null;
export type Attrs = Map<string, AttrValue>;

/** A time in Unix nanoseconds, split exactly into whole ms and the ns below it (no BigInt, no float loss). */
export interface NanoTime {
  readonly ms: number;
  readonly sub: number;
}

/** One span, reduced to what becomes a row. Ids are lowercase hex ("" when absent). */
export interface SpanIn {
  readonly traceId: string;
  readonly spanId: string;
  readonly start: NanoTime;
  readonly end: NanoTime;
  readonly attrs: Attrs;
  /** Status.code: 0 unset, 1 ok, 2 error */
  readonly statusCode: number;
}

export interface ResourceIn {
  readonly attrs: Attrs;
  readonly spans: SpanIn[];
}

/** What a request carried: every span counted, only the spans `keep` asked for kept. */
export interface DecodedRequest {
  readonly resources: ResourceIn[];
  readonly totalSpans: number;
}

/** Which attribute keys to keep, and which spans are worth turning into rows. */
export interface DecodeFilter {
  wantKey(key: string): boolean;
  keepSpan(attrs: Attrs): boolean;
}

/** The body cannot be decoded as an ExportTraceServiceRequest: a 400, nothing written. */
export class DecodeError extends Error {}

const ZERO: NanoTime = { ms: 0, sub: 0 };
const TWO32_MS = 4294; // 2^32 ns = 4294 ms + 967296 ns
const TWO32_SUB = 967_296;

/** fixed64 nanoseconds (protobufjs Long, or a plain number when Long is absent) to ms + ns, exactly. */
export function longNanos(v: LongLike | number | null | undefined): NanoTime {
  if (v === null || v === undefined) return ZERO;
  if (typeof v === 'number') return numberNanos(v);
  const hi = v.high >>> 0;
  const lo = v.low >>> 0;
  const rest = hi * TWO32_SUB + lo; // < 2^53: exact
  return { ms: hi * TWO32_MS + Math.floor(rest / 1e6), sub: rest % 1e6 };
}

function numberNanos(n: number): NanoTime {
  if (!Number.isFinite(n) || n <= 0) return ZERO;
  const ms = Math.floor(n / 1e6);
  return { ms, sub: Math.max(0, Math.min(999_999, Math.round(n - ms * 1e6))) };
}

/** int64 (Long or number) to a number; NaN when it does not fit exactly. */
function longValue(v: LongLike | number): number {
  if (typeof v === 'number') return v;
  const hi = v.high | 0;
  const lo = v.low >>> 0;
  const n = v.unsigned ? (hi >>> 0) * 4294967296 + lo : hi * 4294967296 + lo;
  return Number.isSafeInteger(n) ? n : NaN;
}

const own = Object.prototype.hasOwnProperty;

/** The set member of the AnyValue oneof: decoded messages carry it as an own property (defaults live on the prototype). */
function pbValue(v: PbAnyValue | null | undefined): AttrValue {
  if (!v) return null;
  if (own.call(v, 'stringValue')) return v.stringValue!;
  if (own.call(v, 'intValue')) return longValue(v.intValue!);
  if (own.call(v, 'doubleValue')) return v.doubleValue!;
  if (own.call(v, 'boolValue')) return v.boolValue!;
  return null;
}

function pbAttrs(list: readonly PbKeyValue[] | undefined, filter: DecodeFilter): Attrs {
  const out: Attrs = new Map();
  if (!list) return out;
  for (const kv of list) if (filter.wantKey(kv.key)) out.set(kv.key, pbValue(kv.value));
  return out;
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes && bytes.length ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

/**
 * Binary protobuf through protobufjs and the schema view: the reference the receiver's own wire
 * reader (wire.ts, `decodeProtobuf`) is tested against. Throws DecodeError on a malformed message.
 */
export function decodeWithProtobufjs(body: Uint8Array, filter: DecodeFilter): DecodedRequest {
  let msg: PbRequest;
  try {
    msg = ExportTraceServiceRequestView.decode(body) as unknown as PbRequest;
  } catch (err) {
    throw new DecodeError(`the body is not a protobuf ExportTraceServiceRequest (${(err as Error).message})`);
  }
  const resources: ResourceIn[] = [];
  let totalSpans = 0;
  for (const rs of msg.resourceSpans) {
    const spans: SpanIn[] = [];
    for (const ss of rs.scopeSpans) {
      totalSpans += ss.spans.length;
      for (const s of ss.spans) {
        const attrs = pbAttrs(s.attributes, filter);
        if (!filter.keepSpan(attrs)) continue;
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          start: longNanos(s.startTimeUnixNano),
          end: longNanos(s.endTimeUnixNano),
          attrs,
          statusCode: s.status?.code ?? 0,
        });
      }
    }
    if (spans.length) resources.push({ attrs: pbAttrs(rs.resource?.attributes, filter), spans });
  }
  return { resources, totalSpans };
}
