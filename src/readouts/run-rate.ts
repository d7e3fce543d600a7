import { divRound } from '../pricing/micros.js';
import type { Divergence, RunRate } from './types.js';

/** Cost over a window of `seconds`, expressed per hour, rounded half away from zero. */
export function perHour(sumMicros: number, seconds: number): number {
  return divRound(sumMicros * 3600, seconds);
}

/**
 * The 60 s rate against the 15 min rate: "up" above `up`x, "down" below `down`x, else null.
 * Compared exactly on the window sums (no rounding of the rates first).
 */
export function divergence(sum60s: number, sum15m: number, up: number, down: number): Divergence {
  // rate60 = sum60 * 60 per hour, rate15 = sum15 * 4 per hour
  const r60 = sum60s * 60;
  const r15 = sum15m * 4;
  if (r60 === 0 && r15 === 0) return null;
  if (r60 > up * r15) return 'up';
  if (r60 < down * r15) return 'down';
  return null;
}

export function runRate(sum60s: number, sum15m: number, up: number, down: number): RunRate {
  return {
    w60s_micros_per_hour: perHour(sum60s, 60),
    w15m_micros_per_hour: perHour(sum15m, 900),
    diverging: divergence(sum60s, sum15m, up, down),
  };
}
