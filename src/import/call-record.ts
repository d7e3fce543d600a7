import type { NewCall } from '../tape/row.js';
import { flagBits } from '../tape/row.js';
import { invalidCall } from '../tape/validate.js';
import { parseWhen } from '../time.js';
import { decimalToMicros } from '../pricing/micros.js';

/** price_version of an imported cost whose file names no price list */
export const UNKNOWN_PRICE_VERSION = 'unknown';

/**
 * One record of an import (an NDJSON object, or a CSV row mapped by its header) to a call, in the
 * `tape --json` field names. `ts` (ISO) and/or `ts_ms`; `flags` as names. A `cost_micros` is kept
 * as it is, under its `price_version` ("unknown" when the file names none); an explicit null cost
 * beside a price_version stays unpriced (a dump re-imports to the same rows; in CSV, an empty cost
 * cell beside a price_version says the same); a missing cost is priced at insertion. `cost_usd`
 * (the dump's decimal string) must agree with `cost_micros`, and stands in for it when absent.
 * `id` is ignored: ids are the importing tape's arrival order. Throws a reason (no location).
 */
export function toCall(rec: Record<string, unknown>, fallbackSource: string): NewCall {
  const str = (k: string): string | undefined => {
    const v = rec[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new Error(`${k} must be a string`);
    return v;
  };
  const int = (k: string): number | undefined => {
    const v = rec[k];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw new Error(`${k} must be a whole number, got ${JSON.stringify(v)}`);
    return n;
  };
  let ts = int('ts_ms');
  const iso = str('ts');
  if (iso !== undefined) {
    const parsed = /^\d{4}-\d{2}-\d{2}/.test(iso) ? parseWhen(iso, 0) : null;
    if (parsed === null) throw new Error(`ts must be an ISO-8601 time, got ${JSON.stringify(iso)}`);
    if (ts !== undefined && ts !== parsed) throw new Error(`ts (${iso}) and ts_ms (${ts}) disagree`);
    ts = parsed;
  }
  if (ts === undefined) throw new Error('ts or ts_ms is required');
  let flags = 0;
  const f = rec.flags;
  if (Array.isArray(f)) flags = flagBits(f.map(String));
  else if (typeof f === 'string' && f !== '') flags = /^\d+$/.test(f) ? Number(f) : flagBits(f.split('|').map((s) => s.trim()));
  else if (typeof f === 'number') flags = f;
  let cost = int('cost_micros');
  const version = str('price_version');
  const usd = rec.cost_usd;
  if (usd !== undefined && usd !== null && usd !== '') {
    // the dump's exact decimal string of the same cost: it must agree, and stands in when cost_micros is absent
    const m = typeof usd === 'string' && /^\d+(\.\d{1,6})?$/.test(usd.trim()) ? decimalToMicros(usd) : null;
    if (m === null) throw new Error(`cost_usd must be a decimal string of US dollars with at most 6 decimals, got ${JSON.stringify(usd)}`);
    if ((cost !== undefined && cost !== m) || rec.cost_micros === null) throw new Error(`cost_usd (${usd}) and cost_micros (${cost}) disagree`);
    cost = m;
  }
  const call: NewCall = {
    ts,
    host: str('host'),
    project: str('project') as string,
    provider: str('provider') as string,
    model: str('model') as string,
    input_tok: int('input_tok') as number,
    output_tok: int('output_tok') as number,
    cached_tok: int('cached_tok') ?? 0,
    cache_write_tok: int('cache_write_tok') ?? 0,
    cache_write_1h_tok: int('cache_write_1h_tok') ?? 0,
    duration_ms: int('duration_ms') as number,
    status: int('status') as number,
    flags,
    provider_cost_micros: int('provider_cost_micros') ?? null,
    request_id: str('request_id') ?? null,
    source: str('source') ?? fallbackSource,
  };
  if (cost !== undefined) {
    // a cost from a file that does not say which price list made it is kept as given, and the
    // row says so: "unknown" rather than a version that did not price it
    call.cost_micros = cost;
    call.price_version = version ?? UNKNOWN_PRICE_VERSION;
  } else if ((rec.cost_micros === null || rec.cost_micros === '') && version !== undefined) {
    // an unpriced row from a dump stays as it was: re-importing gives the same row. In CSV an
    // empty cost beside the price list that left it unpriced says the same (an empty cost with
    // no price_version is a row to price)
    call.cost_micros = null;
    call.price_version = version;
  }
  const why = invalidCall(call);
  if (why) throw new Error(why);
  return call;
}
