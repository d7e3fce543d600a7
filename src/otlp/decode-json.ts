import { DecodeError, type AttrValue, type Attrs, type DecodeFilter, type DecodedRequest, type NanoTime, type ResourceIn, type SpanIn } from './decode.js';

/**
 * OTLP/JSON (application/json) to spans, following the proto3 JSON mapping with OTLP's
 * deviations: trace and span ids are case-insensitive hex (not base64), enums are integers,
 * 64-bit integers arrive as decimal strings or as numbers, unknown fields are ignored.
 * Keys are lowerCamelCase; the original snake_case proto names are accepted too, as the
 * proto3 JSON parsers and the Collector's own unmarshaler do (lenient in what we accept).
 * A value of the wrong JSON type is a DecodeError (400), as a proto3 JSON parser would say.
 */

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new DecodeError(`${path}: ${what}`);
}

function field(o: Obj, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : o[snake];
}

function obj(v: unknown, path: string): Obj | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'expected an object');
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}

const HEX = /^[0-9a-fA-F]*$/;

function hexId(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string' || !HEX.test(v) || v.length % 2 !== 0) fail(path, 'expected a hex string');
  return v.toLowerCase();
}

const DIGITS = /^\d{1,30}$/;

/** fixed64 Unix nanos as a decimal string (exact) or a JSON number. */
function nanos(v: unknown, path: string): NanoTime {
  if (v === undefined || v === null) return { ms: 0, sub: 0 };
  if (typeof v === 'string') {
    if (!DIGITS.test(v)) fail(path, 'expected Unix nanoseconds as a decimal string or number');
    if (v.length <= 6) return { ms: 0, sub: Number(v) };
    return { ms: Number(v.slice(0, -6)), sub: Number(v.slice(-6)) };
  }
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    const ms = Math.floor(v / 1e6);
    return { ms, sub: Math.max(0, Math.min(999_999, Math.round(v - ms * 1e6))) };
  }
  fail(path, 'expected Unix nanoseconds as a decimal string or number');
}

function int64(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : NaN;
  }
  fail(path, 'expected a 64-bit integer (decimal string or number)');
}

function anyValue(v: unknown, path: string): AttrValue {
  const o = obj(v, path);
  if (!o) return null;
  let x: unknown;
  if ((x = field(o, 'stringValue', 'string_value')) !== undefined && x !== null) {
    if (typeof x !== 'string') fail(`${path}.stringValue`, 'expected a string');
    return x;
  }
  if ((x = field(o, 'intValue', 'int_value')) !== undefined && x !== null) return int64(x, `${path}.intValue`);
  if ((x = field(o, 'doubleValue', 'double_value')) !== undefined && x !== null) {
    if (typeof x === 'number') return x;
    if (x === 'NaN' || x === 'Infinity' || x === '-Infinity' || (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x)))) return Number(x);
    fail(`${path}.doubleValue`, 'expected a number');
  }
  if ((x = field(o, 'boolValue', 'bool_value')) !== undefined && x !== null) {
    if (typeof x !== 'boolean') fail(`${path}.boolValue`, 'expected true or false');
    return x;
  }
  return null; // arrays, key-value lists, bytes: not needed for a row
}

function attrs(v: unknown, path: string, filter: DecodeFilter): Attrs {
  const out: Attrs = new Map();
  const list = arr(v, path);
  for (let i = 0; i < list.length; i++) {
    const kv = obj(list[i], `${path}[${i}]`);
    if (!kv) continue;
    const key = kv.key;
    if (typeof key !== 'string') fail(`${path}[${i}].key`, 'expected a string');
    if (filter.wantKey(key)) out.set(key, anyValue(kv.value, `${path}[${i}].value`));
  }
  return out;
}

function statusCode(v: unknown, path: string): number {
  const o = obj(v, path);
  if (!o) return 0;
  const c = o.code;
  if (c === undefined || c === null) return 0;
  if (typeof c === 'number' && Number.isInteger(c)) return c;
  // OTLP says integers only; the proto3 names are read anyway rather than refusing a whole batch
  if (c === 'STATUS_CODE_UNSET') return 0;
  if (c === 'STATUS_CODE_OK') return 1;
  if (c === 'STATUS_CODE_ERROR') return 2;
  fail(`${path}.code`, 'expected an integer status code');
}

function span(v: unknown, path: string, filter: DecodeFilter): SpanIn | null {
  const s = obj(v, path);
  if (!s) return null;
  const a = attrs(s.attributes, `${path}.attributes`, filter);
  if (!filter.keepSpan(a)) return null;
  return {
    traceId: hexId(field(s, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: hexId(field(s, 'spanId', 'span_id'), `${path}.spanId`),
    start: nanos(field(s, 'startTimeUnixNano', 'start_time_unix_nano'), `${path}.startTimeUnixNano`),
    end: nanos(field(s, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attrs: a,
    statusCode: statusCode(s.status, `${path}.status`),
  };
}

/** Parses and walks an OTLP/JSON ExportTraceServiceRequest. Throws DecodeError on a malformed body. */
export function decodeJson(body: Buffer, filter: DecodeFilter): DecodedRequest {
  let root: unknown;
  try {
    root = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new DecodeError(`the body is not JSON (${(err as Error).message})`);
  }
  const top = obj(root, 'request');
  if (!top) throw new DecodeError('request: expected an ExportTraceServiceRequest object');
  const resources: ResourceIn[] = [];
  let totalSpans = 0;
  const rsList = arr(field(top, 'resourceSpans', 'resource_spans'), 'resourceSpans');
  for (let r = 0; r < rsList.length; r++) {
    const rp = `resourceSpans[${r}]`;
    const rs = obj(rsList[r], rp);
    if (!rs) continue;
    const spans: SpanIn[] = [];
    const ssList = arr(field(rs, 'scopeSpans', 'scope_spans'), `${rp}.scopeSpans`);
    for (let i = 0; i < ssList.length; i++) {
      const sp = `${rp}.scopeSpans[${i}]`;
      const ss = obj(ssList[i], sp);
      if (!ss) continue;
      const list = arr(ss.spans, `${sp}.spans`);
      totalSpans += list.length;
      for (let j = 0; j < list.length; j++) {
        const s = span(list[j], `${sp}.spans[${j}]`, filter);
        if (s) spans.push(s);
      }
    }
    if (spans.length) {
      const res = obj(rs.resource, `${rp}.resource`);
      resources.push({ attrs: res ? attrs(res.attributes, `${rp}.resource.attributes`, filter) : new Map(), spans });
    }
  }
  return { resources, totalSpans };
}
