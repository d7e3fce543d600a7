/** Inputs and outputs of the readouts. Money is integer micro-USD; times are UTC epoch ms. */

export interface ProjectCost {
  readonly project: string;
  /** cost over the hour ending now */
  readonly cost_micros: number;
  /** cost over the hour ending at the previous refresh (now − refresh) */
  readonly prev_cost_micros: number;
}

export interface ReconciledPeriod {
  /** first ms of the period (UTC) */
  readonly start_ms: number;
  /** first ms after the period */
  readonly end_ms: number;
  /** e.g. "2026-12-02 anthropic" */
  readonly label: string;
  readonly tape_micros: number;
  readonly billed_micros: number;
  /** the likely cause when the two differ, when one is known */
  readonly cause?: string | null;
}

/** What the readouts read from the tape: each figure from an indexed query over its own window. */
export interface ReadoutInputs {
  readonly now: number;
  readonly sum60sMicros: number;
  readonly sum15mMicros: number;
  readonly windowSeconds: number;
  readonly windowMicros: number;
  readonly windowCalls: number;
  readonly projects: readonly ProjectCost[];
  readonly monthToDateMicros: number;
  readonly budgetRateSeconds: number;
  readonly budgetRateWindowMicros: number;
  readonly budgetMicros: number | null;
  readonly periods: readonly ReconciledPeriod[];
  readonly unpricedCalls: number;
  /** per-project budgets, when any are configured */
  readonly projectBudgets?: readonly ProjectBudgetInput[];
}

/** A project's monthly budget with its month-to-date and trailing-window cost (same window as the tape's gauge). */
export interface ProjectBudgetInput {
  readonly project: string;
  readonly mtdMicros: number;
  readonly rateWindowMicros: number;
  readonly budgetMicros: number;
}

/** The budget gauge of one project (`project_budgets` in the readouts, present when any is configured). */
export interface ProjectBudgetGauge extends BudgetGauge {
  readonly project: string;
}

export interface ReadoutSettings {
  readonly divergeUp: number;
  readonly divergeDown: number;
  readonly varianceThreshold: number;
  readonly topN: number;
}

export type Divergence = 'up' | 'down' | null;
export type BudgetState = 'under' | 'on' | 'ahead' | null;
export type VarianceState = 'none' | 'ok' | 'watch' | 'incident';

export interface RunRate {
  readonly w60s_micros_per_hour: number;
  readonly w15m_micros_per_hour: number;
  readonly diverging: Divergence;
}

export interface WindowTotal {
  readonly seconds: number;
  readonly cost_micros: number;
  readonly calls: number;
}

export interface TopEntry {
  readonly project: string;
  readonly cost_micros: number;
  readonly micros_per_hour: number;
  readonly share: number;
  /** positive when the project climbed since the previous top-n, null when it is new to it */
  readonly rank_change: number | null;
}

export interface BudgetGauge {
  /** "2026-12" (UTC) */
  readonly month: string;
  readonly mtd_micros: number;
  readonly rate_micros_per_hour: number;
  readonly hours_left: number;
  readonly projected_micros: number;
  readonly budget_micros: number | null;
  readonly state: BudgetState;
}

export interface VariancePeriodOut {
  readonly label: string;
  readonly start: string;
  readonly end: string;
  readonly tape_micros: number;
  readonly billed_micros: number;
  readonly variance: number | null;
  readonly cause: string | null;
}

export interface VarianceBand {
  /** (tape − billed) / billed of the latest period, or null before any invoice */
  readonly latest: number | null;
  /** change of the latest variance from the one before it, or null */
  readonly trend: number | null;
  readonly periods: readonly VariancePeriodOut[];
  readonly state: VarianceState;
  readonly cause: string | null;
}

export interface Readouts {
  readonly type: 'readouts';
  readonly now: string;
  readonly now_ms: number;
  readonly run_rate: RunRate;
  readonly window: WindowTotal;
  readonly top: readonly TopEntry[];
  readonly budget: BudgetGauge;
  readonly variance: VarianceBand;
  readonly unpriced_calls: number;
  /** additive: one gauge per project with a budget, only when any is configured */
  readonly project_budgets?: readonly ProjectBudgetGauge[];
}
