import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Provider } from '@pydantic/genai-prices';
import type { PriceBook, ResolvedPrice } from '../pricing/price-book.js';
import { microsToUsd } from '../pricing/micros.js';
import { sha256 } from '../reconcile/store.js';
import { TapeError, ExitCode } from '../errors.js';

/** USD per MTok from micro-USD per MTok, without trailing zeros: 3000000 -> "3", 300000 -> "0.3". */
export function perMtok(micros: number): string {
  return microsToUsd(micros).replace(/\.?0+$/, '');
}

export interface PriceLine {
  readonly provider: string;
  readonly model: string;
  readonly matched: string;
  readonly price_version: string;
  /** USD per million tokens, as decimal strings; null where the model has no separate price */
  readonly input: string;
  readonly output: string;
  readonly cache_read: string | null;
  readonly cache_write_5m: string | null;
  readonly cache_write_1h: string | null;
  readonly tiers: readonly { readonly kind: string; readonly above_input_tokens: number; readonly usd_per_mtok: string }[];
  readonly discount: number;
}

export function priceLine(book: PriceBook, p: ResolvedPrice): PriceLine {
  const tiers: PriceLine['tiers'][number][] = [];
  const kinds: [string, ResolvedPrice['input'] | null][] = [['input', p.input], ['output', p.output], ['cache_read', p.cacheRead], ['cache_write_5m', p.cacheWrite], ['cache_write_1h', p.cacheWrite1h]];
  for (const [kind, r] of kinds) for (const t of r?.tiers ?? []) tiers.push({ kind, above_input_tokens: t.start, usd_per_mtok: perMtok(t.price) });
  return {
    provider: p.provider,
    model: p.model,
    matched: p.matched,
    price_version: book.version,
    input: perMtok(p.input.base),
    output: perMtok(p.output.base),
    cache_read: p.cacheRead ? perMtok(p.cacheRead.base) : null,
    cache_write_5m: p.cacheWrite ? perMtok(p.cacheWrite.base) : null,
    cache_write_1h: p.cacheWrite1h ? perMtok(p.cacheWrite1h.base) : null,
    tiers,
    discount: p.discount,
  };
}

export function priceTable(lines: readonly PriceLine[]): string {
  const head = ['provider', 'model', 'input', 'output', 'cache read', 'write 5m', 'write 1h', 'tiers'];
  const rows = lines.map((l) => [l.provider, l.model, l.input, l.output, l.cache_read ?? '-', l.cache_write_5m ?? '-', l.cache_write_1h ?? '-', l.tiers.map((t) => `${t.kind}>${t.above_input_tokens}: ${t.usd_per_mtok}`).join('; ') || '-']);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [...[head, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd())].join('\n') + '\n';
}

/** Checks refreshed price data has the library's shape (a list of providers with models) before it is kept. */
export function checkPriceData(raw: unknown, where: string): Provider[] {
  const data = Array.isArray(raw) ? raw : (raw as { providers?: unknown })?.providers;
  if (!Array.isArray(data) || data.length === 0) throw new TapeError(`${where}: expected the genai-prices data (a JSON list of providers)`, ExitCode.badInput);
  data.forEach((p: unknown, i: number) => {
    const o = p as { id?: unknown; models?: unknown };
    if (typeof o?.id !== 'string' || !Array.isArray(o.models)) throw new TapeError(`${where}: provider ${i + 1} has no "id" or "models" list; is this the genai-prices data.json?`, ExitCode.badInput);
  });
  return data as Provider[];
}

/** Writes refreshed data where loadPriceBook reads it, atomically; returns its tag (a short hash). */
export function storePriceData(path: string, bytes: string, providers: Provider[], fetchedAt: number): string {
  const tag = sha256(bytes).slice(0, 8);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ tag, fetched_at: new Date(fetchedAt).toISOString(), providers }), { mode: 0o600 });
  renameSync(tmp, path);
  return tag;
}
