import { divRound, divRoundBig } from '../pricing/micros.js';
import type { Divergence, RunRate } from './types.js';

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
  // thresholds as exact decimals: 1.3 x r15 in floating point can land either side of r60
  const [un, ud] = exactDecimal(up);
  const [dn, dd] = exactDecimal(down);
  if (r60 * ud > r15 * un) return 'up';
  if (r60 * dd < r15 * dn) return 'down';
  return null;
}

/** A threshold as the decimal it was written as: 1.3 -> [13n, 10n]. */
function exactDecimal(x: number): [bigint, bigint] {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(x));
  if (!m) return [BigInt(Math.round(x * 1e9)), 1_000_000_000n]; // 1e-7 and the like
  const frac = m[2] ?? '';
  return [BigInt(m[1]! + frac), 10n ** BigInt(frac.length)];
}

export function runRate(sum60s: number, sum15m: number, up: number, down: number): RunRate {
  return {
    w60s_micros_per_hour: perHour(sum60s, 60),
    w15m_micros_per_hour: perHour(sum15m, 900),
    diverging: divergence(sum60s, sum15m, up, down),
  };
}
