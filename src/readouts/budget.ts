import { divRound, divRoundBig } from '../pricing/micros.js';
import type { BudgetGauge, BudgetState } from './types.js';

const HOUR = 3_600_000;

/** First ms of the UTC month holding `now`, and of the month after it. */
export function monthBounds(now: number): { start: number; end: number; label: string } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    start: Date.UTC(y, m, 1),
    end: Date.UTC(y, m + 1, 1),
    label: `${y}-${String(m + 1).padStart(2, '0')}`,
  };
}

/** under below 95% of budget, on within ±5%, ahead above 105%: compared exactly in integers. */
export function budgetState(projected: number, budget: number | null): BudgetState {
  if (budget === null) return null;
  const p = BigInt(projected) * 100n;
  const b = BigInt(budget);
  if (p < b * 95n) return 'under';
  if (p > b * 105n) return 'ahead';
  return 'on';
}

/**
 * projection = month-to-date + (trailing-window cost / window) x time left in the month.
 * Computed exactly (rational) and rounded once, half away from zero; `rate_micros_per_hour`
 * is the same rate rounded for display.
 */
export function budgetGauge(now: number, mtdMicros: number, rateWindowMicros: number, rateWindowSeconds: number, budgetMicros: number | null): BudgetGauge {
  const { end, label } = monthBounds(now);
  const msLeft = Math.max(0, end - now);
  // in whole ms: a configured window of 3600.5 s must not throw in BigInt()
  const windowMs = BigInt(Math.max(1, Math.round(rateWindowSeconds * 1000)));
  const projected = mtdMicros + divRoundBig(BigInt(rateWindowMicros) * BigInt(msLeft), windowMs);
  return {
    month: label,
    mtd_micros: mtdMicros,
    rate_micros_per_hour: divRoundBig(BigInt(rateWindowMicros) * 3_600_000n, windowMs),
    // hours to 3 decimals = msLeft / 3600, rounded half away from zero in integers
    hours_left: divRound(msLeft, HOUR / 1000) / 1000,
    projected_micros: projected,
    budget_micros: budgetMicros,
    state: budgetState(projected, budgetMicros),
  };
}
