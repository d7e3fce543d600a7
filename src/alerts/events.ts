import type { Readouts, BudgetState } from '../readouts/types.js';
import { usdCents } from '../pricing/micros.js';

/**
 * Alert states and the events between them. Pure: readouts (and the unpriced models seen) in,
 * states out; two state maps in, events out. An event fires once per change of state, never
 * for a state that merely persists.
 */
export type AlertKind = 'variance' | 'budget' | 'run_rate' | 'unpriced_model';

export interface AlertEvent {
  readonly type: 'alert';
  readonly kind: AlertKind;
  /** what the state is about: "variance", "budget", "budget:project:sales-tool", "run_rate", "unpriced:openai/x" */
  readonly key: string;
  readonly state: string;
  readonly previous: string | null;
  readonly at: string;
  readonly at_ms: number;
  readonly message: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface ProjectGauge {
  readonly project: string;
  readonly state: BudgetState;
  readonly projected_micros: number;
  readonly budget_micros: number | null;
}

export interface Observation {
  readonly readouts: Readouts;
  readonly projectBudgets: readonly ProjectGauge[];
  /** "provider/model" of every model with unpriced calls this month */
  readonly unpricedModels: readonly string[];
  /** the run-rate thresholds in force (60 s rate above `up`x or below `down`x the 15 min rate) */
  readonly divergeUp: number;
  readonly divergeDown: number;
}

export type States = Record<string, string>;

/** The state of every alert key now. Normal states are "ok"; models seen unpriced are "seen". */
export function statesOf(o: Observation): States {
  const s: States = {};
  s.variance = o.readouts.variance.state === 'incident' ? 'incident' : 'ok';
  s.budget = o.readouts.budget.state === 'ahead' ? 'ahead' : 'ok';
  for (const p of o.projectBudgets) s[`budget:project:${p.project}`] = p.state === 'ahead' ? 'ahead' : 'ok';
  s.run_rate = o.readouts.run_rate.diverging ?? 'ok';
  for (const m of o.unpricedModels) s[`unpriced:${m}`] = 'seen';
  return s;
}

function describe(key: string, state: string, o: Observation): { kind: AlertKind; message: string; detail: Record<string, unknown> } {
  const ro = o.readouts;
  if (key === 'variance') {
    return { kind: 'variance', message: state === 'incident' ? `variance incident: tape vs bill ${(((ro.variance.latest ?? 0) * 100).toFixed(2))}% in two consecutive periods${ro.variance.cause ? ` (likely: ${ro.variance.cause})` : ''}` : 'variance back within the band', detail: { latest: ro.variance.latest, trend: ro.variance.trend, cause: ro.variance.cause } };
  }
  if (key === 'budget') {
    return { kind: 'budget', message: state === 'ahead' ? `budget AHEAD: projected ${usdCents(ro.budget.projected_micros)} against ${usdCents(ro.budget.budget_micros ?? 0)} for ${ro.budget.month}` : 'budget back on track', detail: { ...ro.budget } };
  }
  if (key.startsWith('budget:project:')) {
    const p = o.projectBudgets.find((x) => `budget:project:${x.project}` === key);
    const name = key.slice('budget:project:'.length);
    return { kind: 'budget', message: state === 'ahead' ? `budget AHEAD for project ${name}: projected ${usdCents(p?.projected_micros ?? 0)} against ${usdCents(p?.budget_micros ?? 0)}` : `budget for project ${name} back on track`, detail: { project: name, ...(p ?? {}) } };
  }
  if (key === 'run_rate') {
    return { kind: 'run_rate', message: state === 'ok' ? 'run rate back in line' : `run rate diverging ${state}: 60 s ${usdCents(ro.run_rate.w60s_micros_per_hour)}/h vs 15 min ${usdCents(ro.run_rate.w15m_micros_per_hour)}/h`, detail: { ...ro.run_rate, up: o.divergeUp, down: o.divergeDown } };
  }
  const model = key.slice('unpriced:'.length);
  return { kind: 'unpriced_model', message: `new unpriced model: ${model} (its calls have no cost; add it to the overrides file)`, detail: { model } };
}

/**
 * Events for every key whose state changed. A key missing from `prev` counts as "ok" (so a
 * condition present at the first check fires), except unpriced models when `baseline` is set:
 * on the very first check they are recorded, not announced.
 */
export function changes(prev: States | null, next: States, o: Observation, now: number): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (const key of Object.keys(next).sort()) {
    const before = prev?.[key] ?? null;
    const state = next[key]!;
    if (key.startsWith('unpriced:') && (prev === null || before !== null)) continue;
    if ((before ?? 'ok') === state) continue;
    const d = describe(key, state, o);
    out.push({ type: 'alert', kind: d.kind, key, state, previous: before, at: new Date(now).toISOString(), at_ms: now, message: d.message, detail: d.detail });
  }
  return out;
}
