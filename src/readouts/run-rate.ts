import { divRound, divRoundBig } from '../pricing/micros.js';
import type { Divergence, RunRate } from './types.js';
import { above, below } from './exact.js';

/** Cost over a window of `seconds`, expressed per hour, rounded half away from zero. */
export function perHour(sumMicros: number, seconds: number): number {
  // BigInt: a big tape's sum times 3600 passes 2^53 (9e15) from $2.5M in the window
  if (Number.isInteger(seconds)) return divRoundBig(BigInt(sumMicros) * 3600n, BigInt(seconds));
  return divRound(sumMicros * 3600, seconds);
}

/**
 * The 60 s rate against the 15 min rate: "up" above `up`x, "down" below `down`x, else null.
 * Compared exactly on the window sums (no rounding of the rates first).
 */
export function divergence(sum60s: number, sum15m: number, up: number, down: number): Divergence {
  // rate60 = sum60 * 60 per hour, rate15 = sum15 * 4 per hour
  const r60 = BigInt(sum60s) * 60n;
  const r15 = BigInt(sum15m) * 4n;
  if (r60 === 0n && r15 === 0n) return null;
  if (above(r60, up, r15)) return 'up';
  if (below(r60, down, r15)) return 'down';
  return null;
}

export function runRate(sum60s: number, sum15m: number, up: number, down: number): RunRate {
  return {
    w60s_micros_per_hour: perHour(sum60s, 60),
    w15m_micros_per_hour: perHour(sum15m, 900),
    diverging: divergence(sum60s, sum15m, up, down),
  };
}
