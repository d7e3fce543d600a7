/**
 * Money is integer micro-USD from parse to sum. One rounding rule, used everywhere:
 * a fraction of a micro-dollar is rounded half away from zero, once, at the end.
 */

/** Rounds num/den (integers, den > 0) half away from zero. Exact for |num| < 2^53. */
export function divRound(num: number, den: number): number {
  if (den <= 0) throw new RangeError('divRound: denominator must be positive');
  const neg = num < 0;
  const a = Math.abs(num);
  const q = Math.floor(a / den);
  const r = a - q * den;
  const up = r * 2 >= den ? 1 : 0;
  const out = q + up;
  return neg ? -out : out;
}

/** BigInt variant for products that may pass 2^53. */
export function divRoundBig(num: bigint, den: bigint): number {
  if (den <= 0n) throw new RangeError('divRoundBig: denominator must be positive');
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  if ((a % den) * 2n >= den) q += 1n;
  return Number(neg ? -q : q);
}

/**
 * num/den as a fraction with six decimals (a share, a variance), rounded half away from zero
 * exactly: 41/640 = 0.0640625 is 0.064063 (Math.round(41 / 640 * 1e6) gives 0.064062).
 */
export function ratio6(num: number, den: number): number {
  return divRoundBig(BigInt(num) * 1_000_000n, BigInt(den)) / 1e6;
}

/** Rounds a real number half away from zero to an integer. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Integer micros with `decimals` decimals, rounded half away from zero, with thousands separators. */
export function formatMicros(micros: number, decimals: number): string {
  const scaled = divRound(micros, 10 ** (6 - decimals));
  const neg = scaled < 0;
  const a = Math.abs(scaled);
  const unit = 10 ** decimals;
  const whole = Math.floor(a / unit);
  const frac = decimals ? `.${String(a - whole * unit).padStart(decimals, '0')}` : '';
  return `${neg ? '-' : ''}${whole.toLocaleString('en-US')}${frac}`;
}

/** Dollars and cents for people: 70904615384 -> "$70,904.62" (half away from zero, like every rounding here). */
export function usdCents(micros: number): string {
  return micros < 0 ? `-$${formatMicros(-micros, 2)}` : `$${formatMicros(micros, 2)}`;
}

/** Exact dollars, sign before the symbol: -1500000 -> "-$1.500000" (tables of differences). */
export function usdMicros(micros: number): string {
  return micros < 0 ? `-$${microsToUsd(-micros)}` : `$${microsToUsd(micros)}`;
}

/** 29830 -> "0.029830" (USD, six decimals, exact). */
export function microsToUsd(micros: number): string {
  const neg = micros < 0;
  const a = Math.abs(micros);
  const whole = Math.floor(a / 1_000_000);
  const frac = String(a - whole * 1_000_000).padStart(6, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/**
 * A decimal string ("12.5", "-0.000123", "1e-3" is refused) to integer micro-USD, exactly.
 * More than six decimals are rounded half away from zero; `null` when it is not a decimal.
 */
export function decimalToMicros(text: string, scale = 1): number | null {
  const m = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const neg = m[1] === '-';
  const digits = (m[2] || '0') + (m[3] ?? '').padEnd(6, '0');
  // digits now holds the value times 1e6 followed by any extra decimals
  const intLen = (m[2] || '0').length + 6;
  const head = digits.slice(0, intLen);
  const tail = digits.slice(intLen);
  let micros = BigInt(head);
  if (tail.length > 0 && tail[0]! >= '5') micros += 1n;
  if (scale !== 1) {
    // e.g. cents: value is in 1/100 of a dollar
    return divRoundBig((neg ? -micros : micros), BigInt(scale));
  }
  const n = Number(micros);
  if (!Number.isSafeInteger(n)) return null;
  return neg ? -n : n;
}
