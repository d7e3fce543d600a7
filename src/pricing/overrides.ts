import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The overrides file: negotiated rates and models the price library lacks.
 *
 * {
 *   "models":    { "anthropic/claude-opus-4-5": { "input_mtok": 4.5, "output_mtok": 22.5 },
 *                  "acme/house-model-*":        { "input_mtok": 1, "output_mtok": 2 } },
 *   "discounts": { "anthropic": 0.10, "openai/gpt-5*": 0.2 }
 * }
 *
 * Keys are `provider/model`, a `*` glob in either part, or a bare name: a whole provider
 * ("anthropic") or that model under any provider.
 * Prices are USD per million tokens (`input_mtok`, `output_mtok`, `cache_read_mtok`,
 * `cache_write_mtok`, `cache_write_1h_mtok`); a discount is a fraction taken off the whole
 * call. The most specific key wins (exact before glob, longer before shorter).
 */
export interface PriceOverride {
  readonly prices: Partial<Record<'input_mtok' | 'output_mtok' | 'cache_read_mtok' | 'cache_write_mtok' | 'cache_write_1h_mtok', number>>;
  /** has input and output prices, so it can price a model the library lacks */
  readonly complete: boolean;
}

interface Rule<T> {
  readonly key: string;
  readonly provider: RegExp | null;
  readonly model: RegExp;
  readonly specificity: number;
  readonly value: T;
}

const PRICE_FIELDS = ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'] as const;

function glob(text: string): RegExp {
  return new RegExp(`^${text.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

function rule<T>(key: string, value: T): Rule<T> {
  const slash = key.indexOf('/');
  // "openrouter/anthropic/claude..." : the first segment is the provider only if it has no glob ambiguity
  const provider = slash > 0 ? key.slice(0, slash) : null;
  const model = slash > 0 ? key.slice(slash + 1) : key;
  const exact = !key.includes('*');
  return { key, provider: provider ? glob(provider) : null, model: glob(model), specificity: (exact ? 1e6 : 0) + (provider ? 1e5 : 0) + key.length, value };
}

export class Overrides {
  readonly hash: string;
  readonly path: string;
  private readonly models: Rule<PriceOverride>[];
  private readonly discounts: Rule<number>[];

  constructor(raw: unknown, bytes: string, path = 'overrides') {
    this.path = path;
    this.hash = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${path}: must be a JSON object with "models" and/or "discounts"`);
    const obj = raw as Record<string, unknown>;
    for (const k of Object.keys(obj)) if (k !== 'models' && k !== 'discounts' && k !== '$comment') throw new Error(`${path}: unknown field "${k}" (expected "models", "discounts")`);
    this.models = Object.entries((obj.models ?? {}) as Record<string, unknown>).map(([key, v]) => rule(key, parseOverride(v, `${path}: models.${key}`)));
    this.discounts = Object.entries((obj.discounts ?? {}) as Record<string, unknown>).map(([key, v]) => {
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${path}: discounts.${key} must be a fraction from 0 to below 1 (0.1 = 10% off)`);
      return rule(key, v);
    });
    this.models.sort((a, b) => b.specificity - a.specificity);
    this.discounts.sort((a, b) => b.specificity - a.specificity);
  }

  static load(path: string): Overrides {
    let bytes: string;
    try {
      bytes = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read price overrides ${path}: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(bytes);
    } catch (err) {
      throw new Error(`price overrides ${path} is not valid JSON: ${(err as Error).message}`);
    }
    return new Overrides(raw, bytes, path);
  }

  find(provider: string, model: string): PriceOverride | null {
    return match(this.models, provider, model);
  }

  discount(provider: string, model: string): number {
    return match(this.discounts, provider, model) ?? 0;
  }
}

function match<T>(rules: readonly Rule<T>[], provider: string, model: string): T | null {
  for (const r of rules) {
    if (r.provider ? r.provider.test(provider) && r.model.test(model) : r.model.test(model) || r.model.test(provider)) return r.value;
  }
  return null;
}

function parseOverride(v: unknown, where: string): PriceOverride {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where} must be an object of USD-per-MTok prices`);
  const prices: Record<string, number> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (!(PRICE_FIELDS as readonly string[]).includes(k)) throw new Error(`${where}: unknown price "${k}" (known: ${PRICE_FIELDS.join(', ')})`);
    if (typeof val !== 'number' || !Number.isFinite(val) || val < 0) throw new Error(`${where}.${k} must be a non-negative number (USD per million tokens)`);
    prices[k] = val;
  }
  return { prices, complete: prices.input_mtok !== undefined && prices.output_mtok !== undefined };
}
