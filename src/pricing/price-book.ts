import { calcPrice, type ModelInfo, type ModelPrice, type Provider, type ConditionalPrice } from '@pydantic/genai-prices';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Overrides, PriceOverride } from './overrides.js';
import { divRoundBig } from './micros.js';

/** The token counts a row carries; `input` is ALL input tokens (uncached + cache reads + writes). */
export interface Usage {
  readonly input_tok: number;
  readonly output_tok: number;
  readonly cached_tok?: number;
  readonly cache_write_tok?: number;
  readonly cache_write_1h_tok?: number;
}

/** A price per token kind, in micro-USD per million tokens (= pico-USD per token): exact integers. */
interface Rate {
  readonly base: number;
  /** ascending; applies to every token of the call when the call's total input passes `start` */
  readonly tiers: readonly { readonly start: number; readonly price: number }[];
}

/** What one model costs, resolved once and cached. */
export interface ResolvedPrice {
  readonly provider: string;
  readonly model: string;
  /** the price library's model id, or "override" */
  readonly matched: string;
  readonly input: Rate;
  readonly output: Rate;
  readonly cacheRead: Rate | null;
  readonly cacheWrite: Rate | null;
  readonly cacheWrite1h: Rate | null;
  /** fee per request, pico-USD */
  readonly perRequestPico: number;
  /** discount applied, as a fraction (0.1 = 10% off) */
  readonly discount: number;
}

export interface PriceResult {
  readonly cost_micros: number | null;
  readonly price_version: string;
}

interface Lookup {
  readonly model: ModelInfo | null;
  readonly override: PriceOverride | null;
  readonly discount: number;
}

const EMPTY_PRICES: ModelPrice = {};
const PRICE_KEYS = ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'] as const;

declare const __GENAI_PRICES_VERSION__: string | undefined;

function libraryVersion(): string {
  if (typeof __GENAI_PRICES_VERSION__ === 'string') return __GENAI_PRICES_VERSION__;
  try {
    // the package's "exports" hide package.json: find it beside the resolved entry point
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** USD per MTok (a float with at most ~6 decimals) to micro-USD per MTok, exactly. */
function toMicrosPerMtok(usdPerMtok: number): number {
  return Math.round(usdPerMtok * 1e6);
}

function toRate(value: ModelPrice[string]): Rate | null {
  if (value === undefined) return null;
  if (typeof value === 'number') return { base: toMicrosPerMtok(value), tiers: [] };
  return {
    base: toMicrosPerMtok(value.base),
    tiers: [...value.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, price: toMicrosPerMtok(t.price) })),
  };
}

/** The same selection the price library makes: latest matching constraint wins, scanning from the end. */
function selectPrices(model: ModelInfo, at: Date): ModelPrice {
  if (!Array.isArray(model.prices)) return model.prices;
  const list = model.prices as ConditionalPrice[];
  for (let i = list.length - 1; i >= 0; i--) {
    const entry = list[i]!;
    const c = entry.constraint;
    if (!c) return entry.prices;
    if (c.type === 'start_date') {
      if (at.getTime() >= Date.parse(`${c.start_date}T00:00:00Z`)) return entry.prices;
    } else if (c.type === 'time_of_date') {
      const sec = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds() + at.getUTCMilliseconds() / 1000;
      const s = timeOfDaySeconds(c.start_time);
      const e = timeOfDaySeconds(c.end_time);
      if (e < s ? sec >= s || sec < e : sec >= s && sec < e) return entry.prices;
    }
  }
  return list[0]!.prices;
}

function timeOfDaySeconds(text: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) return 0;
  const t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4] ?? '0'}`);
  const off = m[5] === 'Z' ? 0 : (m[6] === '+' ? 1 : -1) * (Number(m[7]) * 60 + Number(m[8])) * 60;
  return (t - off + 86400) % 86400;
}

function rateAt(rate: Rate, totalInput: number): number {
  let price = rate.base;
  for (const t of rate.tiers) if (totalInput > t.start) price = t.price;
  return price;
}

/**
 * The price list: genai-prices' data, plus a local overrides file for negotiated rates and
 * models the library lacks. Resolves each (provider, model) once and prices rows in integer
 * pico-USD, rounding half away from zero to the micro-dollar once per call.
 */
export class PriceBook {
  readonly version: string;
  readonly libraryVersion: string;
  private readonly overrides: Overrides | null;
  private readonly providers: Provider[] | null;
  private readonly cache = new Map<string, Map<string, Lookup>>();
  private readonly resolvedCache = new WeakMap<Lookup, Map<ModelPrice, ResolvedPrice | null>>();

  /**
   * @param overrides parsed overrides file, or null
   * @param data provider data that replaces the library's bundled data (`tape prices update`)
   * @param dataTag a short tag naming that data (its hash or date) for the version string
   */
  constructor(overrides: Overrides | null = null, data: Provider[] | null = null, dataTag: string | null = null) {
    this.overrides = overrides;
    this.providers = data;
    this.libraryVersion = libraryVersion();
    let v = `genai-prices@${this.libraryVersion}`;
    if (dataTag) v += `+data:${dataTag}`;
    if (overrides) v += `+overrides:${overrides.hash}`;
    this.version = v;
  }

  private lookup(provider: string, model: string): Lookup {
    let byModel = this.cache.get(provider);
    if (!byModel) this.cache.set(provider, (byModel = new Map()));
    let hit = byModel.get(model);
    if (hit) return hit;
    const override = this.overrides?.find(provider, model) ?? null;
    let info: ModelInfo | null = null;
    if (!override || !override.complete) {
      const providerData = this.providers ? findProviderIn(this.providers, provider) : undefined;
      try {
        const r = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, providerData ? { provider: providerData } : { providerId: libraryProviderId(provider) });
        info = r?.model ?? null;
      } catch {
        info = null;
      }
    }
    hit = { model: info, override, discount: this.overrides?.discount(provider, model) ?? 0 };
    byModel.set(model, hit);
    return hit;
  }

  /** The rates in force for a model at a moment; null when neither the library nor overrides know it. */
  resolve(provider: string, model: string, at: Date = new Date()): ResolvedPrice | null {
    const found = this.lookup(provider, model);
    const { model: info, override, discount } = found;
    if (!info && !override?.complete) return null;
    const base: ModelPrice = info ? selectPrices(info, at) : EMPTY_PRICES;
    // one entry per (provider, model, price period): the period is the library's own price object
    let perModel = this.resolvedCache.get(found);
    if (!perModel) this.resolvedCache.set(found, (perModel = new Map()));
    const cached = perModel.get(base);
    if (cached !== undefined) return cached;
    const merged: Record<string, ModelPrice[string]> = { ...base };
    if (override) for (const k of PRICE_KEYS) if (override.prices[k] !== undefined) merged[k] = override.prices[k];
    // the library lists free models (":free" tiers, moderation, Gemma) with no price at all:
    // known and free, so 0 as calcPrice gives; prices in other units only (audio hours, pages)
    // cannot price a row of tokens, so those stay unpriced
    const free = info !== null && Object.keys(merged).length === 0;
    const input = toRate(merged.input_mtok) ?? (free ? { base: 0, tiers: [] } : null);
    const output = toRate(merged.output_mtok) ?? { base: 0, tiers: [] };
    const resolved: ResolvedPrice | null = input
      ? {
          provider,
          model,
          matched: info?.id ?? 'override',
          input,
          output,
          cacheRead: toRate(merged.cache_read_mtok),
          cacheWrite: toRate(merged.cache_write_mtok),
          cacheWrite1h: toRate(merged.cache_write_1h_mtok),
          perRequestPico: typeof merged.requests_kcount === 'number' ? Math.round(merged.requests_kcount * 1e9) : 0,
          discount,
        }
      : null;
    perModel.set(base, resolved);
    return resolved;
  }

  /**
   * Cost of one call in micro-USD, or null when the model is unknown (never 0 by default).
   * Token kinds the model has no separate price for fall back to their parent, as the
   * library does: 1-hour writes to writes, writes to plain input, reads to plain input.
   */
  cost(provider: string, model: string, usage: Usage, at: Date = new Date()): number | null {
    const p = this.resolve(provider, model, at);
    if (!p) return null;
    return costOf(p, usage);
  }

  price(provider: string, model: string, usage: Usage, ts: number): PriceResult {
    return { cost_micros: this.cost(provider, model, usage, new Date(ts)), price_version: this.version };
  }
}

/** Integer pricing of one call against resolved rates. */
export function costOf(p: ResolvedPrice, usage: Usage): number {
  const total = Math.max(0, usage.input_tok);
  const cached = Math.min(total, Math.max(0, usage.cached_tok ?? 0));
  const writes = Math.min(total - cached, Math.max(0, usage.cache_write_tok ?? 0));
  const writes1h = p.cacheWrite1h && p.cacheWrite ? Math.min(writes, Math.max(0, usage.cache_write_1h_tok ?? 0)) : 0;
  const writes5m = p.cacheWrite ? writes - writes1h : 0;
  const reads = p.cacheRead ? cached : 0;
  const uncached = total - reads - writes5m - writes1h;
  // each term: tokens x micro-USD per MTok = pico-USD
  const terms: [number, number][] = [
    [uncached, rateAt(p.input, total)],
    [Math.max(0, usage.output_tok), rateAt(p.output, total)],
    [reads, p.cacheRead ? rateAt(p.cacheRead, total) : 0],
    [writes5m, p.cacheWrite ? rateAt(p.cacheWrite, total) : 0],
    [writes1h, p.cacheWrite1h ? rateAt(p.cacheWrite1h, total) : 0],
  ];
  let pico = p.perRequestPico;
  for (const [tok, rate] of terms) pico += tok * rate;
  if (Number.isSafeInteger(pico) && p.discount === 0) return Math.floor((pico + 500_000) / 1_000_000);
  let big = BigInt(p.perRequestPico);
  for (const [tok, rate] of terms) big += BigInt(tok) * BigInt(rate);
  // discount as parts per million kept, so the whole computation stays in integers
  const keepPpm = BigInt(Math.round((1 - p.discount) * 1_000_000));
  return divRoundBig(big * keepPpm, 1_000_000_000_000n);
}

/** Our provider names to the library's provider ids. */
export function libraryProviderId(provider: string): string {
  switch (provider) {
    case 'gemini':
      return 'google';
    default:
      return provider;
  }
}

function findProviderIn(data: Provider[], provider: string): Provider | undefined {
  const id = libraryProviderId(provider);
  return data.find((p) => p.id === id);
}
