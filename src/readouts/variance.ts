import { ratio6 } from '../pricing/micros.js';
import { above } from './exact.js';
import type { ReconciledPeriod, VarianceBand, VariancePeriodOut, VarianceState } from './types.js';

/** (tape − billed) / billed; null when nothing was billed (a ratio to zero means nothing). */
export function varianceOf(tape: number, billed: number): number | null {
  if (billed === 0) return tape === 0 ? 0 : null;
  return ratio6(tape - billed, billed);
}

/**
 * |tape − billed| / billed above the threshold, decided exactly on the integers rather than on the
 * 6-decimal variance shown (0.0050000001 is beyond 0.5 %). Nothing billed with tape cost counts as beyond.
 */
export function beyondThreshold(tape: number, billed: number, threshold: number): boolean {
  if (billed === 0) return tape !== 0;
  return above(BigInt(Math.abs(tape - billed)), threshold, BigInt(Math.abs(billed)));
}

const beyond = (p: VariancePeriodOut, threshold: number) => beyondThreshold(p.tape_micros, p.billed_micros, threshold);

/**
 * The variance band over reconciled periods (oldest first): latest value, its trend, and the state:
 * none before any invoice; incident when the last two consecutive periods are both beyond the
 * threshold; watch when only the latest is; ok otherwise. A billed-zero period with tape cost
 * counts as beyond.
 */
export function varianceBand(periods: readonly ReconciledPeriod[], threshold: number, now = Infinity): VarianceBand {
  const done = [...periods].filter((p) => p.start_ms <= now).sort((a, b) => a.start_ms - b.start_ms || (a.label < b.label ? -1 : 1));
  if (done.length === 0) return { latest: null, trend: null, periods: [], state: 'none', cause: null };
  const out: VariancePeriodOut[] = done.map((p) => ({
    label: p.label,
    start: new Date(p.start_ms).toISOString(),
    end: new Date(p.end_ms).toISOString(),
    tape_micros: p.tape_micros,
    billed_micros: p.billed_micros,
    variance: varianceOf(p.tape_micros, p.billed_micros),
    cause: p.cause ?? null,
  }));
  const last = out[out.length - 1]!;
  const prev = out.length > 1 ? out[out.length - 2]! : null;
  let state: VarianceState = 'ok';
  if (beyond(last, threshold)) state = prev && beyond(prev, threshold) ? 'incident' : 'watch';
  const trend = last.variance !== null && prev?.variance != null ? Math.round((last.variance - prev.variance) * 1e6) / 1e6 : null;
  return { latest: last.variance, trend, periods: out, state, cause: state === 'ok' ? null : last.cause ?? prev?.cause ?? null };
}
