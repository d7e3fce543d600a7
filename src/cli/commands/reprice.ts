import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openReader } from '../../tape/db.js';
import { PriceBook } from '../../pricing/price-book.js';
import { Overrides } from '../../pricing/overrides.js';
import { loadPriceBook } from '../../pricing/load.js';
import { checkPriceData } from '../../report/prices.js';
import { reprice, repriceTable } from '../../report/reprice.js';
import { sha256 } from '../../reconcile/store.js';
import { Progress } from '../progress.js';
import { ExitCode, TapeError } from '../../errors.js';
import { parseWhen } from '../../time.js';
import { monthBounds } from '../../readouts/budget.js';
import { clockFrom, rowFilter } from './read.js';

interface RepriceArgs extends GlobalArgs {
  since?: string;
  until?: string;
  overrides?: string;
  pricesData?: string;
  json?: boolean;
  now?: string;
  project?: string[];
  model?: string[];
  provider?: string[];
}

/** The other price list: a data file and/or an overrides file, else the list in force now. */
function otherBook(a: RepriceArgs, current: () => PriceBook): PriceBook {
  if (!a.overrides && !a.pricesData) return current();
  let overrides: Overrides | null = null;
  if (a.overrides) {
    try {
      overrides = Overrides.load(a.overrides);
    } catch (err) {
      throw new TapeError(`--overrides: ${(err as Error).message}`, ExitCode.usage);
    }
  }
  if (!a.pricesData) return new PriceBook(overrides);
  let text: string;
  try {
    text = readFileSync(a.pricesData, 'utf8');
  } catch (err) {
    throw new TapeError(`--prices-data: cannot read ${a.pricesData}: ${(err as Error).message}`, ExitCode.usage);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TapeError(`--prices-data: ${a.pricesData} is not JSON (${(err as Error).message})`, ExitCode.usage);
  }
  return new PriceBook(overrides, checkPriceData(raw, a.pricesData), sha256(text).slice(0, 8));
}

export function runReprice(a: RepriceArgs): number {
  const ctx = makeContext(a);
  const now = clockFrom(a.now)();
  const since = a.since !== undefined ? parseWhen(a.since, now) : monthBounds(now).start;
  const until = a.until !== undefined ? parseWhen(a.until, now) : now + 1;
  if (since === null || until === null) throw new TapeError('--since/--until: expected ISO-8601 times (UTC) or durations ago like 7d', ExitCode.usage);
  const book = otherBook(a, () => loadPriceBook(ctx.config, ctx.paths));
  const db = openReader(ctx.paths.db);
  try {
    const bar = new Progress('reprice', 1, 'calls');
    const rows = reprice(db, book, since, until, rowFilter(a), (n) => bar.update(0, n));
    bar.finish(rows.reduce((s, r) => s + r.calls, 0));
    if (a.json) process.stdout.write(rows.map((r) => JSON.stringify({ type: 'reprice_row', price_version: book.version, ...r })).join('\n') + (rows.length ? '\n' : ''));
    else process.stdout.write(repriceTable(rows, 'as stored', book.version));
  } finally {
    db.close();
  }
  return 0;
}

export const repriceCommand: CommandModule<GlobalArgs, RepriceArgs> = {
  command: 'reprice',
  describe: 'Price a range of the tape with another price list and show the difference per model and day (changes nothing)',
  builder: (y) =>
    y
      .option('since', { type: 'string', describe: 'from (ISO-8601 UTC or a duration ago); default: start of this month' })
      .option('until', { type: 'string', describe: 'to, exclusive (default: now)' })
      .option('overrides', { type: 'string', describe: 'an overrides file for the other price list' })
      .option('prices-data', { type: 'string', describe: 'genai-prices data.json for the other price list (default: the list in force)' })
      .option('project', { type: 'string', array: true, describe: 'only these projects (* globs)' })
      .option('model', { type: 'string', array: true, describe: 'only these models (* globs)' })
      .option('provider', { type: 'string', array: true, describe: 'only these providers (* globs)' })
      .option('json', { type: 'boolean', describe: 'NDJSON, one row per day x provider x model' })
      .option('now', { type: 'string', describe: 'pin the clock (ISO-8601)' }) as never,
  handler: (a) => {
    process.exitCode = runReprice(a);
  },
};
