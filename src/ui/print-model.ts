/**
 * The print (time & sales) as pure functions: column widths for a width, and one call as one
 * styled line. Untrusted text (project, model, provider, host) is stripped of control characters.
 */
import type { CallRow } from '../tape/row.js';
import { flagNames, type FlagName } from '../tape/row.js';
import { clean } from './plain.js';
import { fit, fmtDuration, fmtTime, fmtTokens, type Money, type TimeZoneMode } from './format.js';
import { familyOf, FAMILY_LETTER, type Theme } from './theme.js';

export interface Column {
  readonly key: 'time' | 'project' | 'model' | 'provider' | 'host' | 'in' | 'out' | 'cached' | 'dur' | 'cost' | 'status' | 'flags';
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
}

const FLAG_SHORT: Readonly<Record<FlagName, string>> = {
  usage_missing: 'nousage',
  stream_cut: 'cut',
  client_aborted: 'aborted',
  estimated: 'est',
  outcome_unknown: 'unknown',
  stream_error: 'err',
  recorded_late: 'late',
  upstream_unreachable: 'unreach',
};

/** Model names without the vendor prefix and date suffix: claude-sonnet-4-5-20250929 -> sonnet-4-5. */
export function shortModel(model: string): string {
  return clean(model)
    .replace(/^claude-/, '')
    .replace(/-(20\d{6}|20\d\d-\d\d-\d\d|latest)$/, '');
}

export function flagText(bits: number, width: number): string {
  if (!bits) return '';
  const names = flagNames(bits).map((n) => FLAG_SHORT[n]);
  const all = names.join(',');
  if (all.length <= width) return all;
  return names.length > 1 ? `${names[0]!.slice(0, Math.max(1, width - 1))}+` : names[0]!.slice(0, width);
}

/** The widest project and model columns: on a wide terminal the rest stays empty rather than pushing the figures away from the names. */
export const PROJECT_MAX = 28;
export const MODEL_MAX = 32;
/** Token and duration columns a narrow pane gives up, in this order, so that cost and status stay on screen. */
const DROPPABLE: readonly Column['key'][] = ['cached', 'out', 'dur', 'in'];

/** Columns for a width: fixed ones first, project/model/flags share the rest; the host always when rows come from many boxes. */
export function printColumns(width: number, host = false): Column[] {
  const wide = width >= 140;
  const mid = width >= 100;
  const c = (key: Column['key'], title: string, w: number, align: Column['align'] = 'left'): Column => ({ key, title, width: w, align });
  let fixed: Column[] = [c('time', 'time', 13), c('in', 'in', 5, 'right'), c('out', 'out', 5, 'right'), c('cached', 'cache', 5, 'right'), c('dur', 'dur', 5, 'right'), c('cost', 'cost', 9, 'right'), c('status', 'st', 3)];
  let extra: Column[] = wide ? [c('provider', 'provider', 9), c('host', 'host', 10)] : host ? [c('host', 'host', mid ? 10 : 7)] : [];
  const room = () => width - (1 + [...fixed, ...extra].reduce((s, x) => s + x.width, 0) + fixed.length + extra.length + 2);
  for (const key of DROPPABLE) if (room() < 21) fixed = fixed.filter((x) => x.key !== key);
  if (room() < 21) extra = [];
  const rest = Math.max(12, room());
  const flags = wide ? Math.min(24, Math.floor(rest * 0.25)) : mid ? 8 : Math.max(3, rest - 21);
  const model = Math.min(MODEL_MAX, Math.max(8, Math.round((rest - flags) * 0.57)));
  const project = Math.min(PROJECT_MAX, Math.max(6, rest - flags - model));
  return [fixed[0]!, c('project', 'project', project), c('model', 'model', model), ...extra, ...fixed.slice(1), c('flags', 'flags'.slice(0, flags), flags)];
}

export interface LineStyle {
  readonly tz: TimeZoneMode;
  readonly money: Money;
  readonly theme: Theme;
  /** block print thresholds, micro-USD: [tier 1, tier 2] */
  readonly block: readonly [number, number];
}

export function blockTier(cost: number | null, block: readonly [number, number]): 0 | 1 | 2 {
  if (cost === null) return 0;
  if (cost >= block[1]) return 2;
  if (cost >= block[0]) return 1;
  return 0;
}

function cell(r: CallRow, col: Column, s: LineStyle): string {
  switch (col.key) {
    case 'time': return fmtTime(r.ts, s.tz);
    case 'project': return clean(r.project);
    case 'model': return `${FAMILY_LETTER[familyOf(r.model)]} ${shortModel(r.model)}`;
    case 'provider': return clean(r.provider);
    case 'host': return clean(r.host);
    case 'in': return fmtTokens(r.input_tok);
    case 'out': return fmtTokens(r.output_tok);
    case 'cached': return fmtTokens(r.cached_tok);
    case 'dur': return fmtDuration(r.duration_ms);
    case 'cost': return s.money.cost(r.cost_micros);
    case 'status': return String(r.status);
    case 'flags': return flagText(r.flags, col.width);
  }
}

function styleCell(r: CallRow, col: Column, text: string, s: LineStyle): string {
  const t = s.theme;
  if (col.key === 'model') return t.model(familyOf(r.model))(text);
  if (col.key === 'status') return r.status === 429 ? t.warn(text) : r.status >= 500 ? t.error(text) : r.status >= 400 ? t.warn(text) : text;
  if (col.key === 'cost' && r.cost_micros === null) return t.warn(text);
  if (col.key === 'flags' && r.flags) return t.warn(text);
  if (col.key === 'host' || col.key === 'provider') return t.dim(text);
  return text;
}

/** The header line. */
export function printHeader(cols: readonly Column[], theme: Theme, tz: TimeZoneMode = 'utc'): string {
  return theme.dim(` ${cols.map((c) => fit(c.key === 'time' && tz === 'local' ? 'local time' : c.title, c.width, c.align)).join(' ')}`);
}

/** One call as one line: gutter (`>` selected, `$` block print, `#` above the second tier), then the columns. */
export function printLine(r: CallRow, cols: readonly Column[], s: LineStyle, selected: boolean): string {
  const tier = blockTier(r.cost_micros, s.block);
  const gutter = selected ? '>' : tier === 2 ? '#' : tier === 1 ? '$' : ' ';
  const body = cols.map((c) => styleCell(r, c, fit(cell(r, c, s), c.width, c.align), s)).join(' ');
  if (selected) return s.theme.selected(`${gutter}${cols.map((c) => fit(cell(r, c, s), c.width, c.align)).join(' ')}`);
  if (tier === 2) return s.theme.block2(`${gutter}${body}`);
  if (tier === 1) return s.theme.block1(`${gutter}${body}`);
  return `${gutter}${body}`;
}
