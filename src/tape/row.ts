/** One call on the tape, as stored (schema v1). Money in integer micro-USD, time in UTC epoch ms. */
export interface CallRow {
  readonly id: number;
  readonly ts: number;
  readonly host: string;
  readonly project: string;
  readonly provider: string;
  readonly model: string;
  readonly input_tok: number;
  readonly output_tok: number;
  readonly cached_tok: number;
  readonly cache_write_tok: number;
  readonly cache_write_1h_tok: number;
  readonly duration_ms: number;
  readonly cost_micros: number | null;
  readonly price_version: string;
  readonly provider_cost_micros: number | null;
  readonly status: number;
  readonly flags: number;
  readonly request_id: string | null;
  readonly source: string;
}

/** A call about to be appended: no id yet; cost may be left for the writer to price. */
export interface NewCall {
  ts: number;
  host?: string;
  project: string;
  provider: string;
  model: string;
  input_tok: number;
  output_tok: number;
  cached_tok?: number;
  cache_write_tok?: number;
  cache_write_1h_tok?: number;
  duration_ms: number;
  /** undefined: price it at insertion; null: explicitly unpriced */
  cost_micros?: number | null;
  /** required when cost_micros is given */
  price_version?: string;
  provider_cost_micros?: number | null;
  status: number;
  flags?: number;
  request_id?: string | null;
  source: string;
}

/** Integrity bits on a row: the row itself says when its usage is incomplete. */
export const Flag = {
  /** no usage was reported: token counts are what was seen, cost is not "free" */
  usage_missing: 1,
  /** the response stream ended before it completed */
  stream_cut: 2,
  /** the client went away before the response completed */
  client_aborted: 4,
  /** token counts are an estimate (not reported by the provider) */
  estimated: 8,
  /** the call reached the provider but its outcome was never seen (daemon crash) */
  outcome_unknown: 16,
  /** an error event arrived inside a 200 stream */
  stream_error: 32,
  /** the proxy forwarded this call while the tape could not be written (recorded late) */
  recorded_late: 64,
  /** the upstream could not be reached */
  upstream_unreachable: 128,
} as const;
export type FlagName = keyof typeof Flag;

const FLAG_ENTRIES = Object.entries(Flag) as [FlagName, number][];
const FLAG_NAME_CACHE = new Map<number, readonly FlagName[]>();

/** Bit set to names, in bit order. Cached: rows repeat a handful of combinations. */
export function flagNames(bits: number): readonly FlagName[] {
  let names = FLAG_NAME_CACHE.get(bits);
  if (!names) {
    names = Object.freeze(FLAG_ENTRIES.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name));
    FLAG_NAME_CACHE.set(bits, names);
  }
  return names;
}

/** Names to bits; unknown names are reported, not dropped. */
export function flagBits(names: readonly string[]): number {
  let bits = 0;
  for (const name of names) {
    const bit = (Flag as Record<string, number>)[name];
    if (bit === undefined) throw new Error(`unknown flag "${name}" (known: ${Object.keys(Flag).join(', ')})`);
    bits |= bit;
  }
  return bits;
}

export const COLUMNS = [
  'id', 'ts', 'host', 'project', 'provider', 'model', 'input_tok', 'output_tok', 'cached_tok',
  'cache_write_tok', 'cache_write_1h_tok', 'duration_ms', 'cost_micros', 'price_version',
  'provider_cost_micros', 'status', 'flags', 'request_id', 'source',
] as const;
