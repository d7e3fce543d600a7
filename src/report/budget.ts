import type { Db } from '../tape/db.js';
import { TapeQueries } from '../tape/queries.js';
import { budgetGauge, monthBounds } from '../readouts/budget.js';
import type { BudgetGauge } from '../readouts/types.js';
import { usdCents } from '../pricing/micros.js';

export interface ProjectBudgetGauge extends BudgetGauge {
  readonly project: string;
}

export interface BudgetView {
  readonly total: BudgetGauge;
  readonly projects: readonly ProjectBudgetGauge[];
}

/** Month-to-date cost and the trailing-window cost for one filter: rollup for whole hours, tape for the edges. */
export function gaugeFor(q: TapeQueries, now: number, rateSeconds: number, budget: number | null): BudgetGauge {
  const month = monthBounds(now);
  const mtd = q.range(month.start - 1, now);
  const trailing = q.range(now - rateSeconds * 1000, now);
  return budgetGauge(now, mtd.cost, trailing.cost, rateSeconds, budget);
}

/** The gauge per DESIGN.md for the whole tape and for every project with a budget. */
export function budgetView(db: Db, now: number, rateSeconds: number, total: number | null, projects: Readonly<Record<string, number>>): BudgetView {
  return {
    total: gaugeFor(new TapeQueries(db), now, rateSeconds, total),
    projects: Object.keys(projects)
      .sort()
      .map((p) => ({ project: p, ...gaugeFor(new TapeQueries(db, { project: [p] }), now, rateSeconds, projects[p]!) })),
  };
}

function usd(m: number | null): string {
  return m === null ? '-' : usdCents(m);
}

/** The human table of budgets and their gauges. */
export function budgetTable(v: BudgetView, rateSeconds: number): string {
  const head = ['budget', 'monthly', 'month to date', 'rate/h', 'projected', 'state'];
  const line = (name: string, g: BudgetGauge) => [name, usd(g.budget_micros), usd(g.mtd_micros), usd(g.rate_micros_per_hour), usd(g.projected_micros), g.state ?? 'no budget'];
  const rows = [line('(whole tape)', v.total), ...v.projects.map((p) => line(p.project, p))];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  const rate = rateSeconds % 3600 === 0 ? `${rateSeconds / 3600} h` : `${rateSeconds} s`;
  return [`month ${v.total.month} (UTC), ${v.total.hours_left} hours left; projection = month to date + trailing ${rate} rate x hours left`, '', fmt(head), ...rows.map(fmt), ''].join('\n');
}
