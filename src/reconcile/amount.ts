import { parseWhen } from '../time.js';

/**
 * Exact amounts, times and model names for bills. An amount is a plain decimal ("12.5",
 * "-0.000123", exponent form "1.5e-05" from JSON), turned into integer micro-USD with one
 * rounding (half away from zero) even when the unit is cents. Anything else is ambiguous and
 * refused: thousands separators ("1,234.50"), decimal commas ("12,50"), blanks, currency words.
 * (micros.ts's decimalToMicros rounds to micros before dividing by a unit, which rounds twice
 * for cents, and refuses exponents that JSON producers emit for tiny values.)
 */
const DECIMAL = /^([+-])?(\d+)?(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Returns micro-USD, or a reason the text is not an unambiguous amount. */
const SIMPLE = /^(\d{1,9})(?:\.(\d{1,6}))?$/;

export function amountMicros(raw: string, unitsPerDollar: 1 | 100 = 1): number | string {
  if (unitsPerDollar === 1) {
    // the common case (dollars, at most 6 decimals) in plain integers: exact, no BigInt
    const f = SIMPLE.exec(raw);
    if (f) return Number(f[1]) * 1_000_000 + (f[2] ? Number(f[2].padEnd(6, '0')) : 0);
  }
  let text = raw.trim();
  if (text === '') return 'the amount is empty';
  if (unitsPerDollar === 1 && text.startsWith('$')) text = text.slice(1);
  else if (text.startsWith('-$')) text = `-${text.slice(2)}`;
  if (/,/.test(text)) return `the amount "${raw}" is ambiguous (a comma: thousands separator or decimal comma?); export with plain decimals`;
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined)) return `"${raw}" is not a decimal amount`;
  const neg = m[1] === '-';
  const intPart = m[2] ?? '0';
  const frac = m[3] ?? '';
  const exp = m[4] !== undefined ? Number(m[4]) : 0;
  if (Math.abs(exp) > 40) return `the amount "${raw}" is out of range`;
  // value = digits / 10^(frac.length - exp); micros = value * 1e6 / unitsPerDollar
  const digits = BigInt(intPart + frac);
  let num = digits * 1_000_000n;
  let den = BigInt(unitsPerDollar);
  const shift = frac.length - exp;
  if (shift >= 0) den *= 10n ** BigInt(shift);
  else num *= 10n ** BigInt(-shift);
  let q = num / den;
  if ((num % den) * 2n >= den) q += 1n;
  const n = Number(q);
  if (!Number.isSafeInteger(n)) return `the amount "${raw}" is out of range`;
  return neg ? -n : n;
}

/** A whole, non-negative count ("1200"), or null. */
export function countOf(raw: string): number | null {
  const t = raw.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

export const DAY_MS = 86_400_000;

/** An RFC 3339 / ISO-8601 time, a date (UTC midnight), or Unix seconds when `unix` is set. */
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;

export function timeOf(raw: string, unix = false): number | null {
  if (!unix && ISO_Z.test(raw)) {
    const ms = Date.parse(raw);
    if (!Number.isNaN(ms)) return ms;
  }
  const t = raw.trim();
  if (unix) return /^\d{9,11}$/.test(t) ? Number(t) * 1000 : null;
  if (/^\d+(\.\d+)?$/.test(t)) return null; // a bare number is not a date
  return parseWhen(t, 0);
}

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function dayLabel(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The name both sides are matched on: lower case, "Claude Haiku 4.5" and "claude-haiku-4-5-20251001"
 * both become "claude-haiku|4-5" ("Claude Haiku 3.5" and "claude-3-5-haiku" alike); a date suffix and an "anthropic/" style prefix on a first-party
 * provider are dropped. OpenRouter slugs keep their vendor prefix (it is the model's name there).
 * Aliases meet their snapshots: "claude-sonnet-4-0" is "claude-sonnet-4-20250514" ("Claude Sonnet 4"
 * in the Console), "claude-3-7-sonnet-latest" is "claude-3-7-sonnet-20250219", "gpt-4-0613" is "gpt-4";
 * a parenthesised note in a Console name is ignored.
 */
export function modelKey(provider: string, model: string): string {
  let m = model.trim().toLowerCase();
  if (provider !== 'openrouter') {
    const slash = m.indexOf('/');
    if (slash >= 0) m = m.slice(slash + 1);
  }
  m = m
    .replace(/\([^)]*\)/g, ' ') // a Console note: "Claude Sonnet 3.5 (New)"
    .replace(/[\s._]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/-latest$/, '')
    .replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, '')
    .replace(/([a-z\d])-(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$/, '$1') // an OpenAI MMDD snapshot: gpt-4-0613, gpt-3.5-turbo-0125
    .replace(/(\d)-0$/, '$1'); // an Anthropic "-0" alias: claude-opus-4-0
  // "claude-3-5-haiku" (API) and "Claude Haiku 3.5" (Console): words in any order, numbers in order
  const parts = m.split('-').filter((x) => x !== '');
  const words = parts.filter((x) => !/^\d+$/.test(x)).sort();
  const nums = parts.filter((x) => /^\d+$/.test(x));
  return `${words.join('-')}|${nums.join('-')}`;
}

/** Control characters out of untrusted text (CSV cells, JSON strings) before storing or showing it. */
export function clean(text: string, max = 256): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, max);
}
