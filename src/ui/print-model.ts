/**
 * The print (time & sales) as pure functions: column widths for a width, and one call as one
 * styled line. Untrusted text (project, model, provider, host) is stripped of control characters.
 */
import type { CallRow } from '../tape/row.js';
import { Flag, flagNames, type FlagName } from '../tape/row.js';
import { clean } from './plain.js';
import { fit, fmtDuration, fmtTime, fmtTokens, type Money, type TimeZoneMode } from './format.js';
import { familyOf, FAMILY_LETTER, type Theme } from './theme.js';

export interface Column {
  readonly key: 'time' | 'project' | 'model' | 'provider' | 'host' | 'in' | 'out' | 'cached' | 'dur' | 'cost' | 'status' | 'flags';
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
}

/**
 * The flags' short names on screen, one fixed table (the help lists it): at most 5 letters, so that
 * one flag and a `+` for more fit the 6-column flags cell of an 80-column terminal. In order of
 * importance: a cell too narrow for them all shows the first ones.
 */
export const FLAG_TABLE: readonly { readonly name: FlagName; readonly short: string; readonly help: string }[] = [
  { name: 'stream_error', short: 'err', help: 'stream error' },
  { name: 'stream_cut', short: 'cut', help: 'stream cut' },
  { name: 'client_aborted', short: 'abort', help: 'client left' },
  { name: 'upstream_unreachable', short: 'unrch', help: 'no upstream' },
  { name: 'outcome_unknown', short: 'unk', help: 'outcome unseen' },
  { name: 'usage_missing', short: 'nouse', help: 'no usage' },
  { name: 'estimated', short: 'est', help: 'estimated' },
  { name: 'recorded_late', short: 'late', help: 'written late' },
];
const FLAG_ORDER = FLAG_TABLE.map((f) => [f.name, f.short] as const);

/** Model names without the vendor prefix and date suffix: claude-sonnet-4-5-20250929 -> sonnet-4-5. */
export function shortModel(model: string): string {
  return clean(model)
    .replace(/^claude-/, '')
    .replace(/-(20\d{6}|20\d\d-\d\d-\d\d|latest)$/, '');
}

/** The row's flags by their short names, most important first; those that do not fit become a `+` (Enter shows them all). */
export function flagText(bits: number, width: number): string {
  if (!bits) return '';
  const set = new Set(flagNames(bits));
  const names = FLAG_ORDER.filter(([n]) => set.has(n)).map(([, short]) => short);
  const all = names.join(',');
  if (all.length <= width) return all;
  let shown = names[0]!;
  for (const n of names.slice(1)) {
    if (`${shown},${n}+`.length > width) break;
    shown += `,${n}`;
  }
  return `${shown.slice(0, Math.max(1, width - 1))}+`;
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
  let fixed: Column[] = [c('time', 'time', 13), c('in', 'in', 4, 'right'), c('out', 'out', 4, 'right'), c('cached', 'cache', 5, 'right'), c('dur', 'dur', 5, 'right'), c('cost', 'cost', 9, 'right'), c('status', 'st', 3)];
  let extra: Column[] = wide ? [c('provider', 'provider', 9), c('host', 'host', 10)] : host ? [c('host', 'host', mid ? 10 : 7)] : [];
  const room = () => width - (1 + [...fixed, ...extra].reduce((s, x) => s + x.width, 0) + fixed.length + extra.length + 2);
  for (const key of DROPPABLE) if (room() < 21) fixed = fixed.filter((x) => x.key !== key);
  if (room() < 21) extra = [];
  const rest = Math.max(12, room());
  // 80 columns: 6 for the flags (one whole short name and a +), 12 for the model (`S sonnet-4-5` whole), 9 for the project
  const flags = wide ? Math.min(24, Math.floor(rest * 0.25)) : mid ? 9 : rest >= 27 ? Math.min(9, 6 + Math.floor((rest - 27) / 2)) : Math.max(3, rest - 21);
  const model = Math.min(MODEL_MAX, Math.max(8, Math.min(rest - flags - 7, Math.round((rest - flags) * 0.57))));
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

/** How bad a call went: `error` for a 5xx or an error inside a 200 stream, `warn` for a 429 and other 4xx. */
export function errorLevel(r: Pick<CallRow, 'status' | 'flags'>): 'error' | 'warn' | null {
  if (r.status >= 500 || (r.flags & Flag.stream_error) !== 0) return 'error';
  if (r.status >= 400) return 'warn';
  return null;
}

/**
 * A call's cost as the print shows it: `unpriced` when no price is known; a failed call that cost
 * nothing reads `$0 (err)`, not `$0.000000` (which reads like a free call). Display only.
 */
export function costText(r: Pick<CallRow, 'status' | 'cost_micros'>, money: Money): string {
  if (r.cost_micros === 0 && r.status >= 400) return money.failedZero();
  return money.cost(r.cost_micros);
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
    case 'cost': return costText(r, s.money);
    case 'status': return String(r.status);
    case 'flags': return flagText(r.flags, col.width);
  }
}

/** An error row is in the error (5xx, stream error) or warn (429, 4xx) style across the row; the model keeps its family colour. */
function styleCell(r: CallRow, col: Column, text: string, s: LineStyle, level: 'error' | 'warn' | null): string {
  const t = s.theme;
  if (col.key === 'model') return t.model(familyOf(r.model))(text);
  if (level) return t[level](text);
  if (col.key === 'cost' && r.cost_micros === null) return t.warn(text);
  if (col.key === 'flags' && r.flags) return t.warn(text);
  if (col.key === 'host' || col.key === 'provider') return t.dim(text);
  return text;
}

/** The header line. */
export function printHeader(cols: readonly Column[], theme: Theme, tz: TimeZoneMode = 'utc'): string {
  return theme.dim(` ${cols.map((c) => fit(c.key === 'time' && tz === 'local' ? 'local time' : c.title, c.width, c.align)).join(' ')}`);
}

/**
 * One call as one line: the gutter (`>` selected, `!` an error row, `#` a block print above the
 * second tier, `$` above the first: marks that work without colour too), then the columns.
 */
export function printLine(r: CallRow, cols: readonly Column[], s: LineStyle, selected: boolean): string {
  const tier = blockTier(r.cost_micros, s.block);
  const level = errorLevel(r);
  const gutter = selected ? '>' : level ? '!' : tier === 2 ? '#' : tier === 1 ? '$' : ' ';
  if (selected) return s.theme.selected(`${gutter}${cols.map((c) => fit(cell(r, c, s), c.width, c.align)).join(' ')}`);
  const body = `${level ? s.theme[level](gutter) : gutter}${cols.map((c) => styleCell(r, c, fit(cell(r, c, s), c.width, c.align), s, level)).join(' ')}`;
  if (tier === 2) return s.theme.block2(body);
  if (tier === 1) return s.theme.block1(body);
  return body;
}
