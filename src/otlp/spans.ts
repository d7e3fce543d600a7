import type { NewCall } from '../tape/row.js';
import { Flag } from '../tape/row.js';
import type { AttrValue, Attrs, DecodeFilter, ResourceIn, SpanIn } from './decode.js';
import { KEYS, NOT_A_CALL, RESOURCE_KEYS, normaliseProvider, providerFromModel, statusFromErrorType, wantKey } from './conventions.js';

/** What the receiver knows that spans do not say. */
export interface MappingDefaults {
  /** project for spans and resources that name none */
  readonly project: string;
  /** price list version, written on rows left explicitly unpriced (no usage reported) */
  readonly priceVersion: string;
}

export type SpanOutcome = { readonly call: NewCall; readonly reject?: undefined } | { readonly call?: undefined; readonly reject: string };

const MAX_TEXT = 200;
/** No single call comes near this (context windows are a few million tokens): larger is a mapping bug upstream. */
const MAX_TOKENS = 1_000_000_000;
// C0/C1 controls, DEL, and the bidi overrides that can reorder a terminal line
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Untrusted attribute text: control characters removed, trimmed, bounded. "" when nothing is left. */
export function cleanText(v: string, max = MAX_TEXT): string {
  let s = v.length > max * 4 ? v.slice(0, max * 4) : v;
  UNSAFE.lastIndex = 0;
  if (UNSAFE.test(s)) s = s.replace(UNSAFE, '');
  s = s.trim();
  if (s.length > max) {
    s = s.slice(0, max);
    // never end on half a surrogate pair
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  }
  return s;
}

function first(attrs: Attrs, keys: readonly string[]): AttrValue | undefined {
  for (const k of keys) {
    const v = attrs.get(k);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function text(attrs: Attrs, keys: readonly string[]): string {
  const v = first(attrs, keys);
  if (v === undefined) return '';
  return cleanText(typeof v === 'string' ? v : String(v));
}

class BadAttr extends Error {}

/** A token count: a whole number ≥ 0, given as an int, a whole double or a decimal string. */
function count(attrs: Attrs, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = attrs.get(k);
    if (v === undefined || v === null) continue;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw new BadAttr(`${k} is not a whole number ≥ 0 (${cleanText(String(v), 40)})`);
    if (n > MAX_TOKENS) throw new BadAttr(`${k} is implausibly large for one call (${n} > ${MAX_TOKENS})`);
    return n;
  }
  return undefined;
}

function has(attrs: Attrs, keys: readonly string[]): boolean {
  for (const k of keys) if (attrs.has(k)) return true;
  return false;
}

/** Is this span one model call? It names a model or reports token usage, and is not an agent or tool span. */
export function isModelCall(attrs: Attrs): boolean {
  if (!has(attrs, KEYS.model) && !has(attrs, KEYS.input) && !has(attrs, KEYS.output)) return false;
  const op = attrs.get('gen_ai.operation.name');
  if (typeof op === 'string' && NOT_A_CALL.has(op)) return false;
  const oi = attrs.get('openinference.span.kind');
  if (typeof oi === 'string' && oi.toUpperCase() !== 'LLM') return false;
  return true;
}

export const FILTER: DecodeFilter = { wantKey, keepSpan: isModelCall };

function statusOf(span: SpanIn): number {
  const http = first(span.attrs, KEYS.httpStatus);
  const n = typeof http === 'number' ? http : typeof http === 'string' ? Number(http) : NaN;
  if (Number.isInteger(n) && n >= 100 && n <= 599) return n;
  const errorType = first(span.attrs, KEYS.errorType);
  if (typeof errorType === 'string') return statusFromErrorType(errorType);
  return span.statusCode === 2 ? 500 : 200;
}

/** The project: the span's llm.project, the resource's, the service name, else the configured default. */
export function projectOf(span: SpanIn, resource: Attrs, fallback: string): string {
  const own = text(span.attrs, KEYS.project) || text(resource, RESOURCE_KEYS.project);
  if (own) return own;
  const service = text(resource, RESOURCE_KEYS.service);
  // SDKs name a service they were not told about "unknown_service" or "unknown_service:<process>"
  if (service && !service.startsWith('unknown_service')) return service;
  return fallback;
}

function durationMs(span: SpanIn): number {
  const { start, end } = span;
  if (end.ms === 0 && end.sub === 0) return 0;
  const ns = (end.ms - start.ms) * 1e6 + (end.sub - start.sub);
  return ns > 0 ? Math.round(ns / 1e6) : 0;
}

/** The usage columns, with cached and reasoning counts folded in as the conventions say (see conventions.ts). */
function usageOf(attrs: Attrs, provider: string): Pick<NewCall, 'input_tok' | 'output_tok' | 'cached_tok' | 'cache_write_tok' | 'cache_write_1h_tok'> | null {
  const input = count(attrs, KEYS.input);
  const output = count(attrs, KEYS.output);
  const cached = count(attrs, KEYS.cacheRead) ?? 0;
  let writes = count(attrs, KEYS.cacheWrite) ?? 0;
  const writes1h = count(attrs, KEYS.cacheWrite1h) ?? 0;
  const reasoning = count(attrs, KEYS.reasoning) ?? 0;
  const total = count(attrs, KEYS.total);
  if (input === undefined && output === undefined) return null;
  if (writes1h > writes) writes = writes1h;
  let inTok = input ?? 0;
  const inAdded = cached + writes > inTok;
  if (inAdded) inTok += cached + writes;
  let outTok = output ?? 0;
  const outAdded = reasoning > outTok;
  if (outAdded) outTok += reasoning;
  const gap = total !== undefined ? total - inTok - outTok : 0;
  if (gap > 0) {
    if (!outAdded && reasoning > 0 && gap === reasoning) outTok += gap;
    else if (!inAdded && cached + writes > 0 && gap === cached + writes) inTok += gap;
    else if (provider === 'google') outTok += gap;
  }
  return { input_tok: inTok, output_tok: outTok, cached_tok: cached, cache_write_tok: writes, cache_write_1h_tok: writes1h };
}

const ID_TEXT = /^[\x21-\x7e]{1,200}$/;

/** One span (already known to be a model call) to a row, or the reason it is rejected. */
export function spanToCall(span: SpanIn, resource: ResourceIn, d: MappingDefaults): SpanOutcome {
  if (span.traceId.length !== 32 || /^0+$/.test(span.traceId)) return { reject: 'traceId is not 16 bytes' };
  if (span.spanId.length !== 16 || /^0+$/.test(span.spanId)) return { reject: 'spanId is not 8 bytes' };
  if (span.start.ms <= 0) return { reject: 'startTimeUnixNano is missing' };
  const model = text(span.attrs, KEYS.model) || 'unknown';
  const named = text(span.attrs, KEYS.provider);
  const provider = (named ? cleanText(normaliseProvider(named)) : '') || providerFromModel(model);
  let usage;
  try {
    usage = usageOf(span.attrs, provider);
  } catch (err) {
    if (err instanceof BadAttr) return { reject: err.message };
    throw err;
  }
  const rid = text(span.attrs, KEYS.requestId);
  const host = text(resource.attrs, RESOURCE_KEYS.host);
  const call: NewCall = {
    ts: span.start.ms,
    project: projectOf(span, resource.attrs, d.project),
    provider,
    model,
    input_tok: usage?.input_tok ?? 0,
    output_tok: usage?.output_tok ?? 0,
    cached_tok: usage?.cached_tok ?? 0,
    cache_write_tok: usage?.cache_write_tok ?? 0,
    cache_write_1h_tok: usage?.cache_write_1h_tok ?? 0,
    duration_ms: durationMs(span),
    status: statusOf(span),
    // the provider's id dedupes across sources (proxy and spans of the same call); else the span's own identity
    request_id: rid && ID_TEXT.test(rid) ? rid : `otlp:${span.traceId}:${span.spanId}`,
    source: 'otlp',
  };
  if (host) call.host = host;
  if (!usage) {
    // no usage reported: never priced as if the call were free
    call.flags = Flag.usage_missing;
    call.cost_micros = null;
    call.price_version = d.priceVersion;
  }
  return { call };
}
