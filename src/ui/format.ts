/**
 * Formatting for the screen. Stamps are taken when events happen and formatted here; nothing in
 * render reads the clock. Money is integer micro-USD until it is turned into text.
 */
import { formatMicros as fixed } from '../pricing/micros.js';

export type TimeZoneMode = 'utc' | 'local';

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
function p3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function localOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  if (off === 0) return '+00';
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${a % 60 ? p2(a % 60) : ''}`;
}

/** 18:00:00.123Z (UTC) or 19:00:00.123 (local; the status clock names the offset): the print's time column. */
export function fmtTime(ts: number, tz: TimeZoneMode = 'utc'): string {
  const d = new Date(ts);
  if (tz === 'utc') return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${p3(d.getUTCMilliseconds())}Z`;
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${p3(d.getMilliseconds())}`;
}

/** 2026-12-03 18:00:00Z: the status line clock. */
export function fmtClock(ts: number, tz: TimeZoneMode = 'utc'): string {
  const d = new Date(ts);
  if (tz === 'utc') return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}Z`;
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}${localOffset(d)}`;
}

/** Full ISO stamp (detail view). */
export function fmtIso(ts: number): string {
  return new Date(ts).toISOString();
}

/** 5120 -> 5.1k, 120000 -> 120k, 1200000 -> 1.2M (at most 5 characters). */
export function fmtTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 9950) return `${(n / 1000).toFixed(1)}k`;
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  if (n < 9_950_000) return `${(n / 1e6).toFixed(1)}M`;
  return `${Math.round(n / 1e6)}M`;
}

/** 850 -> 850ms, 2140 -> 2.1s, 65000 -> 65s, 4000000 -> 67m. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 9950) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 600_000) return `${Math.round(ms / 1000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

/** Seconds as the window name: 90s, 5m, 15m, 1h. */
export function fmtWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 120) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** An age in ms as 40s, 12m, 5h, 9d. */
export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A signed fraction as a percentage: 0.0123 -> +1.23%. */
export function fmtPercent(x: number, decimals = 2): string {
  const v = (x * 100).toFixed(decimals);
  return `${x > 0 ? '+' : ''}${v}%`;
}

const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥' };

/** Money for display: USD by default; `--currency`/`--fx` convert for display only. */
export class Money {
  readonly currency: string;
  readonly fx: number;
  private readonly symbol: string;

  constructor(currency = 'USD', fx = 1) {
    this.currency = currency.toUpperCase();
    this.fx = fx;
    this.symbol = SYMBOLS[this.currency] ?? `${this.currency} `;
  }

  private conv(micros: number): number {
    return this.fx === 1 ? micros : Math.round(micros * this.fx);
  }

  /** One call's cost, exact to the micro under $1: $0.029830, $12.3456; null reads `unpriced`. */
  cost(micros: number | null): string {
    if (micros === null) return 'unpriced';
    const m = this.conv(micros);
    return `${this.symbol}${fixed(m, Math.abs(m) < 1_000_000 ? 6 : 4)}`;
  }

  /** A failed call that cost nothing: `$0 (err)`, so that it never reads like a free call. */
  failedZero(): string {
    return `${this.symbol}0 (err)`;
  }

  /** Short cost for labels: $0.114, $1.20, $0.0004. */
  short(micros: number): string {
    const m = this.conv(micros);
    const a = Math.abs(m);
    return `${this.symbol}${fixed(m, a >= 100_000_000 ? 0 : a >= 1_000_000 ? 2 : a >= 1_000 ? 3 : 6)}`;
  }

  /** Totals and rates: $1,234.56; below a dollar $0.4200 (four decimals so small rates are not $0.00). */
  amount(micros: number): string {
    const m = this.conv(micros);
    const a = Math.abs(m);
    return `${this.symbol}${fixed(m, a >= 1_000_000 ? 2 : a === 0 ? 2 : 4)}`;
  }

  rate(microsPerHour: number): string {
    return `${this.amount(microsPerHour)}/h`;
  }
}

/** Pads or cuts plain text to exactly `w` cells (cut text ends with …). */
export function fit(s: string, w: number, align: 'left' | 'right' = 'left'): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? '…' : `${s.slice(0, w - 1)}…`;
  return align === 'left' ? s.padEnd(w) : s.padStart(w);
}

/** Plain text in lines of at most `w` columns, broken at spaces (a word longer than a line is cut); at most `max` lines, the last one cut with `…`. */
export function wrap(s: string, w: number, max = Infinity): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > w) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  const out = lines.slice(0, max).map((l) => (l.length > w ? fit(l, w) : l));
  if (lines.length > max && out.length > 0) out[out.length - 1] = fit(`${out[out.length - 1]!} ${lines[max]!}`, w);
  return out;
}
