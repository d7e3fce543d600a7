/**
 * The readout panels as pure functions: readouts (exactly as computed by `computeReadouts`) in,
 * styled lines out. Nothing here computes a figure; it only formats.
 */
import type { BudgetGauge, RunRate, TopEntry, VarianceBand } from '../readouts/index.js';
import { clean } from './plain.js';
import { fit, fmtPercent, type Money } from './format.js';
import type { Theme } from './theme.js';

export interface PanelStyle {
  readonly money: Money;
  readonly theme: Theme;
  readonly width: number;
  /** lines, title included */
  readonly height: number;
}

function pad(lines: string[], height: number): string[] {
  const out = lines.slice(0, height);
  while (out.length < height) out.push('');
  return out;
}

export function runRateLines(r: RunRate | null, s: PanelStyle): string[] {
  const t = s.theme;
  if (!r) return pad([t.title('RUN RATE'), t.dim('–')], s.height);
  const mark = r.diverging === 'up' ? t.warn('▲ 60s diverging up') : r.diverging === 'down' ? t.warn('▼ 60s diverging down') : t.dim('= in line');
  const a = s.money.rate(r.w60s_micros_per_hour);
  const b = s.money.rate(r.w15m_micros_per_hour);
  const arrow = r.diverging === 'up' ? t.warn('▲') : r.diverging === 'down' ? t.warn('▼') : t.dim('=');
  if (s.height <= 1) return [`${t.title('RATE')} ${a} ${t.dim('|')} ${b} ${arrow}`];
  if (s.height <= 2) {
    const m = r.diverging === 'up' ? t.warn('▲ diverging up') : r.diverging === 'down' ? t.warn('▼ diverging down') : t.dim('= in line');
    return pad([`${t.title('RUN RATE')} ${t.dim('60s|15m')} ${m}`, `${a} ${t.dim('|')} ${b}`], s.height);
  }
  return pad([`${t.title('RUN RATE')} ${t.dim('60s | 15m')}`, `${a} ${t.dim('|')} ${b}`, mark], s.height);
}

export function varianceLines(v: VarianceBand, s: PanelStyle): string[] {
  const t = s.theme;
  if (v.state === 'none' || (v.latest === null && v.periods.length === 0)) {
    return pad(s.height <= 1 ? [`${t.title('VARIANCE')} ${t.dim('no invoice yet')}`] : [t.title('VARIANCE'), t.dim('no invoice yet'), t.dim('tape reconcile <bill>')], s.height);
  }
  const state = v.state === 'incident' ? t.error('INCIDENT') : v.state === 'watch' ? t.warn('WATCH') : t.good('OK');
  const last = v.periods[v.periods.length - 1];
  const latest = v.latest === null ? 'billed $0' : fmtPercent(v.latest);
  const trend = v.trend === null ? '' : ` ${t.dim('trend')} ${fmtPercent(v.trend)}`;
  if (s.height <= 1) return [`${t.title('VARIANCE')} ${state} ${latest}${trend}`];
  const lines = [`${t.title('VARIANCE')} ${state}`, `${latest}${trend}`, t.dim(fit(last ? clean(last.label) : '', s.width))];
  if (v.cause) lines.splice(2, 1, t.warn(fit(clean(v.cause), s.width)));
  return pad(lines, s.height);
}

function rankMark(c: number | null): string {
  if (c === null) return 'new';
  if (c > 0) return `▲${c}`;
  if (c < 0) return `▼${-c}`;
  return '·';
}

export function topLines(top: readonly TopEntry[], s: PanelStyle): string[] {
  const t = s.theme;
  const lines = [`${t.title('TOP 3')} ${t.dim('last hour, /h')}`];
  if (top.length === 0) lines.push(t.dim('no priced calls in the hour'));
  const bar = s.width >= 40 ? 8 : 4;
  for (let i = 0; i < top.length; i++) {
    const e = top[i]!;
    const filled = Math.round(e.share * bar);
    const shareBar = '█'.repeat(filled) + '░'.repeat(bar - filled);
    const pct = `${Math.round(e.share * 100)}%`.padStart(4);
    const tail = ` ${s.money.rate(e.micros_per_hour)} ${shareBar}${pct} ${rankMark(e.rank_change).padEnd(3)}`;
    const name = fit(clean(e.project), Math.max(4, s.width - tail.length - 3));
    const mark = e.rank_change === null || e.rank_change !== 0 ? t.warn(rankMark(e.rank_change).padEnd(3)) : t.dim('·  ');
    lines.push(`${i + 1} ${name} ${s.money.rate(e.micros_per_hour)} ${shareBar}${pct} ${mark}`);
  }
  return pad(lines, s.height);
}

export function budgetLines(b: BudgetGauge, s: PanelStyle): string[] {
  const t = s.theme;
  const head = `${t.title('BUDGET')} ${t.dim(b.month)}`;
  const mtd = `${t.dim('mtd')} ${s.money.amount(b.mtd_micros)} ${t.dim('proj')} ${s.money.amount(b.projected_micros)}`;
  if (b.budget_micros === null || b.state === null) {
    // a hint cut short would read as a different command (`--budget 50…`): shorter ones first
    const room = Math.max(4, s.width - `BUDGET ${b.month} `.length);
    const hint = ['none: tape --budget 5000', 'none: --budget 5000', 'none'].find((h) => h.length <= room) ?? 'none';
    if (s.height <= 2) return pad([`${head} ${t.dim(hint)}`, mtd], s.height);
    return pad([head, mtd, t.dim(fit('no budget: tape --budget 5000', s.width)), t.dim(fit('or "budget": 5000 in config.json', s.width))], s.height);
  }
  const state = b.state === 'ahead' ? t.error('AHEAD') : b.state === 'on' ? t.warn('ON') : t.good('UNDER');
  if (s.height <= 2) return pad([`${head} ${state} ${t.dim('of')} ${s.money.amount(b.budget_micros)}`, mtd], s.height);
  return pad([`${head} ${state}`, mtd, `${t.dim('of')} ${s.money.amount(b.budget_micros)} ${t.dim('at')} ${s.money.rate(b.rate_micros_per_hour)}`, t.dim(`${Math.round(b.hours_left)}h left in month`)], s.height);
}
