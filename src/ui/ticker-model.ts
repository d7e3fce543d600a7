/**
 * The ticker, as pure functions: time buckets (kept by the feed) to slots (one per column) to
 * styled lines. Height is duration, on a log scale when durations spread widely; colour and a
 * letter name the model family; several calls in a slot show as the tallest with a count; the
 * costliest calls in view are annotated.
 */
import { FAMILY_LETTER, type Family, type Theme } from './theme.js';
import type { Money } from './format.js';

/** The feed's unit of time for the ticker, ms. */
export const BUCKET_MS = 250;

export interface TickBucket {
  /** floor(ts / BUCKET_MS) */
  readonly i: number;
  readonly n: number;
  readonly tallMs: number;
  readonly tallFam: Family;
  /** the costliest call in the bucket (null: none priced) */
  readonly topCost: number | null;
  readonly topFam: Family;
}

export interface Slot {
  n: number;
  tallMs: number;
  fam: Family;
  topCost: number | null;
  topFam: Family;
}

/** Buckets into `columns` slots covering (now − window, now], the NOW edge at the right. */
export function toSlots(buckets: readonly TickBucket[], now: number, windowMs: number, columns: number): (Slot | null)[] {
  const slots: (Slot | null)[] = new Array(Math.max(0, columns)).fill(null);
  if (columns <= 0) return slots;
  const start = now - windowMs;
  const slotMs = windowMs / columns;
  for (const b of buckets) {
    const mid = b.i * BUCKET_MS + BUCKET_MS / 2;
    if (mid <= start || b.i * BUCKET_MS > now) continue;
    const k = Math.min(columns - 1, Math.max(0, Math.floor((mid - start) / slotMs)));
    const s = slots[k];
    if (!s) {
      slots[k] = { n: b.n, tallMs: b.tallMs, fam: b.tallFam, topCost: b.topCost, topFam: b.topFam };
      continue;
    }
    s.n += b.n;
    if (b.tallMs > s.tallMs) {
      s.tallMs = b.tallMs;
      s.fam = b.tallFam;
    }
    if (b.topCost !== null && (s.topCost === null || b.topCost > s.topCost)) {
      s.topCost = b.topCost;
      s.topFam = b.topFam;
    }
  }
  return slots;
}

export interface Scale {
  readonly log: boolean;
  readonly maxMs: number;
  /** bar height in eighths of a row */
  eighths(ms: number): number;
}

/** Linear when durations in view are within 10x of each other, else logarithmic. */
export function scaleFor(slots: readonly (Slot | null)[], rows: number): Scale {
  let lo = Infinity;
  let hi = 0;
  for (const s of slots) {
    if (!s) continue;
    lo = Math.min(lo, Math.max(1, s.tallMs));
    hi = Math.max(hi, s.tallMs);
  }
  const levels = rows * 8;
  if (hi <= 0) return { log: false, maxMs: 0, eighths: () => 1 };
  const log = hi / lo > 10;
  const llo = Math.log(lo);
  const span = Math.log(hi) - llo;
  return {
    log,
    maxMs: hi,
    eighths: (ms) => {
      const f = log ? 0.15 + (0.85 * (Math.log(Math.max(1, ms)) - llo)) / span : ms / hi;
      return Math.max(1, Math.min(levels, Math.round(f * levels)));
    },
  };
}

const BLOCKS = ['', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Joins cells into one string, styling runs of the same family with one call. */
function styledRow(cells: readonly string[], fams: readonly (Family | null)[], theme: Theme): string {
  let out = '';
  let run = '';
  let runFam: Family | null = null;
  const flush = () => {
    if (run) out += runFam ? theme.model(runFam)(run) : run;
    run = '';
  };
  for (let k = 0; k < cells.length; k++) {
    const f = cells[k] === ' ' ? null : fams[k]!;
    if (f !== runFam) {
      flush();
      runFam = f;
    }
    run += cells[k];
  }
  flush();
  return out;
}

/** `count` costliest slots, labelled `▾opus $0.114` at their column, without overlaps. */
export function annotationRow(slots: readonly (Slot | null)[], count: number, money: Money, theme: Theme): string {
  const width = slots.length;
  const ranked = slots
    .map((s, k) => ({ s, k }))
    .filter((x): x is { s: Slot; k: number } => x.s !== null && x.s.topCost !== null && x.s.topCost > 0)
    .sort((a, b) => b.s.topCost! - a.s.topCost! || b.k - a.k)
    .slice(0, count);
  const taken: boolean[] = new Array(width).fill(false);
  const placed: { from: number; text: string; fam: Family }[] = [];
  for (const { s, k } of ranked) {
    const label = `${s.topFam} ${money.short(s.topCost!)}`;
    let from = k;
    let text = `▾${label}`;
    if (k + text.length > width) {
      text = `${label}▾`;
      from = k - text.length + 1;
    }
    if (from < 0) continue;
    let free = true;
    for (let c = Math.max(0, from - 1); c < Math.min(width, from + text.length + 1); c++) if (taken[c]) free = false;
    if (!free) continue;
    for (let c = from; c < from + text.length; c++) taken[c] = true;
    placed.push({ from, text, fam: s.topFam });
  }
  placed.sort((a, b) => a.from - b.from);
  let out = '';
  let col = 0;
  for (const p of placed) {
    out += ' '.repeat(p.from - col) + theme.model(p.fam)(p.text);
    col = p.from + p.text.length;
  }
  return out + ' '.repeat(Math.max(0, width - col));
}

export interface TickerLines {
  readonly annotations: string;
  readonly bars: readonly string[];
  readonly letters: string;
  readonly counts: string;
  readonly scale: Scale;
}

/** The ticker's lines for `rows` bar rows (plus annotation, letter and count rows). */
export function tickerLines(slots: readonly (Slot | null)[], rows: number, annotate: number, money: Money, theme: Theme): TickerLines {
  const scale = scaleFor(slots, rows);
  const heights = slots.map((s) => (s ? scale.eighths(s.tallMs) : 0));
  const fams = slots.map((s) => (s ? s.fam : null));
  const bars: string[] = [];
  for (let r = 0; r < rows; r++) {
    const fromBottom = rows - 1 - r;
    const cells = heights.map((e) => {
      const full = Math.floor(e / 8);
      if (fromBottom < full) return '█';
      if (fromBottom === full && e % 8) return BLOCKS[e % 8]!;
      return ' ';
    });
    bars.push(styledRow(cells, fams, theme));
  }
  const letters = styledRow(slots.map((s) => (s ? FAMILY_LETTER[s.fam] : ' ')), fams, theme);
  const counts = theme.dim(slots.map((s) => (!s ? ' ' : s.n < 10 ? String(s.n) : '+')).join(''));
  return { annotations: annotationRow(slots, annotate, money, theme), bars, letters, counts, scale };
}
