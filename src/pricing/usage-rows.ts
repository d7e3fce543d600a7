import { costOf, type PriceBook, type ResolvedPrice, type Usage } from './price-book.js';

/**
 * List price of a usage report's row: the token counts of many calls added together.
 *
 * The price list's tiers ("input > 200k tokens: 6 $/MTok") apply to ONE call's input, so the
 * sum of a day's calls must never pick a tier: that would price a day of small Sonnet calls at
 * the long-context rate. The tier comes from what the report says instead: Anthropic's
 * `context_window` "200k-1M" is the long-context price, anything else (or no grouping by
 * context window) the base price. A fee per request counts the report's requests
 * (`num_model_requests`); the batch tier is half price, applied once before the one rounding.
 */
export interface UsageRowPrice {
  readonly usage: Usage;
  readonly longContext: boolean;
  readonly requests: number;
  readonly batch: boolean;
}

type Rate = ResolvedPrice['input'];

function flat(rate: Rate, long: boolean): Rate {
  const top = rate.tiers[rate.tiers.length - 1];
  return { base: long && top ? top.price : rate.base, tiers: [] };
}

function flatOrNull(rate: Rate | null, long: boolean): Rate | null {
  return rate === null ? null : flat(rate, long);
}

/** Micro-USD, or null when the price list does not know the model. */
export function usageRowCost(prices: PriceBook, provider: string, model: string, at: Date, row: UsageRowPrice): number | null {
  const p = prices.resolve(provider, model, at);
  if (!p) return null;
  const long = row.longContext;
  const fixed: ResolvedPrice = {
    ...p,
    input: flat(p.input, long),
    output: flat(p.output, long),
    cacheRead: flatOrNull(p.cacheRead, long),
    cacheWrite: flatOrNull(p.cacheWrite, long),
    cacheWrite1h: flatOrNull(p.cacheWrite1h, long),
    perRequestPico: p.perRequestPico * row.requests,
    discount: row.batch ? 1 - (1 - p.discount) / 2 : p.discount,
  };
  return costOf(fixed, row.usage);
}
