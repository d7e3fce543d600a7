import { InputError } from './csv.js';
import { JsonNumber, isObject, posOf, type JsonObject, type JsonValue } from './exact-json.js';
import { amountMicros, clean, dayOf, DAY_MS, timeOf } from './amount.js';
import type { BilledLine, FormatId, ParsedBill } from './types.js';
import type { PriceBook, Usage } from '../pricing/price-book.js';
import { usageRowCost } from '../pricing/usage-rows.js';

/**
 * The JSON bills, field names as the providers document them:
 * - Anthropic Admin API `GET /v1/organizations/cost_report`: `data[]` buckets
 *   (`starting_at`, `ending_at`, `results[]`), each result `amount` a decimal STRING in cents
 *   ("123.45" = $1.2345), `currency` "USD", optional `model`, `workspace_id`, `description`,
 *   `cost_type`, `token_type`, `service_tier`, `context_window`.
 * - Anthropic `GET /v1/organizations/usage_report/messages`: results with `uncached_input_tokens`,
 *   `cache_read_input_tokens`, `cache_creation.ephemeral_5m_input_tokens` / `_1h_`, `output_tokens`,
 *   `model`, `workspace_id`, `service_tier`, `context_window`: token counts, priced here at list price
 *   (per row, never at a tier the sum of many calls would reach: see src/pricing/usage-rows.ts).
 * - OpenAI `GET /v1/organization/costs`: `data[]` buckets (`start_time`, `end_time` Unix seconds,
 *   `results[]`), each `amount.value` a NUMBER in dollars, `amount.currency` "usd", optional
 *   `line_item` ("gpt-4o-2024-08-06, input") and `project_id`.
 * - OpenAI `GET /v1/organization/usage/completions`: results with `input_tokens` (cached included),
 *   `input_cached_tokens`, `output_tokens`, `model`, `project_id`, `batch`: priced here.
 * - OpenRouter `GET /api/v1/generation` (`{"data": {...}}`) or a list of generations: `id`,
 *   `created_at`, `model`, `total_cost` in dollars (camelCase from the SDK accepted too).
 * - OpenRouter `GET /api/v1/activity`: `data[]` per UTC `date` (YYYY-MM-DD) x `model_permaslug` x
 *   `endpoint_id`, `usage` in dollars (OpenRouter credits; `byok_usage_inference` is billed by the
 *   provider itself, not OpenRouter, and is not read).
 */

type Ctx = { readonly prices: PriceBook };

function err(v: unknown, why: string): never {
  throw new InputError(...posOf(v), why);
}

function field(o: JsonObject, ...names: string[]): JsonValue | undefined {
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
}

function str(o: JsonObject, name: string, required: boolean): string {
  const v = o[name];
  if (v === undefined || v === null) {
    if (required) err(o, `"${name}" is missing`);
    return '';
  }
  if (typeof v !== 'string') err(o, `"${name}" must be a string`);
  return clean(v);
}

function int(o: JsonObject, name: string): number {
  const v = o[name];
  if (v === undefined || v === null) return 0;
  if (!(v instanceof JsonNumber) || !/^\d+$/.test(v.text)) err(o, `"${name}" must be a whole number of tokens`);
  return Number(v.text);
}

function time(o: JsonObject, name: string, unix: boolean): number {
  const v = o[name];
  const t = typeof v === 'string' && !unix ? timeOf(v) : v instanceof JsonNumber && unix ? timeOf(v.text, true) : null;
  if (t === null) err(o, `"${name}" must be ${unix ? 'Unix seconds' : 'an RFC 3339 time'}`);
  return t;
}

function buckets(root: JsonValue): JsonObject[] {
  if (!isObject(root) || !Array.isArray(root.data)) err(root, 'expected an object with a "data" array');
  return (root.data as JsonValue[]).map((b) => (isObject(b) ? b : err(b, 'each "data" entry must be an object')));
}

function results(b: JsonObject): JsonObject[] {
  const r = b.results ?? b.result;
  if (!Array.isArray(r)) err(b, 'a bucket must have a "results" array');
  return r.map((x) => (isObject(x) ? x : err(x, 'each result must be an object')));
}

function usd(o: JsonObject, name: string, v: JsonValue | undefined, cents: boolean): number {
  const text = v instanceof JsonNumber ? v.text : typeof v === 'string' ? v : null;
  if (text === null) err(o, `"${name}" must be an amount`);
  const m = amountMicros(text, cents ? 100 : 1);
  if (typeof m === 'string') err(o, `"${name}": ${m}`);
  return m;
}

function currency(o: JsonObject, v: JsonValue | undefined): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string' || v.toUpperCase() !== 'USD') err(o, `currency ${JSON.stringify(v)} is not USD; only USD bills are reconciled`);
}

function coverageOf(provider: string, spans: [number, number][]): { provider: string; day: number }[] {
  const days = new Set<number>();
  for (const [s, e] of spans) for (let d = dayOf(s); d < e; d += DAY_MS) days.add(d);
  return [...days].sort((a, b) => a - b).map((day) => ({ provider, day }));
}

function anthropicCost(root: JsonValue): ParsedBill {
  const lines: BilledLine[] = [];
  const spans: [number, number][] = [];
  for (const b of buckets(root)) {
    const start = time(b, 'starting_at', false);
    const end = time(b, 'ending_at', false);
    spans.push([start, end]);
    for (const r of results(b)) {
      currency(r, r.currency);
      const item = ['description', 'cost_type', 'token_type', 'service_tier', 'context_window', 'inference_geo'].map((k) => str(r, k, false)).join('|');
      lines.push({ line: posOf(r)[0], start_ms: start, end_ms: end, provider: 'anthropic', model: str(r, 'model', false), project: str(r, 'workspace_id', false), item, request_id: null, cost_micros: usd(r, 'amount', r.amount, true) });
    }
  }
  return { format: 'anthropic-cost-report', lines, coverage: coverageOf('anthropic', spans) };
}

function priced(ctx: Ctx, o: JsonObject, provider: string, model: string, at: number, usage: Usage, how: { batch: boolean; longContext: boolean; requests: number }): number {
  if (!model) err(o, 'a usage report must be grouped by model to be priced (group_by=model)');
  const cost = usageRowCost(ctx.prices, provider, model, new Date(at), { usage, ...how });
  if (cost === null) err(o, `model "${model}" has no price in ${ctx.prices.version}; add it to the price overrides file`);
  return cost;
}

function anthropicUsage(root: JsonValue, ctx: Ctx): ParsedBill {
  const lines: BilledLine[] = [];
  const spans: [number, number][] = [];
  for (const b of buckets(root)) {
    const start = time(b, 'starting_at', false);
    const end = time(b, 'ending_at', false);
    spans.push([start, end]);
    for (const r of results(b)) {
      const cc = isObject(r.cache_creation) ? r.cache_creation : {};
      const w5 = int(cc, 'ephemeral_5m_input_tokens');
      const w1 = int(cc, 'ephemeral_1h_input_tokens');
      const reads = int(r, 'cache_read_input_tokens');
      const usage = { input_tok: int(r, 'uncached_input_tokens') + reads + w5 + w1, output_tok: int(r, 'output_tokens'), cached_tok: reads, cache_write_tok: w5 + w1, cache_write_1h_tok: w1 };
      const model = str(r, 'model', false);
      const tier = str(r, 'service_tier', false);
      const longContext = str(r, 'context_window', false) === '200k-1M';
      const cost = priced(ctx, r, 'anthropic', model, start, usage, { batch: tier === 'batch', longContext, requests: 0 });
      lines.push({ line: posOf(r)[0], start_ms: start, end_ms: end, provider: 'anthropic', model, project: str(r, 'workspace_id', false), item: `usage|${tier}|${str(r, 'api_key_id', false)}|${str(r, 'context_window', false)}`, request_id: null, cost_micros: cost });
    }
  }
  return { format: 'anthropic-usage-report', lines, coverage: coverageOf('anthropic', spans) };
}

function openaiCosts(root: JsonValue): ParsedBill {
  const lines: BilledLine[] = [];
  const spans: [number, number][] = [];
  for (const b of buckets(root)) {
    const start = time(b, 'start_time', true);
    const end = time(b, 'end_time', true);
    spans.push([start, end]);
    for (const r of results(b)) {
      if (!isObject(r.amount)) err(r, '"amount" must be an object with "value" and "currency"');
      currency(r, r.amount.currency);
      const lineItem = str(r, 'line_item', false);
      // "gpt-4o-2024-08-06, input": the model is what comes before the last comma
      const comma = lineItem.lastIndexOf(',');
      const model = comma > 0 ? lineItem.slice(0, comma).trim() : '';
      lines.push({ line: posOf(r)[0], start_ms: start, end_ms: end, provider: 'openai', model, project: str(r, 'project_id', false), item: `${lineItem}|${str(r, 'api_key_id', false)}`, request_id: null, cost_micros: usd(r, 'amount.value', r.amount.value, false) });
    }
  }
  return { format: 'openai-costs', lines, coverage: coverageOf('openai', spans) };
}

function openaiUsage(root: JsonValue, ctx: Ctx): ParsedBill {
  const lines: BilledLine[] = [];
  const spans: [number, number][] = [];
  for (const b of buckets(root)) {
    const start = time(b, 'start_time', true);
    const end = time(b, 'end_time', true);
    spans.push([start, end]);
    for (const r of results(b)) {
      const cached = int(r, 'input_cached_tokens');
      const input = int(r, 'input_tokens');
      if (cached > input) err(r, '"input_cached_tokens" exceeds "input_tokens"');
      const model = str(r, 'model', false);
      const usage = { input_tok: input, output_tok: int(r, 'output_tokens'), cached_tok: cached, cache_write_tok: 0, cache_write_1h_tok: 0 };
      const cost = priced(ctx, r, 'openai', model, start, usage, { batch: r.batch === true, longContext: false, requests: int(r, 'num_model_requests') });
      lines.push({ line: posOf(r)[0], start_ms: start, end_ms: end, provider: 'openai', model, project: str(r, 'project_id', false), item: `usage|${r.batch === true ? 'batch' : ''}|${str(r, 'api_key_id', false)}|${str(r, 'user_id', false)}`, request_id: null, cost_micros: cost });
    }
  }
  return { format: 'openai-usage', lines, coverage: coverageOf('openai', spans) };
}

function openrouterJson(root: JsonValue): ParsedBill {
  let items: JsonValue[];
  if (Array.isArray(root)) items = root;
  else if (isObject(root) && Array.isArray(root.data)) items = root.data;
  else if (isObject(root) && isObject(root.data)) items = [root.data];
  else err(root, 'expected a generation, a list of generations, or {"data": ...}');
  const lines: BilledLine[] = items.map((g) => {
    if (!isObject(g)) err(g, 'each generation must be an object');
    const id = field(g, 'id', 'generation_id');
    if (typeof id !== 'string' || id === '') err(g, '"id" (the generation id) is missing');
    const cost = field(g, 'total_cost', 'totalCost', 'usage');
    if (cost === undefined) err(g, '"total_cost" is missing');
    const createdName = g.created_at !== undefined ? 'created_at' : 'createdAt';
    const t = time(g, createdName, false);
    const model = g.model !== undefined ? str(g, 'model', false) : '';
    return { line: posOf(g)[0], start_ms: t, end_ms: t + 1, provider: 'openrouter', model, project: '', item: '', request_id: clean(id), cost_micros: usd(g, 'total_cost', cost, false) };
  });
  return { format: 'openrouter-json', lines, coverage: coverageOf('openrouter', lines.map((l) => [l.start_ms, l.end_ms])) };
}

function openrouterActivity(root: JsonValue): ParsedBill {
  const lines: BilledLine[] = buckets(root).map((a) => {
    const date = str(a, 'date', true);
    if (!/^\d{4}-\d\d-\d\d$/.test(date)) err(a, `"date" must be a UTC day, YYYY-MM-DD (got "${date}")`);
    const start = time(a, 'date', false);
    const model = str(a, 'model_permaslug', false) || str(a, 'model', false);
    const item = `${str(a, 'endpoint_id', false)}|${str(a, 'provider_name', false)}`;
    return { line: posOf(a)[0], start_ms: start, end_ms: start + DAY_MS, provider: 'openrouter', model, project: '', item, request_id: null, cost_micros: usd(a, 'usage', a.usage, false) };
  });
  return { format: 'openrouter-activity', lines, coverage: coverageOf('openrouter', lines.map((l) => [l.start_ms, l.end_ms])) };
}

/** Which JSON bill this is, from its shape; null when it is none of them. */
export function detectJson(root: JsonValue): FormatId | null {
  if (Array.isArray(root)) return root.length === 0 || (isObject(root[0]) && field(root[0], 'total_cost', 'totalCost') !== undefined) ? 'openrouter-json' : null;
  if (!isObject(root)) return null;
  if (isObject(root.data)) return 'openrouter-json';
  if (!Array.isArray(root.data)) return null;
  for (const b of root.data) {
    if (!isObject(b)) return null;
    if (field(b, 'total_cost', 'totalCost') !== undefined) return 'openrouter-json';
    if (b.date !== undefined && b.usage !== undefined && b.results === undefined) return 'openrouter-activity';
    const rs = b.results ?? b.result;
    if (!Array.isArray(rs)) return null;
    const r = rs.find(isObject) as JsonObject | undefined;
    if (!r) continue;
    if (r.object === 'organization.costs.result') return 'openai-costs';
    if (typeof r.object === 'string' && r.object.startsWith('organization.usage.completions')) return 'openai-usage';
    if (b.starting_at !== undefined && r.amount !== undefined) return 'anthropic-cost-report';
    if (b.starting_at !== undefined && r.uncached_input_tokens !== undefined) return 'anthropic-usage-report';
  }
  if (root.data.length === 0) return null;
  const b = root.data[0];
  if (isObject(b) && b.starting_at !== undefined) return 'anthropic-cost-report';
  if (isObject(b) && b.start_time !== undefined) return 'openai-costs';
  return null;
}

export function parseJsonBill(format: FormatId, root: JsonValue, ctx: Ctx): ParsedBill {
  switch (format) {
    case 'anthropic-cost-report':
      return anthropicCost(root);
    case 'anthropic-usage-report':
      return anthropicUsage(root, ctx);
    case 'openai-costs':
      return openaiCosts(root);
    case 'openai-usage':
      return openaiUsage(root, ctx);
    case 'openrouter-json':
      return openrouterJson(root);
    case 'openrouter-activity':
      return openrouterActivity(root);
    default:
      throw new InputError(1, 1, `--format ${format} is a CSV format, but the file is JSON`);
  }
}
