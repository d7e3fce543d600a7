import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '@pydantic/genai-prices';
import { PriceBook } from './price-book.js';
import { Overrides } from './overrides.js';
import { TapeError, ExitCode } from '../errors.js';

/** Where `tape prices update` keeps refreshed price data: state dir, `prices.json` + its tag. */
export function priceDataPath(stateDir: string): string {
  return join(stateDir, 'prices.json');
}

interface StoredPriceData {
  readonly tag: string;
  readonly fetched_at: string;
  readonly providers: Provider[];
}

/** The price book in force: library data (or refreshed data) plus the overrides file, if any. */
export function loadPriceBook(config: { readonly priceOverrides: string | null }, paths: { readonly state: string }): PriceBook {
  let overrides: Overrides | null = null;
  if (config.priceOverrides) {
    try {
      overrides = Overrides.load(config.priceOverrides);
    } catch (err) {
      throw new TapeError(`${(err as Error).message}; fix the overrides file or remove "price_overrides" from the config`, ExitCode.usage);
    }
  }
  const dataFile = priceDataPath(paths.state);
  if (existsSync(dataFile)) {
    try {
      const stored = JSON.parse(readFileSync(dataFile, 'utf8')) as StoredPriceData;
      return new PriceBook(overrides, stored.providers, stored.tag);
    } catch (err) {
      throw new TapeError(`refreshed price data ${dataFile} is unreadable (${(err as Error).message}); run \`tape prices update\` again or delete the file`, ExitCode.usage);
    }
  }
  return new PriceBook(overrides);
}
