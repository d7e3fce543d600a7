import { ratio6 } from '../pricing/micros.js';
import type { ProjectCost, TopEntry } from './types.js';

function rank(projects: readonly ProjectCost[], key: 'cost_micros' | 'prev_cost_micros', n: number): string[] {
  return projects
    .filter((p) => p[key] > 0)
    .sort((a, b) => b[key] - a[key] || (a.project < b.project ? -1 : a.project > b.project ? 1 : 0))
    .slice(0, n)
    .map((p) => p.project);
}

/**
 * The n projects with the most cost over the last hour, with their per-hour rate (the hour's
 * cost), their share of the hour's total across all projects, and how their rank moved since the
 * previous refresh: positive = climbed, 0 = same place, null = new to the top n.
 * Ties break by project name so the order is stable.
 */
export function topContributors(projects: readonly ProjectCost[], n = 3): TopEntry[] {
  const total = projects.reduce((s, p) => s + p.cost_micros, 0);
  const now = rank(projects, 'cost_micros', n);
  const before = rank(projects, 'prev_cost_micros', n);
  const byName = new Map(projects.map((p) => [p.project, p]));
  return now.map((name, i) => {
    const p = byName.get(name)!;
    const prev = before.indexOf(name);
    return {
      project: name,
      cost_micros: p.cost_micros,
      micros_per_hour: p.cost_micros,
      share: total > 0 ? ratio6(p.cost_micros, total) : 0,
      rank_change: prev < 0 ? null : prev - i,
    };
  });
}
