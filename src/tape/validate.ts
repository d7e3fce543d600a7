import type { NewCall } from './row.js';

const MAX_TEXT = 256;
/** 10000-01-01T00:00:00Z: later times cannot be written as ISO-8601 (and would overflow the rollups' keys) */
export const MAX_TS = 253_402_300_800_000;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Why a call cannot go on the tape, or null when it can. Used by every writer before anything is written. */
export function invalidCall(c: Partial<NewCall>): string | null {
  if (!isCount(c.ts) || c.ts >= MAX_TS) return 'ts must be a time (epoch ms ≥ 0, before the year 10000)';
  for (const k of ['project', 'provider', 'model', 'source'] as const) {
    const v = c[k];
    if (typeof v !== 'string' || v.length === 0) return `${k} must be a non-empty string`;
    if (v.length > MAX_TEXT) return `${k} is longer than ${MAX_TEXT} characters`;
  }
  if (c.host !== undefined && (typeof c.host !== 'string' || c.host.length === 0 || c.host.length > MAX_TEXT)) return 'host must be a non-empty string';
  for (const k of ['input_tok', 'output_tok', 'duration_ms'] as const) {
    if (!isCount(c[k])) return `${k} must be a whole number ≥ 0`;
  }
  for (const k of ['cached_tok', 'cache_write_tok', 'cache_write_1h_tok', 'flags'] as const) {
    if (c[k] !== undefined && !isCount(c[k])) return `${k} must be a whole number ≥ 0`;
  }
  const cached = c.cached_tok ?? 0;
  const writes = c.cache_write_tok ?? 0;
  if (cached + writes > c.input_tok!) return 'cached_tok + cache_write_tok cannot exceed input_tok (input_tok counts ALL input tokens)';
  if ((c.cache_write_1h_tok ?? 0) > writes) return 'cache_write_1h_tok cannot exceed cache_write_tok';
  if (!Number.isInteger(c.status) || c.status! < 0 || c.status! > 999) return 'status must be an HTTP status code';
  if (c.cost_micros !== undefined && c.cost_micros !== null && !isCount(c.cost_micros)) return 'cost_micros must be a whole number of micro-USD ≥ 0, or null';
  if (c.cost_micros !== undefined && (typeof c.price_version !== 'string' || c.price_version.length === 0)) return 'price_version is required with cost_micros';
  if (c.provider_cost_micros !== undefined && c.provider_cost_micros !== null && !isCount(c.provider_cost_micros)) return 'provider_cost_micros must be a whole number ≥ 0, or null';
  if (c.request_id !== undefined && c.request_id !== null && (typeof c.request_id !== 'string' || c.request_id.length === 0 || c.request_id.length > MAX_TEXT)) return 'request_id must be a non-empty string or null';
  return null;
}
