/**
 * The key table: one list drives input handling, the footer and the help screen, so what the
 * footer says is what the keys do.
 */
import type { Key } from 'ink';

export type Mode = 'live' | 'paused' | 'detail' | 'help' | 'filter';

export type Action =
  | 'quit' | 'pause' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'top' | 'open' | 'filter' | 'clear'
  | 'window' | 'tz' | 'help' | 'close' | 'apply' | 'cancel' | 'erase';

export interface KeyDef {
  readonly action: Action;
  /** how the key is written in the footer and help */
  readonly keys: string;
  readonly modes: readonly Mode[];
  /** short footer label (by mode when it differs) */
  readonly label: string | ((mode: Mode) => string);
  readonly help: string;
  /** shown in the footer (narrow screens show only `essential` ones) */
  readonly footer: boolean;
  readonly essential?: boolean;
  /** the help shows this key on the line of the one before it (↑ ↓, PgUp PgDn), with that one's text */
  readonly helpWithPrevious?: boolean;
  match(input: string, key: Key): boolean;
}

const ALL: readonly Mode[] = ['live', 'paused', 'detail', 'help', 'filter'];
const BROWSE: readonly Mode[] = ['live', 'paused'];

export const KEY_TABLE: readonly KeyDef[] = [
  { action: 'quit', keys: 'q', modes: ['live', 'paused', 'detail', 'help'], label: 'quit', help: 'quit, the terminal restored (Ctrl-C: from any view)', footer: true, essential: true, match: (i, k) => i === 'q' && !k.ctrl },
  { action: 'quit', keys: 'Ctrl-C', modes: ALL, label: 'quit', help: 'quit, from anywhere', footer: false, match: (i, k) => k.ctrl && i === 'c' },
  { action: 'pause', keys: 'space', modes: BROWSE, label: (m) => (m === 'paused' ? 'resume' : 'pause'), help: 'pause / resume the print (calls arriving underneath are counted)', footer: true, essential: true, match: (i) => i === ' ' },
  { action: 'up', keys: '↑', modes: BROWSE, label: 'select', help: 'select a newer / an older call (pauses)', footer: false, match: (_i, k) => k.upArrow },
  { action: 'down', keys: '↓', modes: BROWSE, label: 'select', help: 'select an older call (pauses)', footer: false, helpWithPrevious: true, match: (_i, k) => k.downArrow },
  { action: 'pageUp', keys: 'PgUp', modes: BROWSE, label: 'page', help: 'a page of newer / older calls (pauses)', footer: false, match: (_i, k) => k.pageUp },
  { action: 'pageDown', keys: 'PgDn', modes: BROWSE, label: 'page', help: 'a page of older calls (pauses)', footer: false, helpWithPrevious: true, match: (_i, k) => k.pageDown },
  { action: 'top', keys: 'Home', modes: BROWSE, label: 'newest', help: 'back to the newest call', footer: false, match: (_i, k) => k.home },
  { action: 'open', keys: 'Enter', modes: BROWSE, label: 'open call', help: 'open the selected call whole: every field, price version, request id', footer: true, match: (_i, k) => k.return },
  { action: 'filter', keys: '/', modes: BROWSE, label: 'filter', help: 'filter: a name, or project:x model:x provider:x host:x (* globs)', footer: true, essential: true, match: (i) => i === '/' },
  { action: 'clear', keys: 'Esc', modes: BROWSE, label: 'clear filter', help: 'clear the filter', footer: true, match: (_i, k) => k.escape },
  { action: 'window', keys: 'w', modes: BROWSE, label: 'window', help: 'ticker window: 90s, 5m, 15m, 1h', footer: true, essential: true, match: (i) => i === 'w' },
  { action: 'tz', keys: 'u', modes: BROWSE, label: 'UTC/local', help: 'times in UTC (Z, the default) or local time', footer: true, match: (i) => i === 'u' },
  { action: 'help', keys: '?', modes: ['live', 'paused', 'help'], label: 'help', help: 'this help', footer: true, essential: true, match: (i) => i === '?' },
  { action: 'close', keys: 'Esc', modes: ['detail', 'help'], label: 'back', help: 'close this view', footer: true, essential: true, match: (_i, k) => k.escape || k.return },
  { action: 'apply', keys: 'Enter', modes: ['filter'], label: 'apply', help: 'apply the filter', footer: true, essential: true, match: (_i, k) => k.return },
  { action: 'cancel', keys: 'Esc', modes: ['filter'], label: 'cancel', help: 'cancel', footer: true, essential: true, match: (_i, k) => k.escape },
  { action: 'erase', keys: '⌫', modes: ['filter'], label: 'erase', help: 'erase a character', footer: false, match: (_i, k) => k.backspace || k.delete },
];

/** The action for a key in a mode, or null. */
export function actionFor(mode: Mode, input: string, key: Key): Action | null {
  for (const d of KEY_TABLE) if (d.modes.includes(mode) && d.match(input, key)) return d.action;
  return null;
}

export function labelOf(d: KeyDef, mode: Mode): string {
  return typeof d.label === 'function' ? d.label(mode) : d.label;
}

/**
 * The footer's entries for a mode: `q quit  space pause ...` (only essential ones when narrow; Esc
 * while a filter is set counts as essential: it is the only way back). With a width, entries that
 * are not essential go, last first, until the line fits.
 */
export function footerEntries(mode: Mode, narrow: boolean, hasFilter: boolean, width = Infinity): { keys: string; label: string }[] {
  const out: { keys: string; label: string; essential: boolean }[] = [];
  if (mode === 'paused') out.push({ keys: '↑↓', label: 'select', essential: false });
  for (const d of KEY_TABLE) {
    if (!d.footer || !d.modes.includes(mode)) continue;
    if (d.action === 'clear' && !hasFilter) continue;
    const essential = d.essential === true || d.action === 'clear';
    if (narrow && !essential && !(mode === 'paused' && d.action === 'open')) continue;
    out.push({ keys: d.keys, label: labelOf(d, mode), essential });
  }
  const length = () => out.reduce((n, e) => n + e.keys.length + 1 + e.label.length + 2, -2);
  for (let i = out.length - 1; i >= 0 && length() > width; i--) if (!out[i]!.essential) out.splice(i, 1);
  return out.map(({ keys, label }) => ({ keys, label }));
}
