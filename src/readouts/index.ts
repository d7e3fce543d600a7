import { runRate, perHour } from './run-rate.js';
import { topContributors } from './top.js';
import { budgetGauge, monthBounds, budgetState } from './budget.js';
import { varianceBand, varianceOf } from './variance.js';
import type { ReadoutInputs, ReadoutSettings, Readouts } from './types.js';

export * from './types.js';
export { runRate, perHour, topContributors, budgetGauge, monthBounds, budgetState, varianceBand, varianceOf };

export const DEFAULT_READOUT_SETTINGS: ReadoutSettings = { divergeUp: 1.5, divergeDown: 0.5, varianceThreshold: 0.005, topN: 3 };

/** Every readout of DESIGN.md from its inputs and `now`. Pure: no clock, no I/O. */
export function computeReadouts(inp: ReadoutInputs, s: ReadoutSettings = DEFAULT_READOUT_SETTINGS): Readouts {
  return {
    type: 'readouts',
    now: new Date(inp.now).toISOString(),
    now_ms: inp.now,
    run_rate: runRate(inp.sum60sMicros, inp.sum15mMicros, s.divergeUp, s.divergeDown),
    window: { seconds: inp.windowSeconds, cost_micros: inp.windowMicros, calls: inp.windowCalls },
    top: topContributors(inp.projects, s.topN),
    budget: budgetGauge(inp.now, inp.monthToDateMicros, inp.budgetRateWindowMicros, inp.budgetRateSeconds, inp.budgetMicros),
    variance: varianceBand(inp.periods, s.varianceThreshold, inp.now),
    unpriced_calls: inp.unpricedCalls,
    ...(inp.projectBudgets && inp.projectBudgets.length > 0
      ? { project_budgets: inp.projectBudgets.map((p) => ({ project: p.project, ...budgetGauge(inp.now, p.mtdMicros, p.rateWindowMicros, inp.budgetRateSeconds, p.budgetMicros) })) }
      : {}),
  };
}
