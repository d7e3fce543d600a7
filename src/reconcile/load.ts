import { readFileSync } from 'node:fs';
import { TapeError, ExitCode } from '../errors.js';
import { InputError } from './csv.js';
import { parseExactJson } from './exact-json.js';
import { detectJson, parseJsonBill } from './formats-json.js';
import { parseCsvBill } from './formats-csv.js';
import { FORMATS, type FormatId, type ParsedBill } from './types.js';
import type { PriceBook } from '../pricing/price-book.js';

export interface LoadedBill {
  readonly name: string;
  readonly bytes: Buffer;
  readonly bill: ParsedBill;
}

export function checkFormat(f: string | undefined): FormatId | null {
  if (f === undefined || f === '' || f === 'auto') return null;
  if (!(FORMATS as readonly string[]).includes(f)) throw new TapeError(`--format: unknown format "${f}" (known: ${FORMATS.join(', ')}, or auto)`, ExitCode.usage);
  return f as FormatId;
}

/** Reads and validates one bill completely; a bad cell is `FILE:LINE:COLUMN: reason` (exit 8). */
export function loadBill(path: string, forced: FormatId | null, prices: PriceBook): LoadedBill {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TapeError(`cannot read ${path}: ${(err as Error).message}`, ExitCode.badInput);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TapeError(`${path}:1:1: not UTF-8 text; export the bill as UTF-8 CSV or JSON (nothing was written)`, ExitCode.badInput);
  }
  try {
    const first = text.replace(/^\uFEFF/, '').trimStart()[0];
    if (first === '{' || first === '[') {
      const root = parseExactJson(text);
      const format = forced ?? detectJson(root);
      if (!format) throw new InputError(1, 1, 'unknown JSON bill: not an Anthropic cost/usage report, OpenAI costs/usage page or OpenRouter generations (try --format)');
      return { name: path, bytes, bill: parseJsonBill(format, root, { prices }) };
    }
    if (forced && !forced.endsWith('csv')) throw new InputError(1, 1, `--format ${forced} is a JSON format, but the file is not JSON`);
    return { name: path, bytes, bill: parseCsvBill(text, forced) };
  } catch (err) {
    if (err instanceof InputError) throw new TapeError(`${path}:${err.line}:${err.column}: ${err.reason} (nothing was written)`, ExitCode.badInput);
    throw err;
  }
}

/** When the price list in force was fetched (`tape prices update`), or null for the library's bundled data. */
export function priceListDate(priceFile: string): number | null {
  try {
    const stored = JSON.parse(readFileSync(priceFile, 'utf8')) as { fetched_at?: string };
    const t = stored.fetched_at ? Date.parse(stored.fetched_at) : NaN;
    return Number.isNaN(t) ? null : t;
  } catch {
    return null;
  }
}

/** "0.5%", "0.5" (percent) or "0.005" written as a fraction with --threshold-fraction: here always percent. */
export function parseThreshold(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new TapeError(`--threshold: expected a percentage like 0.5 or 0.5%, got "${text}"`, ExitCode.usage);
  return Number(m[1]) / 100;
}
