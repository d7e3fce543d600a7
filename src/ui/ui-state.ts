/**
 * The screen's own state (pause, selection, overlays, filter, window, time zone) as a pure
 * reducer over key actions. Effects on the tape (window, filter) follow from this state.
 */
import type { CallRow } from '../tape/row.js';
import type { RowFilter } from '../tape/filter.js';
import type { Key } from 'ink';
import { actionFor, type Action, type Mode } from './keys.js';
import type { TimeZoneMode } from './format.js';

export const WINDOWS: readonly number[] = [90, 300, 900, 3600];

export interface ScreenFilter {
  readonly filter: RowFilter;
  /** how it reads on screen: project=*sales* */
  readonly label: string;
}

export interface UiState {
  readonly paused: boolean;
  /** the print as it stood when paused */
  readonly frozen: readonly CallRow[];
  readonly arrivedAtPause: number;
  /** index into `frozen`, 0 = newest */
  readonly selected: number;
  readonly overlay: 'none' | 'help' | 'detail' | 'filter';
  readonly detail: CallRow | null;
  readonly draft: string;
  readonly filter: ScreenFilter | null;
  readonly windowSeconds: number;
  readonly tz: TimeZoneMode;
  readonly quit: boolean;
}

export function initialUi(windowSeconds: number): UiState {
  return { paused: false, frozen: [], arrivedAtPause: 0, selected: 0, overlay: 'none', detail: null, draft: '', filter: null, windowSeconds, tz: 'utc', quit: false };
}

export function modeOf(s: UiState): Mode {
  if (s.overlay === 'help') return 'help';
  if (s.overlay === 'detail') return 'detail';
  if (s.overlay === 'filter') return 'filter';
  return s.paused ? 'paused' : 'live';
}

/** What the reducer may look at besides the state: the rows on screen now. */
export interface ActionContext {
  readonly rows: readonly CallRow[];
  readonly arrived: number;
  /** print rows visible (for PgUp/PgDn) */
  readonly page: number;
}

export function nextWindow(current: number): number {
  return WINDOWS.find((w) => w > current) ?? WINDOWS[0]!;
}

const FIELDS = ['project', 'model', 'provider', 'host'] as const;

/**
 * Filter text to a row filter: `project:x`, `model:x`, `provider:x`, `host:x` (or p:, m:, pr:, h:) name the
 * field; bare text is matched against the calls on screen to pick the field it names (an exact
 * name matches exactly, else as a `*text*` glob), projects first.
 */
export function parseFilterText(text: string, rows: readonly CallRow[]): ScreenFilter | null {
  const t = text.trim();
  if (!t) return null;
  const m = /^(project|model|provider|host|p|m|pr|h):(.+)$/i.exec(t);
  if (m) {
    const key = m[1]!.toLowerCase();
    const field = key === 'p' ? 'project' : key === 'm' ? 'model' : key === 'pr' ? 'provider' : key === 'h' ? 'host' : (key as (typeof FIELDS)[number]);
    const v = m[2]!.trim();
    return { filter: { [field]: [v] }, label: `${field}=${v}` };
  }
  for (const field of FIELDS) if (rows.some((r) => r[field] === t)) return { filter: { [field]: [t] }, label: `${field}=${t}` };
  const glob = t.includes('*') ? t : `*${t}*`;
  const re = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const field = FIELDS.find((f) => rows.some((r) => re.test(r[f]))) ?? 'project';
  return { filter: { [field]: [glob] }, label: `${field}=${glob}` };
}

function pause(s: UiState, c: ActionContext): UiState {
  return s.paused ? s : { ...s, paused: true, frozen: c.rows, arrivedAtPause: c.arrived, selected: 0 };
}

function move(s: UiState, c: ActionContext, by: number): UiState {
  const p = pause(s, c);
  const max = Math.max(0, p.frozen.length - 1);
  return { ...p, selected: Math.min(max, Math.max(0, p.selected + by)) };
}

export function reduce(s: UiState, a: Action, c: ActionContext, typed = ''): UiState {
  switch (a) {
    case 'quit':
      return { ...s, quit: true };
    case 'pause':
      return s.paused ? { ...s, paused: false, frozen: [], selected: 0 } : pause(s, c);
    case 'up':
      return move(s, c, -1);
    case 'down':
      return move(s, c, 1);
    case 'pageUp':
      return move(s, c, -Math.max(1, c.page - 1));
    case 'pageDown':
      return move(s, c, Math.max(1, c.page - 1));
    case 'top':
      return move(s, c, -Number.MAX_SAFE_INTEGER);
    case 'open': {
      const rows = s.paused ? s.frozen : c.rows;
      const row = rows[s.paused ? s.selected : 0];
      return row ? { ...s, overlay: 'detail', detail: row } : s;
    }
    case 'filter':
      return { ...s, overlay: 'filter', draft: '' };
    case 'clear':
      return { ...s, filter: null };
    case 'window':
      return { ...s, windowSeconds: nextWindow(s.windowSeconds) };
    case 'tz':
      return { ...s, tz: s.tz === 'utc' ? 'local' : 'utc' };
    case 'help':
      return { ...s, overlay: s.overlay === 'help' ? 'none' : 'help' };
    case 'close':
      return { ...s, overlay: 'none', detail: null };
    case 'apply':
      return { ...s, overlay: 'none', filter: parseFilterText(s.draft, c.rows), draft: '', paused: false, frozen: [], selected: 0 };
    case 'cancel':
      return { ...s, overlay: 'none', draft: '' };
    case 'erase':
      return { ...s, draft: s.draft.slice(0, -1) };
    default:
      return typed && s.overlay === 'filter' ? { ...s, draft: (s.draft + typed).slice(0, 200) } : s;
  }
}

const PLAIN_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/**
 * One read of the keyboard against the latest state: the key table picks the action for the mode.
 * Keys typed faster than they are read (a slow SSH link, tmux send-keys) arrive as one string
 * (`u?`, `/sales`): outside the filter prompt each character is a key of its own.
 */
export function applyKey(s: UiState, input: string, key: Key, c: ActionContext): UiState {
  if (input.length > 1 && !key.ctrl && !key.meta && modeOf(s) !== 'filter') {
    let out = s;
    for (let i = 0; i < input.length; i++) {
      const ch = input[i]!;
      out = ch === '\r' ? applyKey(out, '', { ...PLAIN_KEY, return: true }, c) : applyKey(out, input.slice(i, i + 1), PLAIN_KEY, c);
      if (modeOf(out) === 'filter') return applyKey(out, input.slice(i + 1), PLAIN_KEY, c);
    }
    return out;
  }
  const mode = modeOf(s);
  const action = actionFor(mode, input, key);
  if (action) return reduce(s, action, c);
  if (mode === 'filter') {
    const text = typedText(input);
    if (text) return { ...s, draft: (s.draft + text).slice(0, 200) };
  }
  return s;
}

/** Printable text typed into the filter prompt (control characters dropped). */
export function typedText(input: string): string {
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}
