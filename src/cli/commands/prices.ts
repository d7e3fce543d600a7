import type { CommandModule } from 'yargs';
import { existsSync, readFileSync } from 'node:fs';
import { REMOTE_DATA_JSON_URL } from '@pydantic/genai-prices';
import { makeContext, type GlobalArgs, type Context } from '../context.js';
import { openReader, openWriter } from '../../tape/db.js';
import { priceDataPath } from '../../pricing/load.js';
import { checkPriceData, priceLine, priceTable, storePriceData, type PriceLine } from '../../report/prices.js';
import { PRICES_FETCHED_KEY } from '../../reconcile/periods.js';
import { ExitCode, TapeError } from '../../errors.js';
import { clockFrom } from './read.js';

interface PricesArgs extends GlobalArgs {
  model?: string;
  provider?: string;
  json?: boolean;
  now?: string;
}

interface UpdateArgs extends GlobalArgs {
  from?: string;
  url?: string;
  now?: string;
}

const PROVIDERS = ['anthropic', 'openai', 'google', 'openrouter', 'mistral', 'groq', 'deepseek', 'x-ai', 'aws', 'azure'];

/** Models to show: the one asked for ("provider/model" or --provider), else every model seen on the tape. */
function targets(ctx: Context, a: PricesArgs): [string, string][] {
  if (a.model) {
    const slash = a.model.indexOf('/');
    if (a.provider) return [[a.provider, a.model]];
    if (slash > 0 && PROVIDERS.includes(a.model.slice(0, slash))) return [[a.model.slice(0, slash), a.model.slice(slash + 1)]];
    return PROVIDERS.map((p) => [p, a.model!] as [string, string]);
  }
  if (!existsSync(ctx.paths.db)) return [];
  const db = openReader(ctx.paths.db);
  try {
    return (db.prepare('SELECT DISTINCT provider, model FROM rollup_hour ORDER BY provider, model').raw().all() as [string, string][]).filter(([p]) => !a.provider || p === a.provider);
  } finally {
    db.close();
  }
}

export function runPrices(a: PricesArgs): number {
  const ctx = makeContext(a);
  const book = ctx.prices();
  const at = new Date(clockFrom(a.now)());
  const lines: PriceLine[] = [];
  const unknown: string[] = [];
  const guessing = a.model !== undefined && targets(ctx, a).length > 1;
  for (const [provider, model] of targets(ctx, a)) {
    const p = book.resolve(provider, model, at);
    if (p) lines.push(priceLine(book, p));
    else if (!guessing) unknown.push(`${provider}/${model}`);
    if (p && guessing) break; // a bare model name: the first provider that prices it
  }
  if (a.model && lines.length === 0) throw new TapeError(`no price for "${a.model}" in ${book.version}; add it to the price overrides file, or run \`tape prices update\``, ExitCode.failure);
  const file = priceDataPath(ctx.paths.state);
  const fetched = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { fetched_at?: string }).fetched_at ?? null : null;
  if (a.json) {
    process.stdout.write(JSON.stringify({ type: 'prices', price_version: book.version, fetched_at: fetched, models: lines, unpriced: unknown }) + '\n');
    return 0;
  }
  process.stdout.write(`price list ${book.version} (${fetched ? `refreshed ${fetched}` : 'bundled with the price library'}); USD per million tokens\n\n`);
  process.stdout.write(lines.length ? priceTable(lines) : '(no models on the tape yet: name one, e.g. tape prices claude-sonnet-4-5)\n');
  if (unknown.length) process.stdout.write(`\nno price (these calls are counted as unpriced): ${unknown.join(', ')}\n`);
  return 0;
}

async function fetchData(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new TapeError(`cannot fetch ${url} (${(err as Error).message}); on a box without internet, download it elsewhere and use --from FILE`, ExitCode.unavailable);
  }
  if (!res.ok) throw new TapeError(`fetching ${url} answered HTTP ${res.status}; retry later or use --from FILE`, ExitCode.unavailable);
  return res.text();
}

export async function runPricesUpdate(a: UpdateArgs): Promise<number> {
  const ctx = makeContext(a);
  const now = clockFrom(a.now)();
  const source = a.from ?? a.url ?? REMOTE_DATA_JSON_URL;
  let text: string;
  if (a.from) {
    try {
      text = readFileSync(a.from, 'utf8');
    } catch (err) {
      throw new TapeError(`cannot read ${a.from}: ${(err as Error).message}`, ExitCode.badInput);
    }
  } else text = await fetchData(source);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TapeError(`${source} is not JSON (${(err as Error).message}); nothing was changed`, ExitCode.badInput);
  }
  const providers = checkPriceData(raw, source);
  const tag = storePriceData(priceDataPath(ctx.paths.state), text, providers, now);
  if (existsSync(ctx.paths.db)) {
    const db = openWriter(ctx.paths.db, { create: false });
    try {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(PRICES_FETCHED_KEY, new Date(now).toISOString());
    } finally {
      db.close();
    }
  }
  const version = makeContext(a).prices().version;
  process.stderr.write(`tape prices: ${providers.length} providers from ${source} stored as data:${tag}; new rows are priced with ${version}\n`);
  return 0;
}

const updateCommand: CommandModule<GlobalArgs, UpdateArgs> = {
  command: 'update',
  describe: "Refresh the price list from the price library's published data (or --from FILE)",
  builder: (y) =>
    y
      .option('from', { type: 'string', describe: 'read the data from this file (the library data.json) instead of the network' })
      .option('url', { type: 'string', describe: `fetch from this URL (default ${REMOTE_DATA_JSON_URL})` })
      .option('now', { type: 'string', describe: 'pin the clock (ISO-8601)' }) as never,
  handler: async (a) => {
    process.exitCode = await runPricesUpdate(a);
  },
};

export const pricesCommand: CommandModule<GlobalArgs, PricesArgs> = {
  command: 'prices [model]',
  describe: 'Show per-MTok prices (input, output, cache read/write, tiers) and the price list version; `prices update` refreshes it',
  builder: (y) =>
    y
      .command(updateCommand)
      .positional('model', { type: 'string', describe: 'a model, or provider/model (default: every model on the tape)' })
      .option('provider', { type: 'string', describe: 'the provider of MODEL' })
      .option('json', { type: 'boolean', describe: 'print one JSON object' })
      .option('now', { type: 'string', describe: 'prices in force at this moment (ISO-8601)' }) as never,
  handler: (a) => {
    process.exitCode = runPrices(a);
  },
};
