import { DecodeError, longNanos, type AttrValue, type Attrs, type DecodeFilter, type DecodedRequest, type NanoTime, type ResourceIn, type SpanIn } from './decode.js';

/**
 * A protobuf wire decoder for ExportTraceServiceRequest that reads only what a row needs.
 *
 * Why not protobufjs here (it is kept for the schema, the responses and as the reference in tests):
 * protobufjs materialises every attribute, event and link as objects, and 64-bit integers as Long
 * objects; on SDK batches of LLM spans a third of its decoding time was garbage collection. This
 * reader walks the same field numbers (schema.ts, checked against opentelemetry-proto) and skips
 * unwanted attributes, events, links and scopes without allocating anything, so prompt or completion
 * text carried in spans is never even turned into strings. Times are read as two uint32 halves,
 * exactly. Malformed input (truncation, overlong varints, lengths past their message, groups) is a
 * DecodeError; unknown fields are skipped, as proto3 requires, and so is a known field that arrives
 * with another wire type (the official runtimes read it as an unknown field too).
 *
 * Field numbers read:
 *   ExportTraceServiceRequest: 1 resource_spans
 *   ResourceSpans: 1 resource, 2 scope_spans      Resource: 1 attributes     ScopeSpans: 2 spans
 *   Span: 1 trace_id, 2 span_id, 7 start_time_unix_nano (fixed64), 8 end_time_unix_nano (fixed64),
 *         9 attributes, 15 status                 Status: 3 code
 *   KeyValue: 1 key, 2 value                      AnyValue: 1 string, 2 bool, 3 int64, 4 double
 */

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** A tag as it appears on the wire. A known field that arrives with another wire type is skipped as unknown. */
const key = (field: number, wt: number) => field * 8 + wt;
const RS_RESOURCE = key(1, LEN);
const RS_SCOPE_SPANS = key(2, LEN);
const SPAN_TRACE_ID = key(1, LEN);
const SPAN_SPAN_ID = key(2, LEN);
const SPAN_START = key(7, I64);
const SPAN_END = key(8, I64);
const SPAN_ATTRIBUTES = key(9, LEN);
const SPAN_STATUS = key(15, LEN);
const STATUS_CODE = key(3, VARINT);
const KV_KEY = key(1, LEN);
const KV_VALUE = key(2, LEN);
const ANY_STRING = key(1, LEN);
const ANY_BOOL = key(2, VARINT);
const ANY_INT = key(3, VARINT);
const ANY_DOUBLE = key(4, I64);

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly filter: DecodeFilter,
  ) {}

  fail(what: string): never {
    throw new DecodeError(`the body is not a protobuf ExportTraceServiceRequest (${what} at byte ${this.pos})`);
  }

  /** A varint as a number: exact up to 2^53, NaN above (no 64-bit field read here needs more). */
  varint(): number {
    const { buf } = this;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) this.fail('truncated varint');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result <= Number.MAX_SAFE_INTEGER ? result : NaN;
      scale *= 128;
    }
    this.fail('varint longer than 10 bytes');
  }

  /** A varint value of a field inside a message that ends at `limit`. */
  varintIn(limit: number): number {
    const v = this.varint();
    if (this.pos > limit) this.fail('varint past the end of its message');
    return v;
  }

  /** The end of a length-delimited field that starts here. */
  lenEnd(limit: number): number {
    const n = this.varint();
    const end = this.pos + n;
    if (!Number.isSafeInteger(n) || end > limit) this.fail('length past the end of its message');
    return end;
  }

  skip(wt: number, limit: number): void {
    if (wt === VARINT) this.varint();
    else if (wt === I64) this.pos += 8;
    else if (wt === LEN) this.pos = this.lenEnd(limit);
    else if (wt === I32) this.pos += 4;
    else this.fail(`wire type ${wt}`);
    if (this.pos > limit) this.fail('field past the end of its message');
  }

  /** Reads a tag (field number × 8 + wire type), compared whole against `key(...)` below. */
  tag(limit: number): number {
    const t = this.varint();
    if (!(t <= 0xffffffff) || this.pos > limit) this.fail('bad tag');
    if (t < 8) this.fail('field number 0');
    return t;
  }

  /** Skips the field of this tag: unknown, or known with another wire type (read as unknown, as protobuf does). */
  skipTag(t: number, limit: number): void {
    this.skip(t & 7, limit);
  }

  fixed64(limit: number): NanoTime {
    if (this.pos + 8 > limit) this.fail('truncated fixed64');
    const low = this.buf.readUInt32LE(this.pos);
    const high = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return longNanos({ low, high, unsigned: true });
  }

  anyValue(end: number): AttrValue {
    let v: AttrValue = null;
    while (this.pos < end) {
      const t = this.tag(end);
      if (t === ANY_STRING) {
        const e = this.lenEnd(end);
        v = this.buf.toString('utf8', this.pos, e);
        this.pos = e;
      } else if (t === ANY_BOOL) {
        v = this.varintIn(end) !== 0;
      } else if (t === ANY_INT) {
        v = this.varintIn(end); // negative int64s are 10-byte varints: NaN here, and no count is negative
      } else if (t === ANY_DOUBLE) {
        if (this.pos + 8 > end) this.fail('truncated double');
        v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
      } else {
        this.skipTag(t, end);
        if (t >>> 3 <= 7) v = null; // array, kvlist, bytes: not needed for a row (the oneof's last member wins)
      }
    }
    return v;
  }

  /** One KeyValue into `out`, when its key is wanted; its value is not even read otherwise. */
  keyValue(end: number, out: Attrs): void {
    let key: string | null = null;
    let vStart = -1;
    let vEnd = -1;
    while (this.pos < end) {
      const t = this.tag(end);
      if (t === KV_KEY) {
        const e = this.lenEnd(end);
        // latin1: one byte, one char, no UTF-8 work; every wanted key is ASCII, so others never match
        key = this.buf.toString('latin1', this.pos, e);
        this.pos = e;
      } else if (t === KV_VALUE) {
        vEnd = this.lenEnd(end);
        vStart = this.pos;
        this.pos = vEnd;
      } else this.skipTag(t, end);
    }
    if (key === null || !this.filter.wantKey(key)) return;
    if (vStart < 0) return void out.set(key, null);
    const save = this.pos;
    this.pos = vStart;
    out.set(key, this.anyValue(vEnd));
    this.pos = save;
  }

  attrsInto(end: number, out: Attrs): void {
    const e = this.lenEnd(end);
    this.keyValue(e, out);
    this.pos = e;
  }

  statusCode(end: number): number {
    let code = 0;
    while (this.pos < end) {
      const t = this.tag(end);
      if (t === STATUS_CODE) code = this.varintIn(end);
      else this.skipTag(t, end);
    }
    return code;
  }

  bytesHex(end: number): string {
    const e = this.lenEnd(end);
    const hex = this.buf.toString('hex', this.pos, e);
    this.pos = e;
    return hex;
  }

  span(end: number): SpanIn | null {
    const attrs: Attrs = new Map();
    let traceId = '';
    let spanId = '';
    let start: NanoTime = { ms: 0, sub: 0 };
    let stop: NanoTime = start;
    let statusCode = 0;
    while (this.pos < end) {
      const t = this.tag(end);
      if (t === SPAN_TRACE_ID) traceId = this.bytesHex(end);
      else if (t === SPAN_SPAN_ID) spanId = this.bytesHex(end);
      else if (t === SPAN_START) start = this.fixed64(end);
      else if (t === SPAN_END) stop = this.fixed64(end);
      else if (t === SPAN_ATTRIBUTES) this.attrsInto(end, attrs);
      else if (t === SPAN_STATUS) {
        const e = this.lenEnd(end);
        statusCode = this.statusCode(e);
        this.pos = e;
      } else this.skipTag(t, end);
    }
    return this.filter.keepSpan(attrs) ? { traceId, spanId, start, end: stop, attrs, statusCode } : null;
  }

  /** Walks a message, calling `on` for each length-delimited field `field`; everything else is skipped. */
  each(end: number, field: number, on: (end: number) => void): void {
    const want = key(field, LEN);
    while (this.pos < end) {
      const t = this.tag(end);
      if (t !== want) {
        this.skipTag(t, end);
        continue;
      }
      const e = this.lenEnd(end);
      on(e);
      this.pos = e;
    }
  }
}

/** Binary protobuf (application/x-protobuf) to spans. Throws DecodeError on a malformed message. */
export function decodeProtobuf(body: Uint8Array, filter: DecodeFilter): DecodedRequest {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const r = new Reader(buf, filter);
  const resources: ResourceIn[] = [];
  let totalSpans = 0;
  r.each(buf.length, 1, (rsEnd) => {
    const resAttrs: Attrs = new Map();
    const spans: SpanIn[] = [];
    while (r.pos < rsEnd) {
      const t = r.tag(rsEnd);
      if (t === RS_RESOURCE) {
        const e = r.lenEnd(rsEnd);
        r.each(e, 1, (kvEnd) => r.keyValue(kvEnd, resAttrs));
        r.pos = e;
      } else if (t === RS_SCOPE_SPANS) {
        const e = r.lenEnd(rsEnd);
        r.each(e, 2, (spanEnd) => {
          totalSpans++;
          const s = r.span(spanEnd);
          if (s) spans.push(s);
        });
        r.pos = e;
      } else r.skipTag(t, rsEnd);
    }
    if (spans.length) resources.push({ attrs: resAttrs, spans });
  });
  return { resources, totalSpans };
}
