import type { CallRow } from './row.js';
import { flagNames } from './row.js';
import { microsToUsd } from '../pricing/micros.js';

/** DEL, C1 controls and the JS line separators: JSON.stringify leaves these raw. */
const EXTRA_CONTROL = /[\u007f-\u009f\u2028\u2029]/g;

/** A JSON string literal with every control character escaped (C0 by JSON.stringify, DEL/C1 here). */
export function jsonString(s: string): string {
  const out = JSON.stringify(s);
  EXTRA_CONTROL.lastIndex = 0;
  return EXTRA_CONTROL.test(out) ? out.replace(EXTRA_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : out;
}

/** Escaped literals of the strings that repeat on every row (hosts, projects, models...). */
const literalCache = new Map<string, string>();
function lit(s: string): string {
  let out = literalCache.get(s);
  if (out === undefined) {
    out = jsonString(s);
    if (literalCache.size > 50_000) literalCache.clear();
    literalCache.set(s, out);
  }
  return out;
}

const flagsCache = new Map<number, string>();
function flagsJson(bits: number): string {
  let out = flagsCache.get(bits);
  if (out === undefined) {
    out = JSON.stringify(flagNames(bits));
    flagsCache.set(bits, out);
  }
  return out;
}

/** "2026-12-03T18:00:00.123Z": the one honest clock, UTC with ms and Z. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * One call as a JSON line (no newline), fields in the documented order. Built by hand rather
 * than through an object and JSON.stringify: this is the hot loop of `tape --json`.
 */
export function callJson(r: CallRow): string {
  const cost = r.cost_micros;
  return (
    `{"type":"call","id":${r.id},"ts":"${isoUtc(r.ts)}","ts_ms":${r.ts},"host":${lit(r.host)},"project":${lit(r.project)},` +
    `"provider":${lit(r.provider)},"model":${lit(r.model)},"input_tok":${r.input_tok},"output_tok":${r.output_tok},` +
    `"cached_tok":${r.cached_tok},"cache_write_tok":${r.cache_write_tok},"cache_write_1h_tok":${r.cache_write_1h_tok},` +
    `"duration_ms":${r.duration_ms},"cost_micros":${cost === null ? 'null' : cost},"cost_usd":${cost === null ? 'null' : `"${microsToUsd(cost)}"`},` +
    `"price_version":${lit(r.price_version)},"provider_cost_micros":${r.provider_cost_micros === null ? 'null' : r.provider_cost_micros},` +
    `"status":${r.status},"flags":${flagsJson(r.flags)},"request_id":${r.request_id === null ? 'null' : jsonString(r.request_id)},"source":${lit(r.source)}}`
  );
}

/** Any other object as a JSON line, with the same control-character escaping. */
export function objectJson(o: unknown): string {
  const out = JSON.stringify(o);
  EXTRA_CONTROL.lastIndex = 0;
  return EXTRA_CONTROL.test(out) ? out.replace(EXTRA_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : out;
}
