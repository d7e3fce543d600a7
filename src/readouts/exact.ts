/**
 * Configured thresholds (1.5x divergence, a 0.5 % variance band) compared exactly: the threshold
 * is taken as the decimal it was written as, so `a > t × b` is decided on integers. In floating
 * point 1.3 × r15 can land either side of r60, and a variance rounded first hides 0.0050000001.
 */

/** 1.3 -> [13n, 10n]; a number String() writes in exponent form (1e-7) is taken to parts per billion. */
export function exactDecimal(x: number): [bigint, bigint] {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(x));
  if (!m) return [BigInt(Math.round(x * 1e9)), 1_000_000_000n];
  const frac = m[2] ?? '';
  return [BigInt(m[1]! + frac), 10n ** BigInt(frac.length)];
}

/** a > t × b, exactly. */
export function above(a: bigint, t: number, b: bigint): boolean {
  const [n, d] = exactDecimal(t);
  return a * d > b * n;
}

/** a < t × b, exactly. */
export function below(a: bigint, t: number, b: bigint): boolean {
  const [n, d] = exactDecimal(t);
  return a * d < b * n;
}
